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
from tests.api.conftest import CONTRACT_3CX, OCTOBER_DK, SEPTEMBER_3CX

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
    schemas = yaml.safe_load(COMMITTED.read_text("utf-8"))["components"]["schemas"]
    assert schemas["Incident"]["properties"]["started_at"] == {"$ref": "#/components/schemas/Timestamp"}
    assert {"type": "string", "format": "date-time"}.items() <= schemas["Timestamp"].items()
    assert schemas["Fee"]["properties"]["amount"]["type"] == ["string", "number"]
    assert schemas["Fee"]["properties"]["amount"]["pattern"] == r"^-?\d+(\.\d+)?$"  # a string's form


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


# Headers every HTTP response may carry that say nothing of the API
_FRAMING = {"content-type", "content-length"}


def _declared_response(spec: dict, path: str, method: str, status: int) -> dict:
    """The response the spec documents for that status of the operation (its own, else `default`)."""
    responses = spec["paths"].get(path, {}).get(method, {}).get("responses", {})
    response = responses.get(str(status)) or responses.get("default") or \
        {"$ref": "#/components/responses/DEFAULT_ERROR"}  # no operation: a 405 on a path, an unknown path
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def _header(spec: dict, header: dict) -> dict:
    while "$ref" in header:
        header = spec["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
    return header


def _exchanges(client_as, body_3cx):
    """(path template, method, response) for every documented operation, answering as it does: JSON and
    PDF, created and unchanged, and the problems each sends (401, 403, 404, 405, 415, 422, 400)."""
    admin, anon, sales = client_as("admin"), client_as(None), client_as("sales")
    contract = body_3cx["contract"]
    incident, ticket = body_3cx["incidents"][0], body_3cx["tickets"][0]
    bug = {"id": "b-1", "bug_id": "bug-1", "occurred_at": "2026-09-10T09:00:00+07:00"}
    case = {"id": "c-1", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T10:00:00+07:00",
            "level": 1}
    contract_path, statement = "/v1/contracts/{contract_id}", "/v1/contracts/{contract_id}/statements/{period}"
    note_path = "/v1/credit-notes/{number}"
    out = [("/healthz", "get", anon.get("/healthz")), ("/readyz", "get", anon.get("/readyz")),
           ("/metrics", "get", anon.get("/metrics")),
           ("/v1/policy-templates", "get", admin.get("/v1/policy-templates")),
           ("/v1/policy-templates", "get", anon.get("/v1/policy-templates")),
           ("/v1/calculations", "post", admin.post("/v1/calculations", json=body_3cx)),
           ("/v1/calculations", "post", admin.post("/v1/calculations?format=pdf&lang=en", json=body_3cx)),
           ("/v1/calculations", "post", admin.post("/v1/calculations", json={})),
           ("/v1/calculations", "post", admin.post("/v1/calculations", data="{", content_type="application/json")),
           ("/v1/calculations", "post", admin.post("/v1/calculations", data=b"{}", content_type="application/json",
                                                   headers={"Content-Encoding": "gzip"})),
           ("/v1/calculations", "post", sales.post("/v1/calculations", json=body_3cx)),
           ("/v1/calculations", "delete", admin.delete("/v1/calculations")),
           (contract_path, "put", admin.put("/v1/contracts/acme-3cx", json=contract)),
           (contract_path, "put", admin.put("/v1/contracts/acme-3cx", json=contract)),
           (contract_path, "put", admin.put("/v1/contracts/acme-3cx", json={**contract, "currency": "XXX"})),
           (contract_path, "get", admin.get("/v1/contracts/acme-3cx")),
           (contract_path, "get", admin.get("/v1/contracts/nobody"))]
    for kind, record in (("incidents", incident), ("bug-occurrences", bug), ("support-cases", case),
                         ("tickets", ticket)):
        path = f"/v1/contracts/{{contract_id}}/{kind}"
        for _ in range(2):  # created, then unchanged
            out.append((path, "post", admin.post(f"/v1/contracts/acme-3cx/{kind}", json=record)))
        out.append((path, "post", admin.post(f"/v1/contracts/acme-3cx/{kind}", json={"id": "x"})))
    out += [(statement, "get", admin.get("/v1/contracts/acme-3cx/statements/2026-09")),
            (statement, "get", admin.get("/v1/contracts/acme-3cx/statements/2026-09",
                                         headers={"Accept": "application/pdf", "Accept-Language": "da"})),
            (statement, "get", admin.get("/v1/contracts/acme-3cx/statements/1969-12")),
            (statement, "get", admin.get("/v1/contracts/nobody/statements/2026-09"))]
    issued = admin.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    assert issued.status_code == 201, issued.json
    number = issued.json["number"]
    out += [("/v1/contracts/{contract_id}/credit-notes", "post", issued),
            ("/v1/contracts/{contract_id}/credit-notes", "post",
             admin.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})),
            ("/v1/contracts/{contract_id}/credit-notes", "post",
             admin.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "26-09"})),
            (note_path, "get", admin.get(f"/v1/credit-notes/{number}")),
            (note_path, "get", admin.get(f"/v1/credit-notes/{number}?format=pdf")),
            (note_path, "get", admin.get(f"/v1/credit-notes/{number}", headers={"Accept": "application/pdf"})),
            (note_path, "get", admin.get("/v1/credit-notes/CN-1999-000001")),
            ("/v1/contracts/{contract_id}/credit-notes", "get", admin.get("/v1/contracts/acme-3cx/credit-notes")),
            ("/v1/contracts/{contract_id}/credit-notes", "get",
             admin.get("/v1/contracts/acme-3cx/credit-notes?period=26-09")),
            ("/v1/contracts/{contract_id}/credit-notes", "get", admin.get("/v1/contracts/nobody/credit-notes")),
            ("/v1/contracts/{contract_id}/renewal-summary", "get",
             admin.get("/v1/contracts/acme-3cx/renewal-summary"))]
    return out


