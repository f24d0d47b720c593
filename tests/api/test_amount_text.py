"""An amount sent as a string is written as openapi.yaml's pattern says: Decimal() also took " 100",
"+100", "1e5" and "100.", which the spec refuses. Contracts stored before the rule still read."""
import copy
import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import func, select

from creditsvc import db
from creditsvc.canonical import digest, plain
from creditsvc.db import models
from creditsvc.policies import DECIMAL_PATHS, _legacy_decimals, deep_merge, template_document
from creditsvc.policies.schema import PolicySchema
from creditsvc.schemas.calculation import CalculationRequestSchema
from creditsvc.schemas.contract import ContractSchema
from creditsvc.schemas.fastload import HandOver, compile_json_load
from creditsvc.schemas.fields import Amount, StrictDecimal
from creditsvc.schemas.records import SupportCaseSchema
from tests.api.conftest import CONTRACT_DK, OCTOBER_DK
from tests.calculators.factories import fast

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text("utf-8"))
# The pattern as a client's validator reads it: JSON Schema's \d (ECMA-262) is 0-9 only
DOCUMENTED = re.compile(SPEC["components"]["schemas"]["Fee"]["properties"]["amount"]["pattern"], re.ASCII)
SAYS = ['Not a valid amount: digits with an optional decimal part, such as "1095.50".']
SAYS_NUMBER = ['Not a valid number: digits with an optional decimal part, such as "99.8".']  # not an amount

TAKEN_BEFORE = [" 100", "100 ", "+100", "1e5", "1E+2", "100.", ".5", "100\n", "\t100"]  # by Decimal(), stripped
BAD = TAKEN_BEFORE + ["\u0661\u0660\u0660", "1_000", "Infinity", "NaN", "1,5", ""]
GOOD = ["100", "100.5", "0.0001", "0", "1095.00"]


def documented(text: str) -> bool:
    return DOCUMENTED.search(text) is not None and "\n" not in text  # ECMA's $ is the end, not a final \n


def contracts(app) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(models.Contract)).scalar_one()


def test_every_amount_field_of_a_request_states_the_pattern():
    amounts = [SPEC["components"]["schemas"][schema]["properties"][name]
               for schema, name in (("Fee", "amount"), ("PolicyFines", "base_amount"), ("PolicyFines", "max_fine"),
                                    ("PolicyLevelRates", "1"), ("PolicyLevelRates", "2"),
                                    ("PolicySupport", "mileage_rate"), ("PolicyTarget", "breach_credit"))]
    assert all(amount["pattern"] == r"^-?\d+(\.\d+)?$" for amount in amounts), amounts


def test_every_decimal_field_of_a_request_states_the_pattern():
    # not only the amounts: percentages, hours, the multiplier and km were {type: [string, number]}
    # and their bounds, which let " 99.8", "+2" and "1e1" look valid by the spec
    decimals = {(schema, name): prop for schema, body in SPEC["components"]["schemas"].items()
                for name, prop in (body.get("properties") or {}).items()
                if isinstance(prop.get("type"), list) and {"string", "number"} <= set(prop["type"])}
    for named in (("PolicyUptime", "commitment_percent"), ("PolicyUptime", "credit_cap_percent"),
                  ("PolicyUptime", "maintenance_notice_hours"), ("PolicyBand", "from_percent"),
                  ("PolicyBand", "credit_percent"), ("PolicyOutage", "block_hours"), ("PolicyOutage", "days_per_block"),
                  ("PolicyOutage", "maintenance_notice_hours"), ("PolicyFines", "multiplier"),
                  ("PolicyDiscounts", "GOD"), ("PolicySupport", "after_hours_surcharge_percent"),
                  ("PolicySupport", "vat_percent"), ("SupportCase", "km")):
        assert named in decimals
    assert {named: prop.get("pattern") for named, prop in decimals.items()} == \
        {named: r"^-?\d+(\.\d+)?$" for named in decimals}


