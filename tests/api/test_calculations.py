"""POST /v1/calculations: the worked examples over HTTP, and bad input as 4xx problems naming the field."""
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX


def test_the_uptime_worked_example_credits_400000_vnd_with_amounts_as_strings(client, body_3cx):
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 200, response.json
    statement = response.json
    assert statement["uptime"]["service_seconds"] == 2592000
    assert statement["uptime"]["downtime_seconds"] == 9000
    assert statement["uptime"]["excluded_seconds"] == 7200
    assert statement["uptime"]["uptime_percent"] == "99.6527"
    assert statement["uptime"]["credit_percent"] == "2"
    assert statement["uptime"]["credit_amount"] == "400000"
    assert statement["credit_total"] == "400000"
    assert statement["lines"] == [{"kind": "uptime_credit", "amount": "400000",
                                   "description": "Uptime below 99.8 %: 2 % of the period fee"}]
    assert statement["status"] == "final"
    assert statement["period"] == {"label": "2026-09", "start": "2026-09-01T00:00:00+07:00",
                                   "end": "2026-10-01T00:00:00+07:00"}
    assert statement["application"] == {"mode": "next_quarter", "apply_on": "2026-10-01", "cash_refund": False,
                                        "refund_days_on_termination": 5}
    assert statement["tickets"]["items"][0]["resolution"] == {"target_seconds": 1800, "elapsed_seconds": 1500,
                                                              "status": "met"}
    assert statement["tickets"]["compliance"] == {"P1": "100"}
    assert statement["outage_credit"] is None and statement["support"] is None


def test_the_support_worked_examples_bill_the_danish_figures(client, body_dk):
    response = client.post("/v1/calculations", json=body_dk)
    assert response.status_code == 200, response.json
    support = response.json["support"]
    assert [(l["case_id"], l["kind"], l["seconds"], l["rate"], l["amount"]) for l in support["lines"]] == [
        ("case-1", "business_hours", 900, "800.00", "200.00"),
        ("case-2", "business_hours", 1800, "1095.00", "547.50"),
        ("case-2", "after_hours", 1800, "2190.00", "1095.00"),
        ("case-2", "mileage", 0, "3.52", "140.80"),
    ]
    assert support["subtotal"] == "1983.30"
    assert support["vat_percent"] == "25"
    assert support["vat_amount"] == "495.83"
    assert support["total"] == "2479.13"


def test_the_second_support_example_alone_totals_2229_13(client, body_dk):
    body_dk["support_cases"] = body_dk["support_cases"][1:]
    support = client.post("/v1/calculations", json=body_dk).json["support"]
    assert (support["subtotal"], support["vat_amount"], support["total"]) == ("1783.30", "445.83", "2229.13")


def test_the_outage_and_fine_rules_of_1office_over_http(client):
    body = {
        "contract": {**SEPTEMBER_3CX["contract"], "id": "one", "fee": {"amount": "12000000", "per": "month"},
                     "policy": {"template": "1office"}},
        "period": "2026-09",
        "as_of": "2026-11-01T00:00:00Z",
        "incidents": [{"id": "i", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T14:10:00+07:00",
                       "severity": "critical", "cause": "provider"}],
        "bug_occurrences": [
            {"id": "b1", "bug_id": "BUG-7", "occurred_at": "2026-08-01T10:00:00+07:00"},
            {"id": "b2", "bug_id": "BUG-7", "occurred_at": "2026-09-02T10:00:00+07:00"},
            {"id": "b3", "bug_id": "BUG-7", "occurred_at": "2026-09-20T10:00:00+07:00"},
        ],
    }
    statement = client.post("/v1/calculations", json=body).json
    assert statement["outage_credit"] == {"downtime_seconds": 18600, "blocks": 2, "credit_days": "1",
                                          "credit_amount": "400000", "delivery": "license_extension",
                                          "capped": False}
    assert [(f["occurrence"], f["amount"]) for f in statement["repeat_bug_fines"]["items"]] == [
        (2, "500000"), (3, "1000000")]
    assert statement["repeat_bug_fines"]["total"] == "1500000"
    assert statement["credit_total"] == "1900000"
    assert sum(int(line["amount"]) for line in statement["lines"]) == 1900000


def test_an_explicit_six_month_period_gives_the_seed_002_uptime(client):
    # seed 002: 4318 h up of 4320 h = 99.95 %
    body = {
        "contract": {**SEPTEMBER_3CX["contract"], "policy": {"template": "hvn"}},
        "period": {"start": "2026-01-01T00:00:00+07:00", "end": "2026-06-30T00:00:00+07:00"},
        "as_of": "2026-11-01T00:00:00Z",
        "incidents": [{"id": "i", "started_at": "2026-03-01T00:00:00+07:00", "ended_at": "2026-03-01T02:00:00+07:00",
                       "severity": "major", "cause": "provider"}],
    }
    statement = client.post("/v1/calculations", json=body).json
    assert statement["uptime"]["service_seconds"] == 4320 * 3600
    assert statement["uptime"]["uptime_percent"] == "99.9537"
    assert statement["uptime"]["credit_percent"] == "0"


