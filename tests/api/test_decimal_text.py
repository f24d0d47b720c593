"""Every decimal sent as a string, not only an amount, is written as openapi.yaml's pattern says:
Decimal() also took " 99.8", "+2", "2e0", "24." and ".5" for a percentage, the multiplier, an outage's
block_hours and days_per_block, notice hours and a support case's km, which the spec refuses. A JSON
number is still read as a number (rules.md §1). Contracts stored before the rule still read, and a PUT
repeating their terms is 200 (as tests/api/test_amount_text.py shows for amounts)."""
import copy
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from creditsvc import db
from creditsvc.canonical import digest, plain
from creditsvc.calculators.records import SupportCase
from creditsvc.db import models
from creditsvc.policies import deep_merge, template_document
from creditsvc.services.records import ingest
from tests.api.conftest import CONTRACT_3CX, CONTRACT_DK, OCTOBER_DK, SEPTEMBER_3CX
from tests.api.test_amount_text import SAYS_NUMBER as SAYS  # none of these is an amount


def lenient(value: str) -> list[str]:
    """The forms of a valid `value` that Decimal() took and the pattern refuses."""
    forms = [f" {value}", f"{value} ", f"+{value}", f"{value}e0", f"{value}E+0", f"\t{value}", f"{value}\n"]
    if "." not in value:
        forms.append(f"{value}.")  # "24."
    if value.startswith("0."):
        forms.append(value[1:])  # ".5"
    return forms


# (template, the overrides around the decimal, its path under overrides, a value the field takes)
FIELDS = {
    "commitment_percent": ("3cx-vn", "uptime.commitment_percent", "99"),
    "band from_percent": ("3cx-vn", "uptime.bands.1.from_percent", "0.5"),
    "band credit_percent": ("3cx-vn", "uptime.bands.1.credit_percent", "10"),
    "credit_cap_percent": ("3cx-vn", "uptime.credit_cap_percent", "50"),
    "uptime maintenance_notice_hours": ("hvn", "uptime.maintenance_notice_hours", "24"),
    "block_hours": ("1office", "outage_credit.block_hours", "0.5"),
    "days_per_block": ("1office", "outage_credit.days_per_block", "0.5"),
    "outage maintenance_notice_hours": ("1office", "outage_credit.maintenance_notice_hours", "24"),
    "multiplier": ("1office", "repeat_bug_fines.multiplier", "2"),
    "agreement discount": ("oneoffice-dk", "support_billing.agreement_discounts.GOD", "0.5"),
    "after_hours_surcharge_percent": ("oneoffice-dk", "support_billing.after_hours_surcharge_percent", "100"),
    "vat_percent": ("oneoffice-dk", "support_billing.vat_percent", "25"),
}
CONTRACTS = {"3cx-vn": CONTRACT_3CX, "hvn": CONTRACT_3CX, "1office": CONTRACT_3CX, "oneoffice-dk": CONTRACT_DK}
BANDS = [{"from_percent": "0", "credit_percent": "25", "termination_right": True},
         {"from_percent": "94.5", "credit_percent": "10"}]


def overrides_with(path: str, value) -> dict:
    """Overrides that set the decimal at `path` (a band's in a list of two) to `value`."""
    parts = path.split(".")
    if parts[:2] == ["uptime", "bands"]:
        bands = copy.deepcopy(BANDS)
        bands[int(parts[2])][parts[3]] = value
        return {"uptime": {"bands": bands}}
    node: dict = {}
    out = node
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def contract_with(name: str, value) -> dict:
    template, path, _ = FIELDS[name]
    return {**copy.deepcopy(CONTRACTS[template]),
            "policy": {"template": template, "overrides": overrides_with(path, value)}}


def body_for(contract: dict) -> dict:
    body = copy.deepcopy(OCTOBER_DK if contract["currency"] == "DKK" else SEPTEMBER_3CX)
    if not contract["policy"]["template"] == "3cx-vn":
        body.pop("tickets", None)  # the P1 of 3cx-vn; other templates name their priorities otherwise
    return {**body, "contract": contract}


def rows(app, model) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(model)).scalar_one()


POLICY_CASES = [pytest.param(name, text, id=f"{name}-{text!r}")
                for name, (_, _, value) in FIELDS.items() for text in lenient(value)]