@pytest.mark.parametrize("text", BAD, ids=repr)
def test_an_amount_string_the_spec_refuses_is_a_422_naming_the_field_and_nothing_is_stored(client, app, text):
    contract = {**copy.deepcopy(CONTRACT_DK), "fee": {"amount": text, "per": "month"}}
    put = client.put("/v1/contracts/dk-support", json=contract)
    assert put.status_code == 422 and put.json["errors"] == {"fee.amount": SAYS}, put.json
    rates = {"template": "oneoffice-dk", "overrides": {"support_billing": {"rates": {"1": text, "2": "1095"}}}}
    put = client.put("/v1/contracts/dk-support", json={**CONTRACT_DK, "policy": rates})
    assert put.status_code == 422 and put.json["errors"] == {"policy.overrides.support_billing.rates.1": SAYS}
    assert client.get("/v1/contracts/dk-support").status_code == 404 and contracts(app) == 0

    body = {**copy.deepcopy(OCTOBER_DK), "contract": contract}
    calculated = client.post("/v1/calculations", json=body)
    assert calculated.status_code == 422 and calculated.json["errors"] == {"contract.fee.amount": SAYS}
    body["contract"] = {**CONTRACT_DK, "policy": rates}
    calculated = client.post("/v1/calculations", json=body)
    assert calculated.status_code == 422
    assert calculated.json["errors"] == {"contract.policy.overrides.support_billing.rates.1": SAYS}


@pytest.mark.parametrize("text", TAKEN_BEFORE, ids=repr)
def test_the_fast_load_of_a_calculation_never_takes_an_amount_string_the_spec_refuses(text):
    body = {**copy.deepcopy(OCTOBER_DK), "contract": {**CONTRACT_DK, "fee": {"amount": text, "per": "month"}}}
    with pytest.raises(HandOver):  # marshmallow then decides (the 422 above)
        compile_json_load(CalculationRequestSchema())(json.dumps(body).encode())


@pytest.mark.parametrize("text", [" 40", "40 ", "+40", "4e1", "4E+1", "40.", ".5", "40\n", "\t40"], ids=repr)
def test_the_fast_load_of_a_calculation_never_takes_a_km_or_percentage_string_the_spec_refuses(text):
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"][1]["km"] = text  # a record's decimal, loaded by the fast load's own fields
    with pytest.raises(HandOver):
        compile_json_load(CalculationRequestSchema())(json.dumps(body).encode())
    body = {**copy.deepcopy(OCTOBER_DK), "contract": {**CONTRACT_DK, "policy": {
        "template": "oneoffice-dk", "overrides": {"support_billing": {"vat_percent": text}}}}}
    with pytest.raises(HandOver):
        compile_json_load(CalculationRequestSchema())(json.dumps(body).encode())


def test_plain_amount_strings_and_json_numbers_are_taken_an_exponent_only_as_a_number(client):
    for text in GOOD:
        fee = text if text != "0.0001" else "100"  # a DKK fee has 2 decimals; a rate per km up to 4
        contract = {**CONTRACT_DK, "fee": {"amount": fee, "per": "month"},
                    "policy": {"template": "oneoffice-dk", "overrides": {"support_billing": {"mileage_rate": text}}}}
        put = client.put("/v1/contracts/dk-support", json=contract)
        assert put.status_code in (200, 201), (text, put.json)
        assert put.json["policy"]["overrides"]["support_billing"]["mileage_rate"] == text
        calculated = client.post("/v1/calculations", json={**copy.deepcopy(OCTOBER_DK), "contract": contract})
        assert calculated.status_code == 200, (text, calculated.json)
    # rules.md §1: a JSON number is read as a Decimal, exponent and all; the string "1E+3" is refused
    for written, status, echoed in (('"1E+3"', 422, None), ('1E+3', 201, "1000"), ('1000.50', 201, "1000.5")):
        contract_id = f"dk-{len(written)}"
        raw = json.dumps({**CONTRACT_DK, "id": contract_id, "fee": {"amount": "FEE", "per": "month"}})
        put = client.put(f"/v1/contracts/{contract_id}", data=raw.replace('"FEE"', written),
                         content_type="application/json")
        assert put.status_code == status, (written, put.json)
        assert echoed is None or put.json["fee"]["amount"] == echoed