def test_an_open_incident_makes_the_statement_provisional(client, body_3cx):
    body_3cx["incidents"][0]["ended_at"] = None
    body_3cx["as_of"] = "2026-09-10T10:00:00+07:00"
    statement = client.post("/v1/calculations", json=body_3cx).json
    assert statement["status"] == "provisional"
    assert statement["uptime"]["downtime_seconds"] == 3600


def test_json_numbers_are_read_exactly_not_as_floats(client, body_dk):
    body_dk["contract"]["policy"] = {"template": "oneoffice-dk", "overrides": {"support_billing": {"mileage_rate": 0.1}}}
    body_dk["support_cases"] = [{**body_dk["support_cases"][1], "km": 3}]
    text = json.dumps(body_dk)
    response = client.post("/v1/calculations", data=text, content_type="application/json")
    mileage = [l for l in response.json["support"]["lines"] if l["kind"] == "mileage"][0]
    assert mileage["amount"] == "0.30"  # 3 x 0.1 exactly; a float would still round right, so check the rate
    assert mileage["rate"] == "0.10"


def test_policy_templates_are_listed_with_their_documents(client):
    response = client.get("/v1/policy-templates")
    assert response.status_code == 200
    names = [t["name"] for t in response.json]
    assert names == ["1office", "3cx-vn", "hvn", "oneoffice-dk", "phanmemvang"]
    hvn = response.json[2]["policy"]
    assert hvn["uptime"]["commitment_percent"] == "99.9"
    assert [b["credit_percent"] for b in hvn["uptime"]["bands"]] == ["100", "50", "25"]


def test_healthz_answers_ok(client):
    assert client.get("/healthz").json == {"status": "ok"}


def _set(body, path, value):
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


DELETE = object()

BAD_INPUTS = [
    ("naive timestamp", ("incidents", 0, "started_at"), "2026-09-10T09:00:00", "incidents.0.started_at"),
    ("end before start", ("incidents", 0, "ended_at"), "2026-09-10T08:00:00+07:00", "incidents.0.ended_at"),
    ("unknown cause", ("incidents", 0, "cause"), "gremlins", "incidents.0.cause"),
    ("unknown severity", ("incidents", 0, "severity"), "apocalyptic", "incidents.0.severity"),
    ("unknown template", ("contract", "policy", "template"), "nope", "contract.policy.template"),
    ("unknown priority", ("tickets", 0, "priority"), "P9", "tickets.0.priority"),
    ("unknown currency", ("contract", "currency"), "XXX", "contract.currency"),
    ("currency unlike the policy's", ("contract", "currency"), "DKK", "contract.currency"),
    ("unknown zone", ("contract", "timezone"), "Mars/Olympus_Mons", "contract.timezone"),
    ("unknown locale", ("contract", "locale"), "fr", "contract.locale"),
    ("negative fee", ("contract", "fee", "amount"), "-1", "contract.fee.amount"),
    ("absurd fee", ("contract", "fee", "amount"), "1e40", "contract.fee.amount"),
    ("fee with too many decimals", ("contract", "fee", "amount"), "1.000001", "contract.fee.amount"),
    ("fee that is not a number", ("contract", "fee", "amount"), "lots", "contract.fee.amount"),
    ("fee as a boolean", ("contract", "fee", "amount"), True, "contract.fee.amount"),
    ("fee in fullwidth digits", ("contract", "fee", "amount"), "\uff12\uff10000000", "contract.fee.amount"),
    ("period in fullwidth digits", ("period",), "20\uff126-09", "period"),
    ("unknown fee basis", ("contract", "fee", "per"), "week", "contract.fee.per"),
    ("unknown field", ("contract", "colour"), "blue", "contract.colour"),
    ("missing contract id", ("contract", "id"), DELETE, "contract.id"),
    ("contract ending before it starts", ("contract", "ends_on"), "2025-01-01", "contract.ends_on"),
    ("malformed period", ("period",), "2026-13", "period"),
    ("period as a number", ("period",), 202609, "period"),
    ("explicit period ending first", ("period",), {"start": "2026-09-02T00:00:00Z", "end": "2026-09-01T00:00:00Z"},
     "period.end"),
    ("timestamp in year 9999", ("incidents", 0, "started_at"), "9999-01-01T00:00:00Z", "incidents.0.started_at"),
    ("sub-second timestamp", ("incidents", 0, "started_at"), "2026-09-10T09:00:00.5+07:00", "incidents.0.started_at"),
    # fromisoformat drops digits past the 6th: .0000009 was read as a whole second and taken
    ("sub-second timestamp past microseconds", ("incidents", 0, "started_at"), "2026-09-10T09:00:00.0000009+07:00",
     "incidents.0.started_at"),
    ("sub-second UTC timestamp past microseconds", ("incidents", 0, "started_at"), "2026-09-10T02:00:00.00000001Z",
     "incidents.0.started_at"),
    ("duplicate record id", ("incidents", 1, "id"), "inc-1", "incidents.1.id"),
    ("incidents not a list", ("incidents",), {"id": "x"}, "incidents"),
    ("policy override with a bad band", ("contract", "policy", "overrides"),
     {"uptime": {"bands": [{"from_percent": "0", "credit_percent": "140"}]}}, "contract.policy.overrides.uptime.bands.0.credit_percent"),
    ("policy override with an unknown key", ("contract", "policy", "overrides"), {"uptime": {"colour": 1}},
     "contract.policy.overrides.uptime.colour"),
    ("ticket resolved before it opened", ("tickets", 0, "resolved_at"), "2026-09-01T00:00:00+07:00",
     "tickets.0.resolved_at"),
    ("contract ending the day it starts", ("contract", "ends_on"), "2026-01-01", "contract.ends_on"),
    # date.fromisoformat took ISO 8601's week and basic forms: 2026-W01-1 was 29 December 2025
    ("contract starting on a week date", ("contract", "starts_on"), "2026-W01-1", "contract.starts_on"),
    ("contract starting on a basic-form date", ("contract", "starts_on"), "20260101", "contract.starts_on"),
    ("contract ending on a week date", ("contract", "ends_on"), "2026-W53-1", "contract.ends_on"),
    ("explicit period of no length", ("period",), {"start": "2026-09-01T00:00:00Z", "end": "2026-09-01T00:00:00Z"},
     "period.end"),
]