def test_every_header_a_response_carries_is_declared_on_the_response_of_its_status(client_as, body_3cx):
    # The service sent X-Request-ID on every response, Vary on the documents, Content-Disposition and
    # Content-Language on a PDF, Allow on a 405 and Accept-Encoding on a compressed body's 415, and the spec
    # named none of them: a client correlating its logs, or a cache, could not know they are there.
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    exchanges = _exchanges(client_as, body_3cx)
    seen = set()
    for path, method, response in exchanges:
        seen.add((path, method, response.status_code))
        declared = {name.lower(): _header(spec, header)
                    for name, header in _declared_response(spec, path, method, response.status_code).get("headers", {}).items()}
        sent = {name.lower() for name in response.headers.keys()} - _FRAMING
        label = f"{method.upper()} {path} {response.status_code}"
        assert sent <= set(declared), f"{label}: {sorted(sent - set(declared))} not declared"
        missing = {name for name, header in declared.items() if header.get("required") and name not in sent}
        assert not missing, f"{label}: declared required but not sent: {missing}"
        if response.mimetype == "application/pdf":
            assert {"content-disposition", "content-language", "vary"} <= sent, label
    operations = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert operations <= {(path, method) for path, method, _ in seen}, "an operation no exchange reached"
    for status in (200, 201, 400, 401, 403, 404, 405, 415, 422):  # each kind of answer was looked at
        assert any(code == status for _, _, code in seen), status