LEGACY_OVERRIDES = {"support_billing": {"rates": {"1": " 800", "2": "1.095E+3"}, "mileage_rate": "+3.52"},
                    "ticket_targets": {"priorities": {"P1": {"breach_credit": "1e2"}}}}
LEGACY_SENT = {**CONTRACT_DK, "id": "dk-legacy", "fee": {"amount": "1e3 ", "per": "month"},
               "policy": {"template": "oneoffice-dk", "overrides": LEGACY_OVERRIDES}}


@pytest.fixture
def stored_before_the_rule(app):
    """dk-legacy as a release before the rule stored LEGACY_SENT: the fee as its dump wrote it, the
    policy's amounts as they were sent."""
    policy_document = plain(deep_merge(template_document("oneoffice-dk"), LEGACY_OVERRIDES))
    document = {"id": "dk-legacy", "customer": {"name": CONTRACT_DK["customer"]["name"], "address": None,
                                                "tax_id": "DK12345678", "email": None},
                "currency": "DKK", "locale": "da", "timezone": "Europe/Copenhagen",
                "fee": {"amount": "1000", "per": "month"}, "starts_on": "2026-01-01", "ends_on": None,
                "support_agreement": None, "delivery": None, "policy": LEGACY_SENT["policy"]}
    then = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with app.app_context():
        db.session().add(models.Contract(id="dk-legacy", document=document, policy_document=policy_document,
                                         policy_version=digest(policy_document), currency="DKK",
                                         timezone="Europe/Copenhagen", created_at=then, updated_at=then))
        db.session().commit()
    return document


def test_a_contract_stored_before_the_rule_still_reads_and_its_terms_put_again_are_200(client, app,
                                                                                       stored_before_the_rule):
    assert client.get("/v1/contracts/dk-legacy").json == stored_before_the_rule
    case = {**OCTOBER_DK["support_cases"][0]}  # 7 minutes of 1st level, billed 15 at 800 an hour
    posted = client.post("/v1/contracts/dk-legacy/support-cases", json=case)
    assert posted.status_code == 201, posted.json
    statement = client.get("/v1/contracts/dk-legacy/statements/2026-10")
    assert statement.status_code == 200, statement.json
    assert statement.json["support"]["lines"][0]["amount"] == "200.00"

    again = client.put("/v1/contracts/dk-legacy", json=LEGACY_SENT)  # a nightly sync, byte for byte
    assert again.status_code == 200, again.json
    assert again.json == stored_before_the_rule
    with app.app_context():
        assert db.session().get(models.Contract, "dk-legacy").updated_at == datetime(2026, 10, 1, tzinfo=timezone.utc)

    # any change is held to the rule, and so is the same contract under another id
    changed = client.put("/v1/contracts/dk-legacy", json={**LEGACY_SENT, "locale": "en"})
    assert changed.status_code == 422
    assert set(changed.json["errors"]) == {"fee.amount", "policy.overrides.support_billing.rates.1",
                                           "policy.overrides.support_billing.rates.2",
                                           "policy.overrides.support_billing.mileage_rate",
                                           "policy.overrides.ticket_targets.priorities.P1.breach_credit"}
    elsewhere = client.put("/v1/contracts/dk-other", json={**LEGACY_SENT, "id": "dk-other"})
    assert elsewhere.status_code == 422 and "fee.amount" in elsewhere.json["errors"]
    assert client.get("/v1/contracts/dk-legacy").json == stored_before_the_rule


def schema_decimals(schema, path=()):
    """(path, field) of every StrictDecimal a schema loads, its nested schemas' too; "*" in a path is any
    item of a list or map (a band, a priority)."""
    for name, field in schema._declared_fields.items():
        key = field.data_key or name
        many = getattr(field, "inner", None) or getattr(field, "value_field", None)  # a list's, a map's
        nested = getattr(field, "nested", None) or getattr(many, "nested", None)
        if isinstance(field, StrictDecimal):
            yield path + (key,), field
        elif nested is not None:
            yield from schema_decimals(nested() if isinstance(nested, type) else nested,
                                       path + (key,) + (("*",) if many is not None else ()))