@pytest.mark.parametrize("case, path, value, field", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_a_422_problem_naming_the_field(client, body_3cx, case, path, value, field):
    _set(body_3cx, path, value)
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == 422 and problem["title"] and problem["type"]
    assert field in problem["errors"], problem["errors"]


@pytest.mark.parametrize("level", [0, 3, "3", True, None, "1.0", "01", " 1", 1.5])
def test_an_unknown_support_level_is_refused(client, body_dk, level):
    body_dk["support_cases"][0]["level"] = level
    response = client.post("/v1/calculations", json=body_dk)
    assert response.status_code == 422
    assert "support_cases.0.level" in response.json["errors"]


def test_a_support_level_is_read_alike_as_an_integer_a_string_or_an_integral_number(client, body_dk):
    # str() read the number 1e0 as level 1 and refused 1.0; StrictInteger reads both as 1
    body_dk["support_cases"][0]["level"] = 1
    expected = client.post("/v1/calculations", json=body_dk).json
    for written in ('"1"', "1.0", "1e0", "1.000"):
        raw = json.dumps(body_dk).replace('"level": 1', f'"level": {written}', 1)
        assert f'"level": {written}' in raw
        response = client.post("/v1/calculations", data=raw, content_type="application/json")
        assert response.status_code == 200 and response.json == expected, (written, response.json)


@pytest.mark.parametrize("method, url", [("post", "/v1/calculations"), ("put", "/v1/contracts/acme"),
                                         ("post", "/v1/contracts/acme/credit-notes"),
                                         ("post", "/v1/contracts/acme/incidents")])
def test_an_empty_json_body_is_a_400_on_every_endpoint_that_takes_one(client_as, method, url):
    # webargs reads an empty body as no body: three endpoints answered 422 "Missing data", the record
    # endpoints 400 (api.md: 400 for JSON that does not parse).
    for body in (b"", b" \n"):
        response = getattr(client_as("admin"), method)(url, data=body, content_type="application/json")
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert response.json["code"] == "malformed_json"
        # in the same words everywhere: the record endpoints said "Expecting value at line 1, column 1" (the review)
        assert response.json["detail"] == "The body cannot be read as JSON: the body is empty.", (url, body)


@pytest.mark.parametrize("text", ["{", "{\"contract\": NaN}", "[1, 2", "\xff"])
def test_malformed_json_gets_a_400_problem(client, text):
    response = client.post("/v1/calculations", data=text, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400


def test_a_body_that_is_not_json_gets_415(client):
    response = client.post("/v1/calculations", data="contract=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json["status"] == 415


def test_a_json_body_that_declares_a_charset_other_than_utf_8_gets_415_and_stores_nothing(client, body_3cx):
    # bytes C3 A6 mean "Ã¦" in latin-1 and were stored as "æ": the body is read as UTF-8, so it must be UTF-8
    contract = {**body_3cx["contract"], "id": "latin", "customer": {"name": "Ã¦"}}
    raw = json.dumps(contract, ensure_ascii=False).encode("latin-1")
    response = client.put("/v1/contracts/latin", data=raw, content_type="application/json; charset=iso-8859-1")
    assert response.status_code == 415 and response.mimetype == "application/problem+json"
    assert "charset=iso-8859-1" in response.json["detail"]
    assert client.get("/v1/contracts/latin").status_code == 404
    for declared in ("utf-8", "UTF-8", "utf8", '"utf-8"', "us-ascii"):  # ASCII bytes read the same as UTF-8
        response = client.post("/v1/calculations", data=json.dumps(body_3cx),
                               content_type=f"application/json; charset={declared}")
        assert response.status_code == 200, declared
    response = client.put("/v1/contracts/latin", data=json.dumps(contract, ensure_ascii=False).encode(),
                          content_type="application/json; charset=us-ascii")
    assert response.status_code == 415 and client.get("/v1/contracts/latin").status_code == 404


@pytest.mark.parametrize("method, url", [("post", "/v1/calculations"), ("put", "/v1/contracts/acme-3cx"),
                                         ("post", "/v1/contracts/acme-3cx/incidents"),
                                         ("post", "/v1/contracts/acme-3cx/credit-notes")])
def test_a_body_that_is_not_json_is_judged_after_the_key_401_then_403_then_415(client_as, method, url):
    def send(role):
        return getattr(client_as(role), method)(url, data="period=2026-09", content_type="text/plain").status_code

    assert send(None) == 401
    assert send("sales") == 403
    assert send("admin") == 415


def test_an_unknown_path_is_a_404_problem_not_html(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_wrong_method_is_a_405_problem(client):
    response = client.get("/v1/calculations")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert response.headers["Allow"].split(", ").count("POST") == 1  # RFC 9110 §15.5.6: a 405 names the methods


def test_an_amount_past_numeric_38_4_is_refused_not_a_500(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"]["policy"] = {"template": "1office"}
    body["tickets"] = []
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-{1 + k // 24:02d}T{k % 24:02d}:00:00Z"}
                               for k in range(200)]
    response = client.post("/v1/calculations", json=body)
    assert response.status_code == 422
    assert response.json["code"] == "amount_overflow"
    assert "bug_occurrences" in response.json["errors"]  # names where the unbounded amount comes from


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(max_size=30)
    | st.sampled_from(["2026-09", "2026-09-10T09:00:00", "2026-09-10T09:00:00Z", "-1", "1e999", "NaN"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


ALL_PATHS = [p for body in (SEPTEMBER_3CX, OCTOBER_DK) for p in _paths(body) if p]


def corrupted(index: int, value, delete: bool, as_of: str | None = None):
    """A worked example's body with the value at ALL_PATHS[index] replaced by `value` (or deleted), or
    None where the path cannot take it."""
    path = ALL_PATHS[index]
    body = copy.deepcopy(SEPTEMBER_3CX if path in list(_paths(SEPTEMBER_3CX)) else OCTOBER_DK)
    if as_of:
        body["as_of"] = as_of
    try:
        _set(body, path, DELETE if delete else value)
    except (KeyError, IndexError, TypeError):
        return None
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(ALL_PATHS) - 1), value=json_values, delete=st.booleans())
def test_any_corruption_of_a_valid_body_gets_200_or_a_4xx_problem_never_a_500(client, index, value, delete):
    body = corrupted(index, value, delete)
    if body is None:
        return
    response = client.post("/v1/calculations", json=body)
    assert response.status_code in (200, 400, 422), (ALL_PATHS[index], value, response.json)
    if response.status_code != 200:
        assert response.mimetype == "application/problem+json"
    if response.status_code == 422:
        assert response.json["errors"]


@pytest.mark.parametrize("text", [
    '{"contract": ' + "1" * 5000 + "}",  # Python refuses integers of over 4,300 digits
    "[" * 100_000 + "]" * 100_000,  # deeper than the parser recurses
    '{"contract": {"id": "x\\ud800"}}',  # a lone surrogate: not Unicode
    '{"contract": {"id": "x\\u0000"}}',  # NUL: PostgreSQL text refuses it
], ids=["huge-integer", "deep-nesting", "lone-surrogate", "nul"])
def test_json_that_parses_into_unusable_data_is_a_4xx_problem_not_a_500(client, text):
    for url in ("/v1/calculations", "/v1/contracts/acme-3cx/incidents"):
        response = client.post(url, data=text, content_type="application/json")
        assert response.status_code in (400, 404, 422), (url, response.status_code)
        assert response.mimetype == "application/problem+json"
    if "ud800" in text or "u0000" in text:
        assert client.post("/v1/calculations", data=text, content_type="application/json").status_code == 400


@pytest.mark.parametrize("zone", ["Asia", "Europe/" + "x" * 300, "../../etc/passwd",
                                  # files of the host's tz folder that are not zones of the IANA list
                                  "localtime", "posix/Asia/Ho_Chi_Minh", "right/Europe/Copenhagen",
                                  "Factory"])  # the tz database's "zone unknown", read as UTC
def test_a_time_zone_that_is_a_folder_too_long_the_hosts_own_or_the_unknown_placeholder_is_a_422(client, body_3cx, zone):
    body_3cx["contract"]["timezone"] = zone
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422 and "contract.timezone" in response.json["errors"]


def test_an_id_with_a_trailing_newline_is_refused(client, body_3cx):
    body_3cx["incidents"][0]["id"] = "inc-1\n"
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422 and "incidents.0.id" in response.json["errors"]


@pytest.mark.parametrize("body", [
    json.dumps(SEPTEMBER_3CX).encode().replace(b'"name": "', b'"name": "\xed\xa0\x80', 1),  # a raw surrogate
    json.dumps(SEPTEMBER_3CX).encode("utf-16"),  # RFC 8259: JSON between systems is UTF-8
    json.dumps(SEPTEMBER_3CX).encode("utf-32"),
], ids=["raw-surrogate", "utf-16", "utf-32"])
def test_a_body_that_is_not_utf_8_is_a_400_on_every_road(client, body):
    for path, method in (("/v1/calculations", client.post), ("/v1/contracts/acme-3cx", client.put)):
        payload = body if path == "/v1/calculations" else body.replace(b"{", b"", 1)  # any body, any endpoint
        response = method(path, data=payload, content_type="application/json")
        assert response.status_code == 400, (path, response.json)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("depth", [600, 900, 990])
def test_a_policy_nested_about_as_deep_as_python_recurses_is_a_4xx_not_a_500(client, depth):
    # Where the parser's recursion ends depends on the stack the request runs on: refused as JSON (400)
    # or as a policy (422), never a RecursionError (500).
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"]["policy"]["overrides"] = "DEEP"
    deep = '{"x": ' * depth + "{}" + "}" * depth  # written out: json.dumps itself would not recurse that deep
    raw = json.dumps(body).replace('"DEEP"', deep)
    response = client.post("/v1/calculations", data=raw, content_type="application/json")
    assert response.status_code in (400, 422), response.json
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("depth", [600, 900])
@pytest.mark.parametrize("where", ["overrides", "full-policy"])
def test_a_contract_put_with_a_policy_nested_about_as_deep_as_python_recurses_is_a_4xx_not_a_500(client, depth, where):
    # A refused PUT is read again as stored terms (is it unchanged?): that second reading recursed
    # without the guard the first has, a 500 whose logged traceback was some 200 kB per request.
    contract = copy.deepcopy(SEPTEMBER_3CX["contract"])
    if where == "overrides":
        contract["policy"]["overrides"] = "DEEP"
    else:
        contract["policy"] = {"x": "DEEP"}
    deep = '{"x": ' * depth + "{}" + "}" * depth
    raw = json.dumps(contract).replace('"DEEP"', deep)
    response = client.put("/v1/contracts/acme-3cx", data=raw, content_type="application/json")
    assert response.status_code in (400, 422), response.json
    assert response.mimetype == "application/problem+json"


def test_a_bad_query_parameter_is_a_422_that_names_the_request_not_the_body(client, body_3cx):
    response = client.post("/v1/calculations?format=xml", json=body_3cx)
    assert response.status_code == 422 and "query.format" in response.json["errors"]
    assert response.json["detail"] == "The request does not validate: see errors."
    bad_body = client.post("/v1/calculations", json={**body_3cx, "period": "2026-13"})
    assert bad_body.json["detail"] == "The body does not validate: see errors."


def test_rfc_3339s_lowercase_t_and_z_are_the_same_instant_as_uppercase(client, body_3cx):
    upper = client.post("/v1/calculations", json=body_3cx).json
    body_3cx["incidents"][0]["started_at"] = "2026-09-10t09:00:00+07:00"
    body_3cx["as_of"] = "2026-11-01t00:00:00z"
    lower = client.post("/v1/calculations", json=body_3cx)
    assert lower.status_code == 200 and lower.json == upper


@pytest.mark.parametrize("text", [
    "2026-W37-4T09:00:00Z", "2026-253T09:00:00Z", "20260910T090000Z",  # ISO 8601's week, ordinal, basic forms
    "2026-09-10T09:00:00+0700", "2026-09-10T09:00:00+07", "2026-09-10T09:00+07:00",  # no colon, hour, seconds
    " 2026-09-10T09:00:00+07:00", "2026-09-10T09:00:00+07:00\n", "2026-09-10 09:00:00+07:00", "2026-09-10"])
def test_a_timestamp_not_in_rfc_3339s_form_is_refused(client, body_3cx, text):
    # fromisoformat took all of these: a billing system's sloppy export got in without a word
    body_3cx["incidents"][0]["started_at"] = text
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422
    assert response.json["errors"] == {"incidents.0.started_at": ["Not a valid RFC 3339 timestamp."]}



@pytest.mark.parametrize("text", ["2026-09-10T09:00:00+05:80", "2026-09-10T09:00:00+05:60", "2026-09-10T09:00:00-24:00",
                                  "2026-09-10T09:00:00+99:00"])
def test_an_offset_past_23_59_is_refused_not_read_as_another_instant(client, body_3cx, text):
    # fromisoformat read +05:80 as +06:20: a typo moved the outage by 20 minutes without a word
    body_3cx["incidents"][0]["started_at"] = text
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422
    assert response.json["errors"] == {"incidents.0.started_at": ["Not a valid RFC 3339 timestamp."]}
    body_3cx["incidents"][0]["started_at"] = "2026-09-10T09:00:00+23:59"  # the widest offset RFC 3339 writes
    assert client.post("/v1/calculations", json=body_3cx).status_code == 200

@pytest.mark.parametrize("body_name, amount, says", [
    ("body_3cx", "20000000.5", "A VND fee is a whole number."),
    ("body_dk", "100.001", "A DKK fee has at most 2 decimal places."),
])
def test_a_fee_finer_than_its_currency_is_refused(request, client, body_name, amount, says):
    # 100.001 DKK a month was taken and prorated; a fee with the currency's digits, or fewer, is the fee
    body = request.getfixturevalue(body_name)
    body["contract"]["fee"]["amount"] = amount
    response = client.post("/v1/calculations", json=body)
    assert response.status_code == 422 and response.json["errors"] == {"contract.fee.amount": [says]}
    contract = {**body["contract"], "id": "fine-fee"}
    response = client.put("/v1/contracts/fine-fee", json=contract)
    assert response.status_code == 422 and response.json["errors"] == {"fee.amount": [says]}
    assert client.get("/v1/contracts/fine-fee").status_code == 404
    for allowed in (amount[:-1].rstrip("."), amount[:-1] + "0", 2E+7):  # 2E+7: the JSON number 20000000.0
        body["contract"]["fee"]["amount"] = allowed
        assert client.post("/v1/calculations", json=body).status_code == 200, allowed


@pytest.mark.parametrize("amount", ["1_000", "20_000_000", "1_0.5"])
def test_an_amount_with_pythons_digit_grouping_is_refused(client, body_3cx, amount):
    body_3cx["contract"]["fee"]["amount"] = amount
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422 and "contract.fee.amount" in response.json["errors"]


@pytest.mark.parametrize("case, path, value", [
    ("incident ending as it starts", ("incidents", 0, "ended_at"), "2026-09-10T09:00:00+07:00"),
    ("pause starting as the ticket opens", ("tickets", 0, "pauses"),
     [{"start": "2026-09-10T09:05:00+07:00", "end": "2026-09-10T09:10:00+07:00"}]),
    ("a ticket with an incident's id", ("tickets", 0, "id"), "inc-1"),
], ids=["end-equals-start", "pause-at-opened", "id-shared-across-kinds"])
def test_an_end_equal_to_its_start_and_ids_shared_across_kinds_are_accepted(client, body_3cx, case, path, value):
    # api.md refuses an end *before* a start; ids are unique per list (records are posted per kind)
    _set(body_3cx, path, value)
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 200, response.json


def test_negative_kilometres_are_refused(client, body_dk):
    body_dk["support_cases"][1]["km"] = -40  # driving would be a negative amount
    response = client.post("/v1/calculations", json=body_dk)
    assert response.status_code == 422 and "support_cases.1.km" in response.json["errors"]


def test_the_auth_scheme_is_case_insensitive(client_as, keys):
    # RFC 9110 §11.1: the scheme name is case-insensitive; "bearer <key>" is the same credential
    lower = client_as(None)
    lower.environ_base["HTTP_AUTHORIZATION"] = f"bearer {keys['billing']}"
    assert lower.get("/v1/policy-templates").status_code == 200


def test_a_rate_with_four_decimals_is_accepted(client, body_3cx):
    # amounts take up to 4 decimal places (NUMERIC(38, 4)); the 4th is not one too many, the 5th is
    overrides = body_3cx["contract"]["policy"].setdefault("overrides", {})
    # a VND policy states its mileage rate too: the default, 3.52, is DKK (rules.md §6)
    overrides.setdefault("support_billing", {"mileage_rate": "3000"})["rates"] = {"1": "300000.1234", "2": "450000"}
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 200, response.json
    overrides["support_billing"]["rates"]["1"] = "300000.12345"
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422, response.json
    assert "contract.policy.overrides.support_billing.rates.1" in response.json["errors"], response.json["errors"]


@pytest.mark.parametrize("field", ["block_hours", "days_per_block"])
def test_an_outage_block_or_credit_of_zero_is_refused(client, body_3cx, field):
    # blocks = downtime / block_hours: a block of no length would be a division by zero
    body_3cx["contract"]["policy"] = {"template": "1office", "overrides": {"outage_credit": {field: "0"}}}
    body_3cx["tickets"] = []
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422, response.json
    assert f"contract.policy.overrides.outage_credit.{field}" in response.json["errors"]


def test_the_length_limits_of_a_support_case_and_an_explicit_period_hold_at_their_edge(client, body_dk):
    # a support case lasts at most 366 days and an explicit period 731: one second more is refused
    body_dk["support_cases"] = [{"id": "long", "started_at": "2026-01-01T00:00:00Z",
                                 "ended_at": "2027-01-02T00:00:00Z", "level": 1}]  # 366 days
    body_dk["period"] = {"start": "2026-01-01T00:00:00Z", "end": "2028-01-02T00:00:00Z"}  # 731 days
    body_dk["as_of"] = "2028-02-01T00:00:00Z"
    assert client.post("/v1/calculations", json=body_dk).status_code == 200
    for path, value, field in ((("support_cases", 0, "ended_at"), "2027-01-02T00:00:01Z", "support_cases.0.ended_at"),
                               (("period", "end"), "2028-01-02T00:00:01Z", "period.end")):
        body = copy.deepcopy(body_dk)
        _set(body, path, value)
        response = client.post("/v1/calculations", json=body)
        assert response.status_code == 422 and field in response.json["errors"], (field, response.json)


def test_the_last_instant_a_timestamp_may_take_is_before_2200(client, body_3cx):
    body_3cx["as_of"] = "2199-12-31T23:59:59Z"
    assert client.post("/v1/calculations", json=body_3cx).status_code == 200
    body_3cx["as_of"] = "2200-01-01T00:00:00Z"
    response = client.post("/v1/calculations", json=body_3cx)
    assert response.status_code == 422 and response.json["errors"] == {
        "as_of": ["Timestamps must lie between 1970 and 2200."]}


def test_a_support_case_over_a_business_window_the_spring_change_skips_bills_the_case_length(client):
    # 02:30-03:00 on Sundays does not exist on 29 March 2026 in Copenhagen: it billed 4.5 h for 4 h
    body = copy.deepcopy(OCTOBER_DK)
    body["period"] = "2026-03"
    body["contract"]["policy"] = {"template": "oneoffice-dk", "overrides": {
        "business_hours": {"start": "02:30", "end": "03:00", "weekdays": ["sun"]}}}
    body["support_cases"] = [{"id": "night", "level": 1, "started_at": "2026-03-29T00:00:00+01:00",
                              "ended_at": "2026-03-29T05:00:00+02:00"}]
    response = client.post("/v1/calculations", json=body)
    assert response.status_code == 200
    lines = response.json["support"]["lines"]
    assert [(line["kind"], line["seconds"]) for line in lines] == [("after_hours", 4 * 3600)]


def test_1office_with_an_uptime_section_added_takes_its_exclusions_for_the_outage_credit_too(client):
    # the template's own outage list (maintenance) won, and an ISP outage the uptime section excludes
    # earned 400,000 of outage credit: §4 says "same exclusions as section 3"
    body = {"contract": {**SEPTEMBER_3CX["contract"], "fee": {"amount": "12000000", "per": "month"},
                         "policy": {"template": "1office", "overrides": {"uptime": {
                             "commitment_percent": "99.8", "bands": [{"from_percent": "0", "credit_percent": "10"}],
                             "excluded_causes": ["isp"]}}}},
            "period": "2026-09", "as_of": "2026-11-01T00:00:00Z",
            "incidents": [{"id": "i", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T13:00:00+07:00",
                           "severity": "critical", "cause": "isp"}]}
    statement = client.post("/v1/calculations", json=body).json
    assert statement["uptime"]["downtime_seconds"] == 0
    assert statement["outage_credit"]["downtime_seconds"] == 0 and statement["outage_credit"]["credit_amount"] == "0"
    assert statement["credit_total"] == "0"


def test_rules_1_an_uptime_of_99_79999_percent_is_written_99_7999_with_the_credit_of_the_band_below(client, body_3cx):
    # rules.md §1: "99.79999 % shows "99.7999", never "99.8000"" - 20,001 s of 10,000,000 s
    body_3cx["period"] = {"start": "2026-01-01T00:00:00+07:00", "end": "2026-04-26T17:46:40+07:00"}
    body_3cx["incidents"] = [{"id": "i", "started_at": "2026-02-03T09:00:00+07:00",
                              "ended_at": "2026-02-03T14:33:21+07:00", "severity": "major", "cause": "provider"}]
    body_3cx["tickets"] = []
    uptime = client.post("/v1/calculations", json=body_3cx).json["uptime"]
    assert (uptime["service_seconds"], uptime["downtime_seconds"]) == (10_000_000, 20_001)
    assert uptime["uptime_percent"] == "99.7999"
    assert (uptime["band_from_percent"], uptime["band_to_percent"], uptime["credit_percent"]) == ("98.5", "99.8", "2")


def test_rules_6_the_first_support_example_alone_is_200_00_with_vat_50_00_and_total_250_00(client, body_dk):
    # rules.md §6: 1st level 10:00-10:07 on Tuesday 6 October 2026, no agreement -> billed 15 minutes
    body_dk["support_cases"] = body_dk["support_cases"][:1]
    support = client.post("/v1/calculations", json=body_dk).json["support"]
    assert [(l["kind"], l["seconds"], l["amount"]) for l in support["lines"]] == [("business_hours", 900, "200.00")]
    assert (support["subtotal"], support["vat_amount"], support["total"]) == ("200.00", "50.00", "250.00")


def test_a_ticket_resolved_before_its_recorded_first_response_was_answered_by_its_resolution(client, body_dk):
    # rules.md §7 with a breach credit: opened 09:00, resolved 09:30 within the 1 h response target, and
    # the helpdesk's first reply logged at 12:00, after the resolution. Without that reply the ticket is
    # met (ff1db85: a resolution answers the ticket); with it, the response clock ran on past the
    # resolution to 12:00, breached by 2 h and credited 500.00 DKK for a ticket answered in 30 minutes.
    body_dk["contract"]["policy"] = {"template": "oneoffice-dk", "overrides": {"ticket_targets": {"priorities": {
        "high": {"response": "1h", "resolution": "2h", "clock": "calendar", "breach_credit": "500.00"}}}}}
    body_dk["support_cases"] = []
    ticket = {"id": "T-1", "priority": "high", "opened_at": "2026-10-06T09:00:00+02:00",
              "resolved_at": "2026-10-06T09:30:00+02:00"}
    body_dk["tickets"] = [ticket]
    without_reply = client.post("/v1/calculations", json=body_dk).json["tickets"]
    body_dk["tickets"] = [{**ticket, "first_response_at": "2026-10-06T12:00:00+02:00"}]
    response = client.post("/v1/calculations", json=body_dk)
    assert response.status_code == 200, response.json
    tickets = response.json["tickets"]
    assert tickets["items"][0]["response"] == {"target_seconds": 3600, "elapsed_seconds": 1800, "status": "met"}
    assert tickets == without_reply
    assert (tickets["items"][0]["breached"], tickets["compliance"], tickets["breach_credit_total"]) == \
        (False, {"high": "100"}, "0.00")
    assert response.json["credit_total"] == "0.00" and response.json["lines"] == []
    # the stored statement reads the stored ticket alike
    assert client.put("/v1/contracts/dk-support", json=body_dk["contract"]).status_code == 201
    assert client.post("/v1/contracts/dk-support/tickets", json=body_dk["tickets"][0]).status_code == 201
    preview = client.get("/v1/contracts/dk-support/statements/2026-10?as_of=2026-11-01T00:00:00Z")
    assert preview.json["tickets"] == tickets


@pytest.mark.parametrize("text, says", [
    ('{"contract": {"id": "x\\u0000"}}', "NUL"),  # JSON (RFC 8259 escapes it), refused for PostgreSQL
    ('{"contract": {"id": "x\\ud800"}}', "surrogate"),  # JSON, but not Unicode
    (b'{"contract": "\xff"}', "UTF-8"),
    ('{"contract": {"id": "x"},\n "period": "2026-09",}', "line 2"),  # a trailing comma: where it is
    # json's message ends in "at": it said "Unterminated string starting at at line 1, column 14"
    ('{"contract": "abc', "Unterminated string starting at line 1, column 14."),
    # in words: it said "unusable JSON: RecursionError" and "unusable JSON: ValueError" (the review)
    ("[" * 100_000, "it is nested too deeply"),
    ('{"as_of": ' + "9" * 5000 + "}", "a number in it has too many digits"),
])
def test_a_400_for_a_body_it_cannot_read_says_why_on_every_endpoint(client, text, says):
    # It said "The body is not valid JSON." to a body that any JSON parser reads (a NUL escaped as \u0000 in
    # a description copied from a C string), and to one whose error is on line 2, without a word of which:
    # the reason was known (jsonio names it, the CLI prints it) and dropped.
    for url, method in (("/v1/calculations", client.post), ("/v1/contracts/acme-3cx/incidents", client.post),
                        ("/v1/contracts/acme-3cx", client.put)):
        response = method(url, data=text, content_type="application/json")
        assert response.status_code == 400 and response.json["code"] == "malformed_json", (url, response.json)
        assert says in response.json["detail"], (url, response.json["detail"])
        assert "at at" not in response.json["detail"] and "Error" not in response.json["detail"]