@pytest.mark.parametrize("name, text", POLICY_CASES)
def test_a_policy_decimal_string_the_spec_refuses_is_a_422_naming_the_field_and_nothing_is_stored(client, app,
                                                                                                 name, text):
    contract = contract_with(name, text)
    field = "policy.overrides." + FIELDS[name][1]
    put = client.put(f"/v1/contracts/{contract['id']}", json=contract)
    assert put.status_code == 422 and put.json["errors"] == {field: SAYS}, put.json
    assert client.get(f"/v1/contracts/{contract['id']}").status_code == 404 and rows(app, models.Contract) == 0
    calculated = client.post("/v1/calculations", json=body_for(contract))
    assert calculated.status_code == 422 and calculated.json["errors"] == {f"contract.{field}": SAYS}, calculated.json


@pytest.mark.parametrize("name", FIELDS)
def test_a_policy_decimal_written_plainly_or_as_a_json_number_is_taken(client, name):
    value = FIELDS[name][2]
    contract = contract_with(name, value)
    put = client.put(f"/v1/contracts/{contract['id']}", json=contract)
    assert put.status_code == 201, put.json
    assert client.post("/v1/calculations", json=body_for(contract)).status_code == 200
    # rules.md §1: a JSON number is read as a Decimal, exponent and all ("2e0" as a string is refused)
    raw = json.dumps(contract_with(name, "VALUE")).replace('"VALUE"', f"{value}E+0")
    again = client.put(f"/v1/contracts/{contract['id']}", data=raw, content_type="application/json")
    assert again.status_code in (200, 201), again.json
    calculation = json.dumps(body_for(contract_with(name, "VALUE"))).replace('"VALUE"', f"{value}e0")
    assert client.post("/v1/calculations", data=calculation, content_type="application/json").status_code == 200


CASE = {"id": "case-km", "started_at": "2026-10-06T15:30:00+02:00", "ended_at": "2026-10-06T16:30:00+02:00",
        "level": 2}
KM_CASES = [pytest.param(text, id=repr(text)) for value in ("40", "0.5") for text in lenient(value)] + \
    [pytest.param(text, id=repr(text)) for text in ("1e5", "\u0664\u0660", "1_0", "4,5", "")]


@pytest.mark.parametrize("text", KM_CASES)
def test_a_support_case_km_string_the_spec_refuses_is_a_422_naming_the_field_and_nothing_is_stored(client, app,
                                                                                                  text):
    assert client.put("/v1/contracts/dk-support", json=CONTRACT_DK).status_code == 201
    posted = client.post("/v1/contracts/dk-support/support-cases", json={**CASE, "km": text})
    assert posted.status_code == 422 and posted.json["errors"] == {"km": SAYS}, posted.json
    batch = client.post("/v1/contracts/dk-support/support-cases", json={"items": [CASE | {"id": "other"},
                                                                                   {**CASE, "km": text}]})
    assert batch.status_code == 422 and batch.json["errors"] == {"items.1.km": SAYS}, batch.json
    assert rows(app, models.SupportCase) == 0

    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"][1]["km"] = text
    calculated = client.post("/v1/calculations", json=body)
    assert calculated.status_code == 422 and calculated.json["errors"] == {"support_cases.1.km": SAYS}, calculated.json


def test_a_km_written_plainly_or_as_a_json_number_is_taken(client):
    assert client.put("/v1/contracts/dk-support", json=CONTRACT_DK).status_code == 201
    for number, (written, echoed) in enumerate((('"40"', "40"), ('"0.5"', "0.5"), ('"12.50"', "12.5"),
                                                ("4E+1", "40"), ("1e5", "100000"), ("40", "40"))):
        raw = json.dumps({**CASE, "id": f"case-{number}", "km": "KM"}).replace('"KM"', written)
        posted = client.post("/v1/contracts/dk-support/support-cases", data=raw, content_type="application/json")
        assert posted.status_code == 201, (written, posted.json)
        assert posted.json["items"][0]["record"]["km"] == echoed
        calculation = json.dumps({**OCTOBER_DK, "support_cases": [{**CASE, "km": "KM"}]}).replace('"KM"', written)
        calculated = client.post("/v1/calculations", data=calculation, content_type="application/json")
        assert calculated.status_code == 200, (written, calculated.json)


# As a release before the rule took them: every decimal of the policy written as Decimal() read it
LEGACY_3CX = {"uptime": {"commitment_percent": " 99.8", "credit_cap_percent": "100.",
                         "bands": [{"from_percent": "0", "credit_percent": "2.5e1", "termination_right": True},
                                   {"from_percent": "+94.5", "credit_percent": ".1E+2"}]},
              "outage_credit": {"block_hours": "2 ", "days_per_block": ".5", "maintenance_notice_hours": "\t24"},
              "repeat_bug_fines": {"base_amount": "500000", "multiplier": "+2"}}