def test_the_stored_policy_reading_rewrites_every_decimal_field_of_the_policy():
    # DECIMAL_PATHS must name every StrictDecimal of schema.py (amounts, percentages, hours, the
    # multiplier), or a stored " 800" or "+99.8" there stops reading
    assert sorted(path for path, _ in schema_decimals(PolicySchema())) == sorted(DECIMAL_PATHS)
    stored = {"ticket_targets": {"priorities": {"P1": {"breach_credit": " 1"}, "P2": {}}}}
    assert _legacy_decimals(stored)["ticket_targets"]["priorities"] == {"P1": {"breach_credit": 1}, "P2": {}}
    assert stored["ticket_targets"]["priorities"]["P1"]["breach_credit"] == " 1"  # not changed in place
    # a list's items (the uptime bands) are each rewritten, and what is not a band is left as it is
    bands = {"uptime": {"commitment_percent": "+99.8", "bands": [{"from_percent": "0", "credit_percent": "1e1"},
                                                                 {"from_percent": " 95."}, "not a band"]}}
    assert _legacy_decimals(bands)["uptime"] == {
        "commitment_percent": Decimal("99.8"),
        "bands": [{"from_percent": "0", "credit_percent": 10}, {"from_percent": 95}, "not a band"]}
    assert bands["uptime"]["bands"][0]["credit_percent"] == "1e1"



# every decimal a request carries: a policy's (percentages, hours, the multiplier, amounts), a fee, km
DECIMALS = [(".".join(part for part in path if part != "*"), field)
            for schema, name in ((PolicySchema(), "policy"), (ContractSchema(), "contract"),
                                 (SupportCaseSchema(), "support_case"))
            for path, field in schema_decimals(schema, (name,))]


@pytest.mark.parametrize("text", TAKEN_BEFORE + ["1.", "+1", " 1", "1e1", "0.5 ", "\u0661", "1_0"], ids=repr)
def test_every_decimal_field_refuses_a_string_the_spec_refuses_as_an_amount_does(text):
    assert {"policy.uptime.commitment_percent", "policy.uptime.bands.from_percent", "policy.outage_credit.block_hours",
            "policy.repeat_bug_fines.multiplier", "support_case.km"} <= {path for path, _ in DECIMALS}
    refused = {}
    for path, field in DECIMALS:
        try:
            field.deserialize(text)
        except ValidationError as error:
            refused[path] = error.messages
    assert refused == {path: SAYS if isinstance(field, Amount) else SAYS_NUMBER for path, field in DECIMALS}
    assert {path for path, field in DECIMALS if not isinstance(field, Amount)} >= {"support_case.km",
                                                                                  "policy.repeat_bug_fines.multiplier"}


@pytest.mark.parametrize("written, read", [("1", 1), ("0.5", Decimal("0.5")), ("25.000", 25), ("0", 0),
                                           (Decimal("2E+1"), 20), (2, 2)], ids=repr)
def test_every_decimal_field_takes_a_plain_string_and_a_json_number(written, read):
    for path, field in DECIMALS:
        if path.endswith("multiplier") and read < 1 or path.endswith(("block_hours", "days_per_block")) and read == 0:
            continue  # below the field's range
        assert field.deserialize(written) == read, path


@fast(300)
@given(st.one_of(st.text(), st.from_regex(r"\s?[+-]?[0-9\u0660-\u0669_]*[.,]?[0-9]*([eE][+-]?[0-9]+)?\s?", fullmatch=True),
                 st.decimals(allow_nan=True, allow_infinity=True).map(str)))
@example(" 100")
@example("100\n")
@example("1e5")
@example(" 1")
@example("1.")
@example(".5")
@example("+1")
@example("1e1")
def test_every_string_a_decimal_field_takes_matches_the_documented_pattern(text):
    # amounts among them (a fee, a policy's rates and fines): this property was first theirs alone
    for path, field in DECIMALS:
        try:
            field.deserialize(text)
        except ValidationError:
            continue
        assert documented(text), (path, text)
