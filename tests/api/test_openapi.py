"""The committed openapi.yaml is the one the schemas generate, and the app honours it (Schemathesis)."""
import re
from pathlib import Path

import openapi_spec_validator
import pytest
import schemathesis
from schemathesis import checks
import yaml
from hypothesis import HealthCheck, given, settings

from creditsvc import create_app, openapi_document
from tests.api.conftest import CONTRACT_3CX

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_the_committed_openapi_yaml_matches_the_generated_one():
    generated = openapi_document(create_app({"DATABASE_URL": "sqlite://"}))
    assert COMMITTED.read_text("utf-8") == generated, "run: creditsvc openapi > openapi.yaml"


def test_the_committed_openapi_yaml_is_a_valid_openapi_document():
    # It once documented the three document endpoints' 200 as a PDF only, with no description:
    # the JSON statement and credit note were nowhere in the spec.
    openapi_spec_validator.validate(yaml.safe_load(COMMITTED.read_text("utf-8")))


def test_json_and_pdf_are_both_documented_for_the_document_endpoints():
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    for path, method, schema in (("/v1/calculations", "post", "Statement"),
                                 ("/v1/contracts/{contract_id}/statements/{period}", "get", "Statement"),
                                 ("/v1/credit-notes/{number}", "get", "CreditNote")):
        content = spec["paths"][path][method]["responses"]["200"]["content"]
        assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}
        assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}


def test_request_timestamps_and_numbers_have_a_type_in_the_spec():
    properties = yaml.safe_load(COMMITTED.read_text("utf-8"))["components"]["schemas"]["Incident"]["properties"]
    assert properties["started_at"] == {"type": "string", "format": "date-time"}
    fee = yaml.safe_load(COMMITTED.read_text("utf-8"))["components"]["schemas"]["Fee"]["properties"]
    assert fee["amount"] == {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d+)?$"}  # a string's form


def _conforms(spec: dict, name: str, instance) -> list[str]:
    import jsonschema

    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(instance)]


def test_the_spec_says_what_a_contracts_policy_is_and_every_template_and_example_conforms(client):
    # A contract's policy was `{type: object, additionalProperties: {}}`: a client generating code or
    # checking its requests from the spec learned nothing of rules.md §9 (api.md: template + overrides, or
    # a full policy)
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    schemas = spec["components"]["schemas"]
    for contract in ("Contract", "ContractPut"):
        assert schemas[contract]["properties"]["policy"]["oneOf"] == [
            {"$ref": "#/components/schemas/PolicyTemplateReference"}, {"$ref": "#/components/schemas/Policy"}]
    assert schemas["PolicyUptime"]["properties"]["bands"]["items"] == {"$ref": "#/components/schemas/PolicyBand"}
    assert schemas["Uptime"] != schemas["PolicyUptime"]  # the statement's own Uptime keeps its name
    for template in client.get("/v1/policy-templates").json:
        assert _conforms(spec, "Policy", template["policy"]) == [], template["name"]
    examples = COMMITTED.parent / "examples"
    for path in sorted(examples.glob("*/contract.json")):
        assert _conforms(spec, "ContractPut", yaml.safe_load(path.read_text("utf-8"))) == [], path
    assert _conforms(spec, "ContractPut", {**CONTRACT_3CX, "policy": {"template": "3cx-vn", "bands": []}})
    assert _conforms(spec, "Policy", {"name": "x", "uptime": {"commitment_percent": "99", "bands": [{"credit": 1}]}})


def test_every_route_the_app_answers_is_in_the_spec(app):
    # Flask's default static folder added /static/<path:filename>, a route in no document
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    documented = {re.sub(r"\{[^}]+\}", "<>", path) for path in spec["paths"]}
    routes = {re.sub(r"<[^>]+>", "<>", rule.rule) for rule in app.url_map.iter_rules()}
    assert routes - documented == {"/openapi.yaml"}  # the document itself


def test_the_spec_bounds_a_policys_priorities_as_the_service_does(client):
    # `priorities` is a map: its bounds were minLength/maxLength, which apply to strings only, so a
    # client checking its request from the spec sent {} or 51 priorities, or a name with a space, and got a 422
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    priorities = spec["components"]["schemas"]["PolicyTicketTargets"]["properties"]["priorities"]
    assert "minLength" not in priorities and "maxLength" not in priorities
    target = {"response": "1h"}
    for refused in ({}, {f"P{k}": target for k in range(51)}, {"P 1": target}, {"P" * 33: target}):
        policy = {"name": "x", "ticket_targets": {"priorities": refused}}
        assert _conforms(spec, "Policy", policy), refused
        put = client.put("/v1/contracts/spec-bounds", json={**CONTRACT_3CX, "id": "spec-bounds", "policy": policy})
        assert put.status_code == 422, put.json
    accepted = {"name": "x", "ticket_targets": {"priorities": {f"P-{k}_x": target for k in range(50)}}}
    assert _conforms(spec, "Policy", accepted) == []
    assert client.put("/v1/contracts/spec-bounds", json={**CONTRACT_3CX, "id": "spec-bounds",
                                                          "policy": accepted}).status_code in (200, 201)


def test_the_committed_openapi_yaml_writes_every_value_out_without_yaml_anchors():
    assert "&id0" not in COMMITTED.read_text("utf-8") and "*id0" not in COMMITTED.read_text("utf-8")


def test_an_error_the_operation_does_not_list_is_documented_as_the_problem_the_service_sends(client):
    # Every operation's `default` response described flask-smorest's Error body (code, status,
    # message) as application/json; a 405 or a 503 is a problem as application/problem+json.
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert default == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "Error" not in spec["components"]["schemas"]
    response = client.delete("/v1/calculations")  # no operation lists a 405
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) <= set(response.json) <= set(problem["properties"])


def test_the_spec_is_served_and_lists_every_endpoint_of_api_md(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    spec = yaml.safe_load(response.data)
    assert set(spec["paths"]) >= {
        "/healthz", "/v1/policy-templates", "/v1/calculations", "/v1/contracts/{contract_id}",
        "/v1/contracts/{contract_id}/incidents", "/v1/contracts/{contract_id}/bug-occurrences",
        "/v1/contracts/{contract_id}/support-cases", "/v1/contracts/{contract_id}/tickets",
        "/v1/contracts/{contract_id}/statements/{period}", "/v1/contracts/{contract_id}/credit-notes",
        "/v1/credit-notes/{number}", "/v1/contracts/{contract_id}/renewal-summary"}


# Rules the spec cannot state (a band below the commitment, ends_on after starts_on, a priority the
# policy defines) make some schema-valid bodies 422s, so "positive data is accepted" is not checked.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]

OPERATIONS = [op.ok().label for op in schemathesis.openapi.from_dict(
    yaml.safe_load(COMMITTED.read_text("utf-8"))).get_all_operations()]


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_conforms_to_its_spec_and_never_answers_5xx(app, keys, client, label):
    """Schemathesis generates requests from openapi.yaml; every response must be documented and
    match its schema, and none may be a 5xx. Calls are signed as admin, against a stored contract."""
    client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX)
    api = schemathesis.openapi.from_wsgi("/openapi.yaml", app)
    operation = api.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {keys['admin']}"}

    @given(case=operation.as_strategy(headers=headers))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