LEGACY_DK = {"support_billing": {"agreement_discounts": {"GOD": "1e1"}, "after_hours_surcharge_percent": "1E+2",
                                 "vat_percent": "25.\n"}}
LEGACY = {  # id: (contract, template, overrides, the fields a new contract must state otherwise)
    "vn-legacy": (CONTRACT_3CX, "3cx-vn", LEGACY_3CX, {
        "uptime.commitment_percent", "uptime.credit_cap_percent", "uptime.bands.0.credit_percent",
        "uptime.bands.1.from_percent", "uptime.bands.1.credit_percent", "outage_credit.block_hours",
        "outage_credit.days_per_block", "outage_credit.maintenance_notice_hours", "repeat_bug_fines.multiplier"}),
    "dk-legacy": (CONTRACT_DK, "oneoffice-dk", LEGACY_DK, {
        "support_billing.agreement_discounts.GOD", "support_billing.after_hours_surcharge_percent",
        "support_billing.vat_percent"}),
}
THEN = datetime(2026, 10, 1, tzinfo=timezone.utc)


def store_as_before(app, contract_id: str) -> tuple[dict, dict]:
    """contract_id as a release before the rule stored it: the policy as it was sent. Returns (what
    was sent, the stored document)."""
    contract, template, overrides, _ = LEGACY[contract_id]
    sent = {**copy.deepcopy(contract), "id": contract_id, "policy": {"template": template, "overrides": overrides}}
    policy_document = plain(deep_merge(template_document(template), overrides))
    customer = {"address": None, "tax_id": None, "email": None, **contract["customer"]}
    document = {"id": contract_id, "customer": customer, "currency": contract["currency"], "locale": contract["locale"],
                "timezone": contract["timezone"], "fee": contract["fee"], "starts_on": contract["starts_on"],
                "ends_on": None, "support_agreement": None, "delivery": None, "policy": sent["policy"]}
    with app.app_context():
        db.session().add(models.Contract(id=contract_id, document=document, policy_document=policy_document,
                                         policy_version=digest(policy_document), currency=contract["currency"],
                                         timezone=contract["timezone"], created_at=THEN, updated_at=THEN))
        db.session().commit()
    return sent, document


@pytest.mark.parametrize("contract_id", LEGACY)
def test_a_contract_stored_before_the_rule_still_reads_and_its_terms_put_again_are_200(client, app, contract_id):
    sent, document = store_as_before(app, contract_id)
    assert client.get(f"/v1/contracts/{contract_id}").json == document
    month = "2026-09" if contract_id == "vn-legacy" else "2026-10"
    records = ("incidents", SEPTEMBER_3CX["incidents"][0]) if contract_id == "vn-legacy" else \
        ("support-cases", {**CASE, "started_at": "2026-10-06T17:30:00+02:00", "ended_at": "2026-10-06T18:30:00+02:00"})
    assert client.post(f"/v1/contracts/{contract_id}/{records[0]}", json=records[1]).status_code == 201
    statement = client.get(f"/v1/contracts/{contract_id}/statements/{month}")
    assert statement.status_code == 200, statement.json
    if contract_id == "vn-legacy":  # 2.5 hours down: 99.6527 %, in the band from "+94.5" crediting ".1E+2" %
        assert statement.json["uptime"]["commitment_percent"] == "99.8"
        assert statement.json["uptime"]["band_from_percent"] == "94.5"
        assert statement.json["uptime"]["credit_percent"] == "10"
    else:  # an hour of 2nd level after 16:00: 1095 + the "1E+2" % surcharge, and "25.\n" % VAT on it
        assert statement.json["support"]["lines"][0]["amount"] == "2190.00"
        assert statement.json["support"]["vat_percent"] == "25"

    again = client.put(f"/v1/contracts/{contract_id}", json=sent)  # a nightly sync, byte for byte
    assert again.status_code == 200, again.json
    assert again.json == document
    with app.app_context():
        assert db.session().get(models.Contract, contract_id).updated_at == THEN

    # any change is held to the rule, and so is the same contract under another id
    changed = client.put(f"/v1/contracts/{contract_id}", json={**sent, "locale": "en"})
    assert changed.status_code == 422
    assert changed.json["errors"] == {f"policy.overrides.{path}": SAYS for path in LEGACY[contract_id][3]}
    elsewhere = client.put("/v1/contracts/another", json={**sent, "id": "another"})
    assert elsewhere.status_code == 422 and set(elsewhere.json["errors"]) == set(changed.json["errors"])
    assert client.post("/v1/calculations", json={**body_for(sent), "period": month}).status_code == 422
    assert client.get(f"/v1/contracts/{contract_id}").json == document