def test_x_request_id_is_a_documented_parameter_of_every_operation_and_echoed_as_it_says(client):
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    reference = {"$ref": "#/components/parameters/X-Request-ID"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":  # the path's own
                continue
            assert reference in operation.get("parameters", []), f"{method} {path}"
    parameter = spec["components"]["parameters"]["X-Request-ID"]
    assert parameter["in"] == "header" and parameter["required"] is False
    pattern = re.compile(_header(spec, {"$ref": "#/components/headers/X-Request-ID"})["schema"]["pattern"])
    assert client.get("/healthz", headers={"X-Request-ID": "ab.c_1-2"}).headers["X-Request-ID"] == "ab.c_1-2"
    for refused in ("a b", "x" * 129, "é"):
        replaced = client.get("/healthz", headers={"X-Request-ID": refused}).headers["X-Request-ID"]
        assert replaced != refused and pattern.fullmatch(replaced) and not pattern.fullmatch(refused)


# (text, whether Timestamp.parse takes it): the spec's Timestamp pattern must say the same of each
TIMESTAMPS = [("2026-09-10T09:00:00+07:00", True), ("2026-09-10t09:00:00z", True), ("2026-09-10T09:00:00.000Z", True),
              ("1970-01-01T00:00:00Z", True), ("2199-12-31T23:59:59Z", True), ("2026-09-10T09:00:00-23:59", True),
              ("2026-09-10T09:00:00.5Z", False), ("2026-09-10T09:00:00.000001Z", False),
              ("1969-12-31T23:59:59Z", False), ("2200-01-01T00:00:00Z", False), ("0001-01-01T00:00:00Z", False),
              ("9999-12-31T23:59:59Z", False), ("2026-09-10T09:00:00", False), ("2026-09-10T09:00Z", False),
              ("2026-09-10T09:00:00+0700", False), ("2026-09-10T09:00:00+24:00", False), ("2026-W37-4T09:00:00Z", False),
              ("20２6-09-10T09:00:00Z", False)]


def test_the_spec_states_the_bounds_of_a_timestamp_as_the_service_holds_them(client):
    # Sub-second timestamps and years outside 1970-2200 were 422s the spec did not mention: it said
    # {type: string, format: date-time}, which takes both
    from creditsvc.schemas.fields import Timestamp

    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    timestamp = spec["components"]["schemas"]["Timestamp"]
    for words in ("whole seconds", "1970-01-01T00:00:00Z", "2200-01-01T00:00:00Z"):
        assert words in timestamp["description"]
    pattern = re.compile(timestamp["pattern"])
    for text, taken in TIMESTAMPS:
        try:
            Timestamp.parse(text)
            parsed = True
        except Exception:
            parsed = False
        assert parsed is taken, text
        assert bool(pattern.search(text)) is taken, text
        # and the spec says of a request what the service answers
        incident = {"id": "ts", "started_at": text, "severity": "critical", "cause": "provider"}
        assert (_conforms(spec, "Incident", incident) == []) is taken, text
        assert (client.post("/v1/calculations", json={**SEPTEMBER_3CX, "incidents": [incident]}).status_code == 200) is taken, text
    # every request timestamp is that schema
    for name, field in (("Incident", "ended_at"), ("Ticket", "resolved_at"), ("CalculationRequest", "as_of")):
        assert {"$ref": "#/components/schemas/Timestamp"} in spec["components"]["schemas"][name]["properties"][field]["anyOf"]
    as_of = next(p for p in spec["paths"]["/v1/contracts/{contract_id}/statements/{period}"]["get"]["parameters"]
                 if p.get("name") == "as_of")
    assert {"$ref": "#/components/schemas/Timestamp"} in as_of["schema"]["anyOf"]


def test_the_spec_states_the_bounds_of_km_dates_and_months_as_the_service_holds_them(client):
    from creditsvc.schemas.records import SupportCaseSchema

    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    schemas = spec["components"]["schemas"]
    km, field = schemas["SupportCase"]["properties"]["km"], SupportCaseSchema._declared_fields["km"]
    assert (km["minimum"], km["maximum"]) == (field.minimum, field.maximum) == (0, 100000)
    case = OCTOBER_DK["support_cases"][1]
    for value, taken in ((0, True), (100000, True), (-1, False), (100001, False)):
        assert (_conforms(spec, "SupportCase", {**case, "km": value}) == []) is taken, value
        answer = client.post("/v1/calculations", json={**OCTOBER_DK, "support_cases": [{**case, "km": value}]})
        assert (answer.status_code == 200) is taken, (value, answer.json)
    for starts_on, taken in (("1970-01-01", True), ("2199-12-31", True), ("1969-12-31", False), ("2200-01-01", False)):
        contract = {**CONTRACT_3CX, "starts_on": starts_on}
        assert (_conforms(spec, "ContractPut", contract) == []) is taken, starts_on
        assert (client.put("/v1/contracts/acme-3cx", json=contract).status_code in (200, 201)) is taken, starts_on
    period = re.compile(schemas["CreditNoteRequest"]["properties"]["period"]["pattern"])
    path = next(p for p in spec["paths"]["/v1/contracts/{contract_id}/statements/{period}"]["parameters"]
                if p["name"] == "period")
    assert path["schema"]["pattern"] == period.pattern
    for label, taken in (("1970-01", True), ("2199-12", True), ("1969-12", False), ("2200-01", False), ("2026-13", False)):
        assert bool(period.search(label)) is taken, label
        assert (client.get(f"/v1/contracts/acme-3cx/statements/{label}").status_code != 422) is taken, label


def _refs(node):
    """Every $ref the node holds, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from [value] if key == "$ref" else _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_schema_in_the_committed_spec_is_one_an_operation_uses():
    # flask-smorest's PaginationMetadata sat in components/schemas, for a header no endpoint sends:
    # a client's generator made a type of it, and a reader looked for the paged listing
    spec = yaml.safe_load(COMMITTED.read_text("utf-8"))
    referenced = {ref.rsplit("/", 1)[1] for ref in _refs(spec) if ref.startswith("#/components/schemas/")}
    assert "Problem" in referenced and "CreditNote" in referenced
    assert set(spec["components"]["schemas"]) - referenced == set()