SENT_BEFORE = {**CASE, "km": " 12", "description": "Nulstilling"}  # as a release before the rule took it


def store_case_as_before(app) -> None:
    """SENT_BEFORE as that release stored it: Decimal(" 12") is 12."""
    case = SupportCase(SENT_BEFORE["id"], datetime(2026, 10, 6, 13, 30, tzinfo=timezone.utc),
                       datetime(2026, 10, 6, 14, 30, tzinfo=timezone.utc), "2", Decimal(" 12"), "Nulstilling")
    with app.app_context():
        assert ingest(db.session(), "dk-support", "support_cases", [case])[0]["status"] == "created"


def stored_cases(app) -> dict[str, tuple]:
    with app.app_context():
        return {row.id: (row.km, row.ended_at, row.content_hash, row.updated_at)
                for row in db.session().execute(select(models.SupportCase)).scalars()}


@pytest.mark.parametrize("km", [" 12", "+12", "12.", "1.2e1", "12\n"])
def test_a_support_case_stored_before_the_rule_and_sent_again_as_then_is_200_unchanged(client, app, km):
    assert client.put("/v1/contracts/dk-support", json=CONTRACT_DK).status_code == 201
    store_case_as_before(app)
    before = stored_cases(app)
    again = client.post("/v1/contracts/dk-support/support-cases", json={**SENT_BEFORE, "km": km})  # a nightly sync
    assert again.status_code == 200, again.json
    assert again.json["unchanged"] == 1 and again.json["items"][0]["record"]["km"] == "12"
    # in a batch with a new case: the old one unchanged, the new one stored
    new = {**CASE, "id": "case-new", "km": "3"}
    batch = client.post("/v1/contracts/dk-support/support-cases", json={"items": [{**SENT_BEFORE, "km": km}, new]})
    assert batch.status_code == 201, batch.json
    assert [(item["id"], item["status"]) for item in batch.json["items"]] == [("case-km", "unchanged"),
                                                                               ("case-new", "created")]
    after = stored_cases(app)
    assert after.pop("case-new")[0] == Decimal(3) and after == before


def test_a_lenient_km_is_still_refused_for_a_new_case_a_changed_one_or_a_supersede(client, app):
    assert client.put("/v1/contracts/dk-support", json=CONTRACT_DK).status_code == 201
    store_case_as_before(app)
    before = stored_cases(app)
    refusals = {
        "a new case": ({**SENT_BEFORE, "id": "case-other"}, ""),
        "another end": ({**SENT_BEFORE, "ended_at": "2026-10-06T16:45:00+02:00"}, ""),
        "another km": ({**SENT_BEFORE, "km": " 13"}, ""),
        "asked to supersede": (SENT_BEFORE, "?supersede=true"),
    }
    for name, (body, query) in refusals.items():
        posted = client.post(f"/v1/contracts/dk-support/support-cases{query}", json=body)
        assert posted.status_code == 422 and posted.json["errors"] == {"km": SAYS}, (name, posted.json)
        batch = client.post(f"/v1/contracts/dk-support/support-cases{query}",
                            json={"items": [{**CASE, "id": "case-new"}, body]})
        assert batch.status_code == 422 and batch.json["errors"] == {"items.1.km": SAYS}, (name, batch.json)
    # another contract holds no such case, and an error elsewhere in the item stands beside the km's
    assert client.put("/v1/contracts/dk-other", json={**CONTRACT_DK, "id": "dk-other"}).status_code == 201
    elsewhere = client.post("/v1/contracts/dk-other/support-cases", json=SENT_BEFORE)
    assert elsewhere.status_code == 422 and elsewhere.json["errors"] == {"km": SAYS}, elsewhere.json
    wrong = client.post("/v1/contracts/dk-support/support-cases", json={**SENT_BEFORE, "level": 3})
    assert wrong.status_code == 422 and set(wrong.json["errors"]) == {"km", "level"}, wrong.json
    assert stored_cases(app) == before
