"""The stored service: contracts, idempotent records, statements, credit notes, renewal summaries, roles.

Each test runs on SQLite and, when CREDITSVC_TEST_DATABASE_URL is set, on PostgreSQL.
"""
import copy
import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from creditsvc import db
from creditsvc.db import models
from creditsvc.services import records as records_service
from tests.api.conftest import CONTRACT_3CX, CONTRACT_DK, OCTOBER_DK, SEPTEMBER_3CX
from tests.conftest import TODAY

INCIDENT = SEPTEMBER_3CX["incidents"][0]


def put_contract(client, contract=CONTRACT_3CX, **changes):
    body = {**copy.deepcopy(contract), **changes}
    response = client.put(f"/v1/contracts/{body['id']}", json=body)
    assert response.status_code in (200, 201), response.json
    return body


def count(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session().execute(query).scalar_one()


def test_putting_a_contract_creates_it_then_is_idempotent_then_replaces(client):
    first = client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX)
    assert first.status_code == 201
    assert client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX).status_code == 200
    changed = client.put("/v1/contracts/acme-3cx", json={**CONTRACT_3CX, "fee": {"amount": "1", "per": "month"}})
    assert changed.status_code == 200 and changed.json["fee"] == {"amount": "1", "per": "month"}
    got = client.get("/v1/contracts/acme-3cx").json
    assert got["fee"]["amount"] == "1" and got["policy"] == {"template": "3cx-vn"}


EARLIER_TERMS = {**CONTRACT_3CX, "policy": {"template": "3cx-vn", "overrides": {"uptime": {"commitment_percent": "99.80005"}}}}
EDGE_ERROR = {"policy.overrides.uptime.commitment_percent": ["At most 4 decimal places, the digits uptime_percent shows."]}


@pytest.fixture
def stored_by_an_earlier_release(client, monkeypatch):
    """acme-3cx stored with a commitment of 5 decimals, as a release before that rule stored it."""
    from creditsvc import policies
    with monkeypatch.context() as earlier:
        earlier.setattr(policies, "_refuse_new_input", lambda *_: None)
        assert client.put("/v1/contracts/acme-3cx", json=EARLIER_TERMS).status_code == 201
    policies._cache.clear()  # what that release resolved is not today's answer
    return client.get("/v1/contracts/acme-3cx").json


def test_terms_stored_before_a_policy_rule_are_unchanged_when_put_again_as_they_are(client, app,
                                                                                     stored_by_an_earlier_release):
    # a nightly sync re-sending the stored terms byte for byte was refused with 422 after the rule came in
    with app.app_context():
        before = db.session().get(models.Contract, "acme-3cx").updated_at
    again = client.put("/v1/contracts/acme-3cx", json=EARLIER_TERMS)
    assert again.status_code == 200, again.json
    assert again.json == stored_by_an_earlier_release
    without_id = client.put("/v1/contracts/acme-3cx", json={k: v for k, v in EARLIER_TERMS.items() if k != "id"})
    assert without_id.status_code == 200
    with app.app_context():
        assert db.session().get(models.Contract, "acme-3cx").updated_at == before


def test_a_change_to_terms_stored_before_a_policy_rule_is_held_to_the_rule(client, stored_by_an_earlier_release):
    changed = client.put("/v1/contracts/acme-3cx", json={**EARLIER_TERMS, "fee": {"amount": "1", "per": "month"}})
    assert changed.status_code == 422 and changed.json["errors"] == EDGE_ERROR
    elsewhere = client.put("/v1/contracts/other", json={**EARLIER_TERMS, "id": "other"})
    assert elsewhere.status_code == 422 and elsewhere.json["errors"] == EDGE_ERROR
    mismatched = client.put("/v1/contracts/other", json=EARLIER_TERMS)  # the body names acme-3cx
    assert mismatched.status_code == 422 and mismatched.json["errors"] == EDGE_ERROR
    assert client.get("/v1/contracts/acme-3cx").json == stored_by_an_earlier_release


@pytest.mark.parametrize("depth", [500, 600, 900, 990])
def test_a_put_whose_policy_nests_about_as_deep_as_python_recurses_is_a_4xx_not_a_500(client, depth):
    # The strict road refused it (422); the road that looks for repeated stored terms then recursed into a 500.
    deep = '{"a": ' * depth + "{}" + "}" * depth  # written out: json.dumps itself would not recurse that deep
    for policy in ('{"template": "3cx-vn", "overrides": {"uptime": DEEP}}', '{"name": "x", "uptime": DEEP}'):
        body = json.dumps({**CONTRACT_3CX, "policy": "POLICY"}).replace('"POLICY"', policy.replace("DEEP", deep))
        response = client.put("/v1/contracts/acme-3cx", data=body, content_type="application/json")
        assert response.status_code in (400, 422), response.json
        assert response.mimetype == "application/problem+json"


def test_a_contract_whose_body_id_differs_from_the_path_is_refused(client):
    response = client.put("/v1/contracts/other", json=CONTRACT_3CX)
    assert response.status_code == 422 and "id" in response.json["errors"]


def test_an_unknown_contract_is_a_404_problem(client):
    response = client.get("/v1/contracts/nobody")
    assert response.status_code == 404 and response.json["code"] == "contract_not_found"
    assert client.post("/v1/contracts/nobody/incidents", json=INCIDENT).status_code == 404


def test_a_record_is_created_once_and_repeating_it_changes_nothing(client, app):
    put_contract(client)
    first = client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    assert first.status_code == 201 and first.json["items"][0]["status"] == "created"
    again = client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    assert again.status_code == 200 and again.json["unchanged"] == 1
    # the same instant written in another offset is the same content
    utc = {**INCIDENT, "started_at": "2026-09-10T02:00:00Z", "ended_at": "2026-09-10T04:30:00Z"}
    assert client.post("/v1/contracts/acme-3cx/incidents", json=utc).status_code == 200
    assert count(app, models.Incident) == 1


def test_a_ticket_sent_again_with_its_pauses_in_another_order_is_unchanged(client, app):
    # The same pauses in another order were "other content": 409 record_conflict on a retry from a
    # system that lists them unordered.
    put_contract(client)
    pauses = [{"start": "2026-09-10T12:00:00+07:00", "end": "2026-09-10T13:00:00+07:00"},
              {"start": "2026-09-10T10:00:00+07:00", "end": "2026-09-10T10:30:00+07:00"}]
    ticket = {"id": "t-p", "priority": "P1", "opened_at": "2026-09-10T09:00:00+07:00",
              "resolved_at": "2026-09-10T15:00:00+07:00", "pauses": pauses}
    assert client.post("/v1/contracts/acme-3cx/tickets", json=ticket).status_code == 201
    again = client.post("/v1/contracts/acme-3cx/tickets", json={**ticket, "pauses": pauses[::-1]})
    assert again.status_code == 200 and again.json["items"][0]["status"] == "unchanged"
    stored = again.json["items"][0]["record"]["pauses"]
    assert [p["start"] for p in stored] == ["2026-09-10T03:00:00Z", "2026-09-10T05:00:00Z"]
    moved = {**ticket, "pauses": [pauses[0], {**pauses[1], "end": "2026-09-10T10:45:00+07:00"}]}
    assert client.post("/v1/contracts/acme-3cx/tickets", json=moved).status_code == 409


def test_a_ticket_stored_with_its_pauses_as_sent_is_still_unchanged_when_sent_again_so(client, app):
    # Tickets stored before the pauses were put in order were hashed as sent.
    from creditsvc.canonical import digest
    from creditsvc.db.models import Ticket
    from creditsvc.schemas.records import TicketSchema
    from creditsvc.services.records import _as_sent

    put_contract(client)
    pauses = [{"start": "2026-09-10T12:00:00+07:00", "end": "2026-09-10T13:00:00+07:00"},
              {"start": "2026-09-10T10:00:00+07:00", "end": "2026-09-10T10:30:00+07:00"}]
    ticket = {"id": "t-old", "priority": "P1", "opened_at": "2026-09-10T09:00:00+07:00", "pauses": pauses}
    assert client.post("/v1/contracts/acme-3cx/tickets", json=ticket).status_code == 201
    with app.app_context():
        row = db.session().get(Ticket, ("acme-3cx", "t-old"))
        row.content_hash = digest(_as_sent("tickets", TicketSchema().load(ticket)))
        db.session().commit()
    again = client.post("/v1/contracts/acme-3cx/tickets", json=ticket)
    assert again.status_code == 200 and again.json["items"][0]["status"] == "unchanged"


@pytest.mark.parametrize("flag", ["yes", 1, "true", None])
def test_a_policy_flag_is_json_true_or_false(client, flag):
    # marshmallow's Boolean took "yes" and 1 for cash_refund and termination_right
    overrides = {"application": {"cash_refund": flag}}
    response = client.put("/v1/contracts/acme-3cx", json={**CONTRACT_3CX, "policy": {
        "template": "3cx-vn", "overrides": overrides}})
    assert response.status_code == 422
    assert "policy.overrides.application.cash_refund" in response.json["errors"]


def test_a_stored_policy_with_a_flag_written_yes_before_flags_were_strict_still_reads(client, app):
    put_contract(client)
    with app.app_context():
        from creditsvc.db.models import Contract

        row = db.session().get(Contract, "acme-3cx")
        document = copy.deepcopy(row.policy_document)
        document["application"]["cash_refund"] = "yes"
        document["uptime"]["bands"][0]["termination_right"] = "0"
        row.policy_document = document
        row.policy_version = "legacy-flags"
        db.session().commit()
    response = client.get("/v1/contracts/acme-3cx/statements/2026-09")
    assert response.status_code == 200 and response.json["application"]["cash_refund"] is True


def test_a_stored_policy_with_business_hours_written_before_they_had_to_be_hh_mm_and_yyyy_mm_dd_still_reads(
        client, app):
    # int() and fromisoformat took these at the door, and the document kept them as sent
    put_contract(client, OCTOBER_DK["contract"])
    with app.app_context():
        from creditsvc.db.models import Contract

        row = db.session().get(Contract, "dk-support")
        document = copy.deepcopy(row.policy_document)
        document["business_hours"].update(start="+8:00", end="\u0661\u0666:00", extra_closed_dates=["2026-W37-4"])
        row.policy_document = document
        row.policy_version = "legacy-hours"
        db.session().commit()
    case = {"id": "c1", "level": 1, "started_at": "2026-09-10T10:00:00+02:00", "ended_at": "2026-09-10T11:00:00+02:00"}
    posted = client.post("/v1/contracts/dk-support/support-cases", json=case)
    assert posted.status_code == 201, posted.json
    response = client.get("/v1/contracts/dk-support/statements/2026-09")
    assert response.status_code == 200
    # Thursday 10 September 2026 (2026-W37-4) is closed: the hour is after hours
    assert [line["kind"] for line in response.json["support"]["lines"]] == ["after_hours"]


def test_a_record_with_the_same_id_and_other_content_is_a_409_unless_it_supersedes(client, app):
    put_contract(client)
    client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    changed = {**INCIDENT, "ended_at": "2026-09-10T12:00:00+07:00"}
    conflict = client.post("/v1/contracts/acme-3cx/incidents", json=changed)
    assert conflict.status_code == 409 and conflict.json["code"] == "record_conflict"
    assert "id" in conflict.json["errors"]
    replaced = client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=changed)
    assert replaced.status_code == 201 and replaced.json["replaced"] == 1
    statement = client.get("/v1/contracts/acme-3cx/statements/2026-09").json
    assert statement["uptime"]["downtime_seconds"] == 3 * 3600


def test_a_batch_stores_every_item_or_none(client, app):
    put_contract(client)
    good = [{**INCIDENT, "id": f"inc-{k}"} for k in range(3)]
    bad = good + [{**INCIDENT, "id": "inc-bad", "started_at": "2026-09-10T09:00:00"}]
    refused = client.post("/v1/contracts/acme-3cx/incidents", json={"items": bad})
    assert refused.status_code == 422 and "items.3.started_at" in refused.json["errors"]
    assert count(app, models.Incident) == 0
    client.post("/v1/contracts/acme-3cx/incidents", json={"items": good[:1]})
    clash = good[1:] + [{**INCIDENT, "id": "inc-0", "cause": "isp"}]
    conflict = client.post("/v1/contracts/acme-3cx/incidents", json={"items": clash})
    assert conflict.status_code == 409 and "items.2.id" in conflict.json["errors"]
    assert count(app, models.Incident) == 1
    stored = client.post("/v1/contracts/acme-3cx/incidents", json={"items": good})
    assert stored.status_code == 201 and (stored.json["created"], stored.json["unchanged"]) == (2, 1)


def test_batch_limits_are_a_422_for_too_many_items_and_a_413_for_too_large_a_body(client, app):
    put_contract(client)
    many = [{**INCIDENT, "id": f"i{k}"} for k in range(1001)]
    response = client.post("/v1/contracts/acme-3cx/incidents", json={"items": many})
    assert response.status_code == 422 and "items" in response.json["errors"]
    huge = {**INCIDENT, "description": "x" * (6 * 1024 * 1024)}
    response = client.post("/v1/contracts/acme-3cx/incidents", json=huge)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert response.json["title"] == "Content Too Large"  # RFC 9110's name, not werkzeug's older one
    assert count(app, models.Incident) == 0


def _chunked(client, path, body: bytes):
    """A POST as gunicorn hands it over for Transfer-Encoding: chunked: no Content-Length, and an
    input stream the server ends (wsgi.input_terminated)."""
    return client.post(path, input_stream=io.BytesIO(body), content_type="application/json",
                       environ_overrides={"wsgi.input_terminated": True,
                                                           "HTTP_TRANSFER_ENCODING": "chunked"})


@pytest.mark.parametrize("path", ["/v1/contracts/acme-3cx/incidents", "/v1/calculations"])
def test_a_chunked_body_over_the_limit_is_a_413_not_cut_off_at_the_limit(client, app, path):
    # Werkzeug's stream stops at MAX_CONTENT_LENGTH without a word when no Content-Length was sent:
    # a valid record followed by 5 MB of spaces and garbage was stored, the rest never read.
    put_contract(client)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    record = json.dumps(INCIDENT if "incidents" in path else SEPTEMBER_3CX).encode()
    response = _chunked(client, path, record + b" " * 5000 + b"GARBAGE, NOT JSON")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert count(app, models.Incident) == 0


def test_a_chunked_body_up_to_the_limit_is_read_whole(client, app):
    put_contract(client)
    body = json.dumps(INCIDENT).encode()
    app.config["MAX_CONTENT_LENGTH"] = len(body)
    assert _chunked(client, "/v1/contracts/acme-3cx/incidents", body).status_code == 201
    assert count(app, models.Incident) == 1


def test_a_status_has_one_title_whichever_road_refused_the_request(client):
    # A schema's 422 said "Unprocessable Content", a rule's 422 (a bad period) "Unprocessable Entity".
    put_contract(client)
    by_schema = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-13"})
    by_rule = client.get("/v1/contracts/acme-3cx/statements/2026-13")
    assert by_schema.status_code == by_rule.status_code == 422
    assert by_schema.json["code"] == "validation_error" and by_rule.json["code"] == "invalid_period"
    assert by_schema.json["title"] == by_rule.json["title"] == "Unprocessable Content"


def test_duplicate_ids_inside_one_batch_are_refused(client, app):
    put_contract(client)
    response = client.post("/v1/contracts/acme-3cx/incidents", json={"items": [INCIDENT, INCIDENT]})
    assert response.status_code == 422 and "items.1.id" in response.json["errors"]


def test_sixteen_concurrent_identical_posts_store_one_record(app, client_as, client):
    put_contract(client)
    barrier = threading.Barrier(16)

    def post(_):
        own = client_as("billing")
        barrier.wait()
        return own.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(post, range(16)))
    assert sorted(statuses) == [200] * 15 + [201]
    assert count(app, models.Incident) == 1


def _store_september(client, body=SEPTEMBER_3CX):
    put_contract(client, body["contract"])
    cid = body["contract"]["id"]
    for kind in ("incidents", "bug_occurrences", "support_cases", "tickets"):
        if body.get(kind):
            response = client.post(f"/v1/contracts/{cid}/{kind.replace('_', '-')}", json={"items": body[kind]})
            assert response.status_code == 201, response.json
    return cid


@pytest.mark.parametrize("body", [SEPTEMBER_3CX, OCTOBER_DK], ids=["3cx-uptime", "dk-support"])
def test_the_stored_statement_equals_the_calculation_of_the_same_data(client, body):
    cid = _store_september(client, body)
    calculated = client.post("/v1/calculations", json=body).json
    stored = client.get(f"/v1/contracts/{cid}/statements/{body['period']}?as_of={body['as_of']}").json
    assert stored == calculated


def test_an_as_of_whose_plus_came_unencoded_says_to_send_it_as_2b_and_any_other_bad_one_is_refused_as_before(client):
    put_contract(client)
    url = "/v1/contracts/acme-3cx/statements/2026-09?as_of="
    unencoded = client.get(url + "2026-10-01T00:00:00+07:00")  # the query's + arrives as a space
    assert unencoded.status_code == 422
    assert unencoded.json["errors"]["query.as_of"] == [
        "A '+' in a URL's query reads as a space: send the offset's + as %2B (2026-10-01T00:00:00%2B07:00)."]
    encoded = client.get(url + "2026-10-01T00:00:00%2B07:00")
    assert encoded.status_code == 200 and encoded.json["status"] == "final"
    # nor where a + would not help: no such day or hour, a fraction of a second, a year past 2200
    for other in ["2026-10-01 00:00:00Z", "2026-10-01T00:00:00 25:00", "2026-10-01T00:00:00 07",
                  "2026-02-30T00:00:00 07:00", "2026-10-01T25:00:00 07:00", "2026-10-01T00:00:00.5 07:00",
                  "2300-10-01T00:00:00 07:00"]:
        refused = client.get(url + other.replace(" ", "%20"))
        assert refused.status_code == 422 and refused.json["errors"]["query.as_of"] == ["Not a valid RFC 3339 timestamp."]


@pytest.mark.parametrize("period", ["2026-13", "0000-01", "0001-01", "1969-12", "2200-01", "9999-12",
                                    "20\uff126-09", "\uff12\uff10\uff12\uff16-09", "2026-\u0660\u0669"])
def test_a_bad_or_far_statement_or_note_period_is_a_422_naming_the_period(client, period):
    put_contract(client)
    response = client.get(f"/v1/contracts/acme-3cx/statements/{period}")
    assert response.status_code == 422 and "period" in response.json["errors"]
    response = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": period})
    assert response.status_code == 422 and "period" in response.json["errors"]


@pytest.mark.parametrize("period", ["1970-01", "2199-12"])
def test_the_first_and_last_months_a_period_label_allows_have_a_statement(client, period):
    # 2199-12 passed the label's check, then the statement looked for 2200-01 and refused (422)
    put_contract(client)
    response = client.get(f"/v1/contracts/acme-3cx/statements/{period}")
    assert response.status_code == 200 and response.json["period"]["label"] == period


def test_a_month_has_one_note_whatever_digits_its_label_is_written_in(client):
    # Python's \d took fullwidth digits: "20２6-09" was a second label of September 2026, which issued a
    # second live note for the month (and a third for "202６-09"), and left records of September open.
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    assert first.status_code == 201
    for label in ("20\uff126-09", "202\uff16-09"):
        again = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": label})
        assert again.status_code == 422 and "period" in again.json["errors"], again.json
    summary = client.get("/v1/contracts/acme-3cx/renewal-summary").json
    assert [note["number"] for note in summary["credit_notes"]] == [first.json["number"]]


def test_issuing_a_credit_note_freezes_the_statement_under_the_next_number(client, app):
    _store_september(client)
    issued = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    assert issued.status_code == 201, issued.json
    note = issued.json
    assert note["number"].startswith("CN-") and note["number"].endswith("-000001")
    assert note["status"] == "issued" and note["supersedes"] is None and note["credit_total"] == "400000"
    assert issued.headers["Location"] == f"/v1/credit-notes/{note['number']}"
    again = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    assert again.status_code == 200 and again.json == note
    assert client.get(f"/v1/credit-notes/{note['number']}").json == note


def test_numbers_run_cn_year_000001_000002_in_each_year_of_issue(client):
    from datetime import datetime, timezone

    from creditsvc import db
    from creditsvc.services import credit_notes

    _store_september(client)
    for month, day in (("10", "02"), ("11", "03")):
        incident = {**INCIDENT, "id": f"m{month}", "started_at": f"2026-{month}-{day}T09:00:00+07:00",
                    "ended_at": f"2026-{month}-{day}T12:00:00+07:00"}
        assert client.post("/v1/contracts/acme-3cx/incidents", json=incident).status_code == 201
    issued = []
    with client.application.app_context():
        for period, now in (("2026-09", datetime(2026, 10, 5, 3, 0, tzinfo=timezone.utc)),
                            ("2026-10", datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)),  # still 2026 in HCM
                            ("2026-11", datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc))):  # 1 Jan 2027 in HCM
            issued.append(credit_notes.issue(db.session(), "acme-3cx", period, now=now)[0].number)
    assert issued == ["CN-2026-000001", "CN-2026-000002", "CN-2027-000001"]
    assert [client.get(f"/v1/credit-notes/{n}").json["period"]["label"] for n in issued] == \
           ["2026-09", "2026-10", "2026-11"]


def test_bug_occurrences_whose_fine_could_not_be_stored_are_refused_and_nothing_is_stored(client, app):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "id": "fines", "policy": {"template": "1office"}}
    put_contract(client, body["contract"])
    fine = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-{1 + k // 24:02d}T{k % 24:02d}:00:00Z"}
            for k in range(97)]  # occurrence 97: 500,000 x 2^95 > 10^34
    before = count(app, models.BugOccurrence)
    response = client.post("/v1/contracts/fines/bug-occurrences", json={"items": fine + [{**fine[0], "id": "ok",
                                                                                           "bug_id": "C"}]})
    assert response.status_code == 422 and response.json["code"] == "amount_overflow", response.json
    assert set(response.json["errors"]) == {f"items.{k}.bug_id" for k in range(98)}  # C's too: same month
    assert count(app, models.BugOccurrence) == before
    # 60 occurrences fit (500,000 x 2^58 < 10^34): stored, and the statement computes
    assert client.post("/v1/contracts/fines/bug-occurrences", json={"items": fine[:60]}).status_code == 201
    assert client.get("/v1/contracts/fines/statements/2026-09").status_code == 200
    # ... and one more at a time is refused once the fine would not fit
    late = client.post("/v1/contracts/fines/bug-occurrences", json={"items": fine[60:]})
    assert late.status_code == 422 and late.json["code"] == "amount_overflow"
    one = client.post("/v1/contracts/fines/bug-occurrences",
                      json={**fine[0], "id": "one", "occurred_at": "2026-09-30T00:00:00Z"})
    assert one.status_code == 201  # the 61st occurrence fits
    assert client.post("/v1/contracts/fines/bug-occurrences", json={"items": fine[61:95]}).status_code == 201
    single = client.post("/v1/contracts/fines/bug-occurrences", json=fine[95])  # fines 2..96 add up past 10^34
    assert single.status_code == 422 and set(single.json["errors"]) == {"bug_id"}
    assert count(app, models.BugOccurrence) == before + 95


def test_the_fines_check_is_the_statements_own_month_by_month_and_over_every_bug(client):
    contract = {**CONTRACT_3CX, "id": "months", "policy": {"template": "1office"}}
    put_contract(client, contract)

    def occurrences(bug, month, count, first=0):
        return [{"id": f"{bug}{month}-{k}", "bug_id": bug, "occurred_at": f"2026-{month:02d}-{1 + k // 24:02d}T{k % 24:02d}:00:00Z"}
                for k in range(first, first + count)]

    # 64 in January, then the 65th in February: each month's fines fit (Feb: one fine of 500,000 x 2^63)
    assert client.post("/v1/contracts/months/bug-occurrences", json={"items": occurrences("A", 1, 64)}).status_code == 201
    assert client.post("/v1/contracts/months/bug-occurrences", json={"items": occurrences("A", 2, 1)}).status_code == 201
    for month in ("2026-01", "2026-02"):
        assert client.get(f"/v1/contracts/months/statements/{month}").status_code == 200
    # two bugs whose fines fit one by one but not together in one month: refused, nothing stored
    assert client.post("/v1/contracts/months/bug-occurrences", json={"items": occurrences("B", 3, 95)}).status_code == 201
    both = client.post("/v1/contracts/months/bug-occurrences", json={"items": occurrences("C", 3, 95)})
    assert both.status_code == 422 and both.json["code"] == "amount_overflow"
    assert client.get("/v1/contracts/months/statements/2026-03").status_code == 200


def test_a_bug_occurrence_in_local_december_1969_is_stored_and_its_month_computes(client):
    # 1970-01-01T03:00Z is 31 December 1969 in Los Angeles: the fines check named that month by a label
    # no period may have and refused the record (422 "periods lie between 1970 and 2199")
    contract = {**CONTRACT_3CX, "id": "la", "timezone": "America/Los_Angeles", "starts_on": "1970-01-01",
                "policy": {"template": "1office"}}
    put_contract(client, contract)
    occurrence = {"id": "b1", "bug_id": "X", "occurred_at": "1970-01-01T03:00:00Z"}
    response = client.post("/v1/contracts/la/bug-occurrences", json=occurrence)
    assert response.status_code == 201, response.json


def test_new_terms_that_would_make_stored_fines_too_large_to_store_are_refused(client):
    contract = {**CONTRACT_3CX, "id": "terms", "policy": {"template": "1office"}}
    put_contract(client, contract)
    occurrences = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"} for k in range(9)]
    assert client.post("/v1/contracts/terms/bug-occurrences", json={"items": occurrences}).status_code == 201
    huge = {**contract, "policy": {"template": "1office", "overrides": {
        "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "1000"}}}}
    response = client.put("/v1/contracts/terms", json=huge)
    assert response.status_code == 422 and response.json["code"] == "amount_overflow"
    assert "policy" in response.json["errors"]
    assert client.get("/v1/contracts/terms").json["policy"] == {"template": "1office"}
    assert client.get("/v1/contracts/terms/statements/2026-09").status_code == 200


def test_a_record_in_an_issued_period_is_refused_and_the_note_never_changes(client):
    _store_september(client)
    note = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    late = {**INCIDENT, "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
            "ended_at": "2026-09-20T23:00:00+07:00"}
    refused = client.post("/v1/contracts/acme-3cx/incidents", json=late)
    assert refused.status_code == 409 and refused.json["code"] == "period_locked"
    bug = {"id": "b", "bug_id": "X", "occurred_at": "2026-09-21T00:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/bug-occurrences", json=bug).status_code == 409
    assert client.get(f"/v1/credit-notes/{note['number']}").json == note
    # a later period is open
    october = {**late, "id": "oct", "started_at": "2026-10-02T09:00:00+07:00", "ended_at": "2026-10-02T10:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents", json=october).status_code == 201


def test_a_correction_supersedes_and_voids_the_old_note_which_stays_readable(client):
    _store_september(client)
    old = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    late = {**INCIDENT, "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
            "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=late).status_code == 201
    new = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert new.status_code == 201
    assert new.json["supersedes"] == old["number"] and new.json["number"] != old["number"]
    assert new.json["uptime"]["credit_percent"] == "6"  # 26.5 h down of 720 h: 96.319 % -> [95.5, 96.5) -> 6 %
    voided = client.get(f"/v1/credit-notes/{old['number']}").json
    assert voided["status"] == "void" and voided["superseded_by"] == new.json["number"]
    assert {k: v for k, v in voided.items() if k not in ("status", "superseded_by")} == \
           {k: v for k, v in old.items() if k not in ("status", "superseded_by")}
    # issuing again now returns the correction
    assert client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"] == \
           new.json["number"]


def test_a_contracts_credit_notes_are_listed_in_issue_order_void_ones_too_and_by_period(client):
    # An accountant could fetch a note only by its number, which only the issuing client and
    # close-period's output knew: a note whose 201 was lost on a timeout could not be found.
    _store_september(client)
    assert client.get("/v1/contracts/acme-3cx/credit-notes").json == {"items": []}
    old = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    late = {**INCIDENT, "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
            "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=late).status_code == 201
    new = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True}).json
    october = {**INCIDENT, "id": "oct", "started_at": "2026-10-05T09:00:00+07:00", "ended_at": "2026-10-05T12:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents", json=october).status_code == 201
    later = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-10"}).json
    listed = client.get("/v1/contracts/acme-3cx/credit-notes")
    assert listed.status_code == 200
    fields = ("number", "period", "status", "issued_at", "currency", "credit_total", "supersedes", "superseded_by")
    assert listed.json["items"] == [
        {**{k: note[k] for k in fields}, "period": note["period"]["label"]}
        for note in (client.get(f"/v1/credit-notes/{n['number']}").json for n in (old, new, later))]
    assert [(i["number"], i["status"], i["credit_total"]) for i in listed.json["items"]] == \
        [(old["number"], "void", "400000"), (new["number"], "issued", new["credit_total"]),
         (later["number"], "issued", later["credit_total"])]
    september = client.get("/v1/contracts/acme-3cx/credit-notes?period=2026-09").json["items"]
    assert [i["number"] for i in september] == [old["number"], new["number"]]
    assert client.get("/v1/contracts/acme-3cx/credit-notes?period=2026-11").json == {"items": []}
    bad = client.get("/v1/contracts/acme-3cx/credit-notes?period=September")
    assert bad.status_code == 422 and "query.period" in bad.json["errors"]
    missing = client.get("/v1/contracts/nobody/credit-notes")
    assert missing.status_code == 404 and missing.json["type"].endswith("contract_not_found")


def test_a_correction_with_nothing_to_correct_returns_the_live_note_and_uses_no_number(client):
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json == first
    late = {**INCIDENT, "id": "late", "started_at": "2026-09-20T09:00:00+07:00", "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=late).status_code == 201
    correction = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert correction.status_code == 201 and correction.json["supersedes"] == first["number"]
    retried = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert retried.status_code == 200 and retried.json == correction.json  # a retry after a timeout
    assert correction.json["number"].endswith("-000002")  # 000001, then 000002: none used up
    assert client.get(f"/v1/credit-notes/{first['number']}").json["superseded_by"] == correction.json["number"]


@pytest.mark.parametrize("rewritten", [
    {"fee": {"amount": "20000000.00", "per": "month"}},
    {"fee": {"amount": 2E+7, "per": "month"}},  # sent as the JSON number 20000000.0
    {"policy": {"template": "3cx-vn", "overrides": {}}},
    # the template's own 99.8 %, written another way
    {"policy": {"template": "3cx-vn", "overrides": {"uptime": {"commitment_percent": "99.80"}}}},
    # sent as the JSON number 99.8 (the string "9.98E+1" is a 422: a string is written as the spec's pattern)
    {"policy": {"template": "3cx-vn", "overrides": {"uptime": {"commitment_percent": 9.98E+1}}}},
], ids=["fee-with-decimals", "fee-as-json-number", "empty-overrides", "percent-with-a-trailing-zero",
        "percent-as-json-number"])
def test_a_correction_after_the_same_terms_are_put_again_in_other_words_is_the_live_note(client, rewritten):
    # The same fee written "20000000.00", the same policy with "overrides": {}, or a policy's 99.8 %
    # written "99.80", voided the note and issued the same figures under a new number.
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    put_contract(client, **rewritten)
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json == first
    assert client.get(f"/v1/credit-notes/{first['number']}").json["status"] == "issued"


def test_a_contract_echoes_its_fee_in_one_form_however_it_was_written(client):
    for written, echoed in (("20000000.00", "20000000"), ("0.0000", "0"), ("-0", "0"), ("1000.0000", "1000")):
        put_contract(client, fee={"amount": written, "per": "month"})
        assert client.get("/v1/contracts/acme-3cx").json["fee"]["amount"] == echoed
    put_contract(client, {**OCTOBER_DK["contract"], "fee": {"amount": "1000.5000", "per": "month"}})  # DKK
    assert client.get("/v1/contracts/dk-support").json["fee"]["amount"] == "1000.5"


def test_a_whole_number_written_with_a_decimal_point_is_a_whole_number_in_a_stored_policy(client):
    # "minimum_minutes": 30.0 was stored as the text "30.0", which the integer field refused on
    # reading: the contract was stored (201) and then unusable (422 invalid_policy on every write).
    dk = {**OCTOBER_DK["contract"], "policy": {"template": "oneoffice-dk",
                                              "overrides": {"support_billing": {"minimum_minutes": 30.0}}}}
    put_contract(client, dk)
    case = {**OCTOBER_DK["support_cases"][0]}  # 7 minutes, billed as the minimum
    posted = client.post("/v1/contracts/dk-support/support-cases", json=case)
    assert posted.status_code == 201, posted.json
    stored = client.get("/v1/contracts/dk-support/statements/2026-10")
    assert stored.status_code == 200 and stored.json["support"]["lines"][0]["seconds"] == 1800
    calculated = client.post("/v1/calculations", json={"contract": dk, "period": "2026-10",
                                                       "as_of": "2026-11-01T00:00:00Z", "support_cases": [case]})
    assert calculated.json == stored.json


def test_an_integer_policy_field_with_a_huge_exponent_is_refused_without_writing_out_its_digits(client):
    # int(Decimal("1E+1000000")) took 21 s of a worker before the range was checked
    dk = {**OCTOBER_DK["contract"], "policy": {"template": "oneoffice-dk",
                                              "overrides": {"support_billing": {"minimum_minutes": 1E+1000000}}}}
    text = json.dumps(dk).replace("Infinity", "1E+1000000")  # json.dumps writes the float as Infinity
    response = client.put("/v1/contracts/dk-support", data=text, content_type="application/json")
    assert response.status_code == 422
    assert response.json["errors"]["policy.overrides.support_billing.minimum_minutes"] == ["Number too large."]


@pytest.mark.parametrize("supersede", ["yes", 1, "true", 0, None])
def test_supersede_in_a_credit_note_request_is_json_true_or_false(client, supersede):
    # "yes" and 1 were taken as true: a correction (a void and a new number) from a wrong type
    _store_september(client)
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    response = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": supersede})
    assert response.status_code == 422 and "supersede" in response.json["errors"]


def test_a_contract_with_live_notes_keeps_its_currency_so_the_renewal_summary_never_mixes_them(client):
    _store_september(client)
    note = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    usd = {**CONTRACT_3CX, "currency": "USD", "policy": {"template": "3cx-vn", "overrides": {"currency": "USD"}}}
    response = client.put("/v1/contracts/acme-3cx", json=usd)
    assert response.status_code == 409 and response.json["code"] == "currency_locked"
    assert "currency" in response.json["errors"]
    summary = client.get("/v1/contracts/acme-3cx/renewal-summary").json
    assert summary["currency"] == "VND" and summary["credit_notes"][0]["number"] == note["number"]
    # other changes to the terms are still taken
    renamed = {**CONTRACT_3CX, "customer": {**CONTRACT_3CX["customer"], "name": "Công ty Mới"}}
    assert client.put("/v1/contracts/acme-3cx", json=renamed).status_code == 200


def test_a_retried_correction_is_the_live_note_even_while_a_ticket_of_the_month_is_still_open(client):
    from creditsvc.services.credit_notes import NUMBER

    _store_september(client)
    open_ticket = {"id": "t-open", "priority": "P4", "opened_at": "2026-09-29T09:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/tickets", json=open_ticket).status_code == 201
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    for _ in range(2):  # the open ticket's time so far grows with the clock; nothing else changed
        again = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
        assert again.status_code == 200 and again.json["number"] == first["number"]
    assert NUMBER.fullmatch("CN-2026-1000000")  # the millionth note of a year is still readable


def test_a_retried_correction_is_the_live_note_while_a_breached_ticket_of_the_month_is_unresolved(client, fixed_clock):
    # A breached target's time so far grows with the clock too: each retry a second later voided the
    # note and issued the same figures under a new number (16 retries on PostgreSQL used 3 numbers).
    _store_september(client)
    breached = {"id": "t-late", "priority": "P1", "opened_at": "2026-09-30T23:50:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/tickets", json=breached).status_code == 201
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    resolution = next(i for i in first["tickets"]["items"] if i["ticket_id"] == "t-late")["resolution"]
    assert resolution["status"] == "breached"
    for seconds in (1, 3600):
        fixed_clock.set(TODAY + timedelta(seconds=seconds))
        again = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
        assert again.status_code == 200 and again.json == first
    # a real change still corrects the note: the ticket resolved (its time fixed) is another note
    resolved = {**breached, "resolved_at": "2026-10-01T09:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/tickets?supersede=true", json=resolved).status_code == 201
    correction = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert correction.status_code == 201 and correction.json["supersedes"] == first["number"]


def test_a_note_requested_after_the_claim_window_is_refused(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "id": "hvn-1", "policy": {"template": "hvn"}}
    body["tickets"] = []
    body["incidents"] = [{**INCIDENT, "started_at": "2026-01-10T09:00:00+07:00",
                          "ended_at": "2026-01-10T11:30:00+07:00"}]
    _store_september(client, body)
    response = client.post("/v1/contracts/hvn-1/credit-notes", json={"period": "2026-01"})
    assert response.status_code == 422 and response.json["code"] == "claim_window_expired"


def test_a_note_for_a_period_that_has_not_ended_is_refused(client):
    put_contract(client)
    response = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2099-01"})
    assert response.status_code == 409 and response.json["code"] == "period_not_ended"


def test_a_period_that_owes_nothing_gets_no_note(client):
    put_contract(client)
    response = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-08"})
    assert response.status_code == 422 and response.json["code"] == "nothing_to_credit"


def test_an_unknown_credit_note_is_a_404(client):
    assert client.get("/v1/credit-notes/CN-2026-999999").status_code == 404


@pytest.mark.parametrize("path_id", ["%00", "x%00", "CN-2026-000001%00"])
def test_an_id_with_a_nul_is_a_404_on_every_path_not_a_500(client, path_id, monkeypatch):
    # PostgreSQL refuses to compare text with a NUL in it; such an id is never looked up
    for method, url in (("get", f"/v1/contracts/{path_id}"), ("get", f"/v1/credit-notes/{path_id}"),
                        ("get", f"/v1/contracts/{path_id}/renewal-summary"),
                        ("get", f"/v1/contracts/{path_id}/statements/2026-09"),
                        ("post", f"/v1/contracts/{path_id}/incidents"),
                        ("post", f"/v1/contracts/{path_id}/credit-notes")):
        body = {"json": INCIDENT if url.endswith("incidents") else {"period": "2026-09"}} if method == "post" else {}
        response = getattr(client, method)(url, **body)
        assert response.status_code == 404, (url, response.status_code)
        assert response.mimetype == "application/problem+json"
    # a km only an earlier release took (" 12") is refused unless the case is stored so: never looked up here
    case = {"id": "case-1", "started_at": "2026-10-06T10:00:00+02:00", "ended_at": "2026-10-06T10:07:00+02:00",
            "level": 1, "km": " 12"}
    def never(*args):  # PostgreSQL refuses the comparison; SQLite would find nothing and not tell
        raise AssertionError("a contract id with a NUL was looked up")

    monkeypatch.setattr(records_service, "all_stored_as_sent", never)
    lenient = client.post(f"/v1/contracts/{path_id}/support-cases", json=case)
    assert lenient.status_code == 422 and list(lenient.json["errors"]) == ["km"], lenient.json


def test_fifty_concurrent_issues_across_contracts_number_1_to_50_without_gaps(app, client_as, client):
    for k in range(50):
        cid = f"c{k:02d}"
        put_contract(client, CONTRACT_3CX, id=cid)
        client.post(f"/v1/contracts/{cid}/incidents", json=INCIDENT)
    barrier = threading.Barrier(10)

    def issue(k):
        own = client_as("billing")
        if k < 10:
            barrier.wait()
        return own.post(f"/v1/contracts/c{k:02d}/credit-notes", json={"period": "2026-09"})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(issue, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    numbers = sorted(int(r.json["number"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 51))


def test_the_renewal_summary_adds_licence_days_deductions_and_open_termination_rights(client):
    one = {**CONTRACT_3CX, "id": "one", "ends_on": "2027-01-01", "fee": {"amount": "12000000", "per": "month"},
           "policy": {"template": "1office"}}
    put_contract(client, one)
    critical = {**INCIDENT, "id": "c1", "started_at": "2026-09-10T09:00:00+07:00",
                "ended_at": "2026-09-10T14:10:00+07:00"}
    client.post("/v1/contracts/one/incidents", json=critical)
    client.post("/v1/contracts/one/credit-notes", json={"period": "2026-09"})
    summary = client.get("/v1/contracts/one/renewal-summary").json
    assert summary["license_extension_days"] == "1"
    assert summary["license_ends_on"] == "2027-01-02"
    assert summary["renewal_deduction_total"] == "0"

    put_contract(client, {**one, "id": "two", "delivery": "renewal_deduction"})
    client.post("/v1/contracts/two/incidents", json=critical)
    client.post("/v1/contracts/two/credit-notes", json={"period": "2026-09"})
    summary = client.get("/v1/contracts/two/renewal-summary").json
    assert summary["renewal_deduction_total"] == "400000" and summary["license_extension_days"] == "0"

    put_contract(client, {**CONTRACT_3CX, "id": "three"})
    outage = {**INCIDENT, "id": "big", "started_at": "2026-10-01T00:00:00+07:00",
              "ended_at": "2026-10-03T00:00:00+07:00"}  # 48 h of 744 h: 93.5 % -> 25 % and termination
    client.post("/v1/contracts/three/incidents", json=outage)
    note = client.post("/v1/contracts/three/credit-notes", json={"period": "2026-10"}).json
    summary = client.get("/v1/contracts/three/renewal-summary").json
    assert summary["termination_rights"] == [{"period": "2026-10", "credit_note": note["number"],
                                              "notice_deadline": "2026-11-30"}]


ENDPOINTS = [
    ("GET", "/v1/policy-templates", None, {"billing", "accounting", "sales"}),
    ("POST", "/v1/calculations", SEPTEMBER_3CX, {"billing"}),
    ("PUT", "/v1/contracts/acme-3cx", CONTRACT_3CX, {"billing"}),
    ("GET", "/v1/contracts/acme-3cx", None, {"billing", "accounting", "sales"}),
    ("POST", "/v1/contracts/acme-3cx/incidents", INCIDENT, {"billing"}),
    ("POST", "/v1/contracts/acme-3cx/bug-occurrences",
     {"id": "b1", "bug_id": "B", "occurred_at": "2026-10-02T00:00:00Z"}, {"billing"}),
    ("POST", "/v1/contracts/acme-3cx/support-cases",
     {"id": "s1", "started_at": "2026-10-02T09:00:00+07:00", "ended_at": "2026-10-02T10:00:00+07:00", "level": 1},
     {"billing"}),
    ("POST", "/v1/contracts/acme-3cx/tickets",
     {"id": "t1", "priority": "P1", "opened_at": "2026-10-02T09:00:00+07:00"}, {"billing"}),
    ("GET", "/v1/contracts/acme-3cx/statements/2026-09", None, {"billing", "accounting"}),
    ("POST", "/v1/contracts/acme-3cx/credit-notes", {"period": "2026-09"}, {"billing"}),
    ("GET", "/v1/contracts/acme-3cx/credit-notes", None, {"billing", "accounting"}),
    ("GET", "/v1/credit-notes/{number}", None, {"billing", "accounting"}),
    ("GET", "/v1/contracts/acme-3cx/renewal-summary", None, {"sales", "billing", "accounting"}),
]


def test_every_endpoint_answers_every_role_exactly_as_api_md_says(client, client_as):
    _store_september(client)
    number = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"]
    anonymous, wrong = client_as(None), client_as(None)
    wrong.environ_base["HTTP_AUTHORIZATION"] = "Bearer csk_not-a-key"
    for method, path, body, allowed in ENDPOINTS:
        path = path.format(number=number)
        for caller, expected in ((anonymous, 401), (wrong, 401)):
            response = caller.open(path, method=method, json=body)
            assert response.status_code == expected, (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        for role in ("admin", "billing", "accounting", "sales"):
            response = client_as(role).open(path, method=method, json=body)
            if role == "admin" or role in allowed:
                assert 200 <= response.status_code < 300, (method, path, role, response.json)
            else:
                assert response.status_code == 403, (method, path, role)
                assert response.json["status"] == 403
    assert client_as(None).get("/healthz").status_code == 200
    assert client_as(None).get("/openapi.yaml").status_code == 200


def _stored_rows(app) -> dict:
    return {model.__name__: count(app, model) for model in (models.Contract, models.Incident, models.BugOccurrence,
                                                            models.SupportCase, models.Ticket, models.CreditNote)}


def test_every_endpoint_refuses_a_query_parameter_it_does_not_take_and_stores_nothing(client, app):
    # `?asof=` for `?as_of=` computed the statement as of now without a word, and a typo on a record
    # POST stored it as if it had not been sent
    _store_september(client)
    number = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"]
    before = _stored_rows(app)
    for method, path, body, _ in ENDPOINTS:
        response = client.open(path.format(number=number) + "?asof=2026-10-01T00:00:00Z", method=method, json=body)
        assert response.status_code == 422, (method, path, response.json)
        assert response.json["errors"] == {"query.asof": ["Unknown field."]}, (method, path)
        assert response.mimetype == "application/problem+json"
    assert _stored_rows(app) == before


def test_a_statement_takes_as_of_and_refuses_it_misspelt(client):
    _store_september(client)
    as_of = SEPTEMBER_3CX["as_of"]
    assert client.get(f"/v1/contracts/acme-3cx/statements/2026-09?as_of={as_of}").status_code == 200
    refused = client.get(f"/v1/contracts/acme-3cx/statements/2026-09?as_of={as_of}&asof={as_of}&Format=pdf")
    assert refused.status_code == 422
    assert refused.json["errors"] == {"query.Format": ["Unknown field."], "query.asof": ["Unknown field."]}


def test_an_unknown_query_parameter_is_named_together_with_the_faults_of_the_known_ones(client):
    # `?lang=de&zz=1` named only zz: the client mended it and met the bad lang on its next request
    _store_september(client)
    refused = client.get("/v1/contracts/acme-3cx/statements/2026-09?lang=de&zz=1&as_of=yesterday&format=json")
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"query.zz", "query.lang", "query.as_of"}
    assert refused.json["errors"]["query.zz"] == ["Unknown field."]
    assert refused.json["errors"]["query.lang"] == client.get(
        "/v1/contracts/acme-3cx/statements/2026-09?lang=de").json["errors"]["query.lang"]
    assert refused.json["detail"] == "The request does not validate: see errors."


def test_an_unknown_query_parameter_is_looked_at_only_after_the_key_and_its_role(client_as):
    assert client_as(None).get("/v1/contracts/acme-3cx?x=1").status_code == 401
    assert client_as("sales").get("/v1/contracts/acme-3cx/statements/2026-09?x=1").status_code == 403


def test_the_spec_names_each_endpoints_roles_as_api_md_does():
    # a client that reads only openapi.yaml learned of a bearer key, not which role an operation needs
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text("utf-8"))
    templates = {re.sub(r"\{[^}]+\}", "{}", path): path for path in spec["paths"]}
    for method, path, _, allowed in ENDPOINTS:
        template = re.sub(r"/acme-3cx(?=/|$)", "/{}", path).replace("/2026-09", "/{}").replace("{number}", "{}")
        operation = spec["paths"][templates[template]][method.lower()]
        assert set(operation["x-roles"]) == {"admin", *allowed}, (method, path)
    keyed = [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and op.get("security")]
    assert keyed and all("x-roles" in op for op in keyed)
    issued = spec["paths"]["/v1/contracts/{contract_id}/credit-notes"]["post"]["responses"]["201"]
    assert set(issued["headers"]) == {"Location", "X-Request-ID"}


@pytest.mark.parametrize("path_id", ["x" * 65, "..", "with space", "ü", "trailing-newline%0A"])
def test_a_contract_put_under_an_invalid_path_id_is_a_422(client, app, path_id):
    body = {k: v for k, v in CONTRACT_3CX.items() if k != "id"}
    response = client.put(f"/v1/contracts/{path_id}", json=body)
    assert response.status_code in (404, 422), response.status_code
    assert count(app, models.Contract) == 0


def test_an_incident_ending_at_midnight_on_the_first_does_not_touch_the_locked_month(client):
    _store_september(client)
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    august = {**INCIDENT, "id": "aug", "started_at": "2026-08-31T20:00:00+07:00", "ended_at": "2026-09-01T00:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents", json=august).status_code == 201


def test_the_renewal_summary_also_reports_credits_the_policy_applies_otherwise(client):
    one = {**CONTRACT_3CX, "id": "fines", "fee": {"amount": "12000000", "per": "month"},
           "policy": {"template": "1office"}}
    put_contract(client, one)
    client.post("/v1/contracts/fines/bug-occurrences", json={"items": [
        {"id": "b1", "bug_id": "B", "occurred_at": "2026-08-01T00:00:00Z"},
        {"id": "b2", "bug_id": "B", "occurred_at": "2026-09-05T00:00:00Z"}]})
    client.post("/v1/contracts/fines/credit-notes", json={"period": "2026-09"})
    summary = client.get("/v1/contracts/fines/renewal-summary").json
    assert summary["renewal_deduction_total"] == "500000"  # 1office: fines are deducted at renewal
    put_contract(client, CONTRACT_3CX)
    client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    summary = client.get("/v1/contracts/acme-3cx/renewal-summary").json
    assert summary["credited_otherwise_total"] == "400000" and summary["renewal_deduction_total"] == "0"
    assert summary["credit_notes"][0]["application_mode"] == "next_quarter"
    assert summary["credit_notes"][0]["cash_refund"] is False


def test_the_renewal_summary_tells_a_refunded_credit_from_a_deducted_one(client):
    # a next-quarter credit of a term that ends first is refunded (seed 001): sales saw it as deducted
    put_contract(client, {**CONTRACT_3CX, "ends_on": "2026-10-01"})
    client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    assert client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).status_code == 201
    item = client.get("/v1/contracts/acme-3cx/renewal-summary").json["credit_notes"][0]
    assert (item["application_mode"], item["cash_refund"], item["credited_otherwise"]) == ("next_quarter", True, "400000")


def test_new_terms_may_not_drop_a_priority_stored_tickets_use(client):
    _store_september(client)
    body = {**CONTRACT_3CX, "policy": {"template": "3cx-vn", "overrides": {"ticket_targets": {"priorities": {"P1": None}}}}}
    response = client.put("/v1/contracts/acme-3cx", json=body)
    assert response.status_code == 422 and response.json["code"] == "policy_orphans_records"
    assert client.get("/v1/contracts/acme-3cx").json["policy"] == {"template": "3cx-vn"}


def test_a_record_write_and_a_note_issue_for_one_contract_never_interleave(app, client_as, client):
    """While a writer holds the contract, issuing waits, then freezes what the writer stored."""
    from creditsvc.services.contracts import get_contract_row
    from creditsvc.services.records import ingest
    from creditsvc.schemas.records import IncidentSchema

    _store_september(client)
    results = {}
    with app.app_context():
        session = db.session()
        get_contract_row(session, "acme-3cx", lock=True)  # as ingest does, before its lock check

        def issue():
            results["note"] = client_as("billing").post("/v1/contracts/acme-3cx/credit-notes",
                                                        json={"period": "2026-09"}).json
        thread = threading.Thread(target=issue)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "issuing must wait for the record writer"
        late = IncidentSchema().load({**INCIDENT, "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
                                      "ended_at": "2026-09-21T09:00:00+07:00"})
        ingest(session, "acme-3cx", "incidents", [late])  # same transaction: it commits, releasing the contract
        thread.join(timeout=30)
    assert results["note"]["uptime"]["credit_percent"] == "6"  # the note includes the late incident


def test_a_record_conflict_names_the_record_kind_with_its_article(client):
    put_contract(client)
    assert client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT).status_code == 201
    other = client.post("/v1/contracts/acme-3cx/incidents", json={**INCIDENT, "description": "other"})
    assert other.status_code == 409 and other.json["errors"]["id"][0].startswith("An incident 'inc-1' exists")


def test_a_ticket_is_checked_against_the_terms_in_force_when_it_is_stored(app, client):
    # A ticket's priority was checked against the contract as the request first read it. On
    # PostgreSQL a PUT to a policy without P1 could commit before the ticket took the contract's
    # lock: P1 tickets were stored, and the month's statement and note were 422 from then on.
    from creditsvc.calculators.errors import DomainError
    from creditsvc.services import records
    from creditsvc.services.contracts import get_contract_row

    put_contract(client)
    with app.app_context():
        session = db.session()
        assert get_contract_row(session, "acme-3cx").policy_document["ticket_targets"]["priorities"].get("P1")
        session.commit()  # the session keeps the row as it read it
        put_contract(client, policy={"template": "phanmemvang"})  # another request's PUT: only 'incident'
        ticket = records.RECORD_SCHEMAS["tickets"]().load(
            {"id": "t1", "priority": "P1", "opened_at": "2026-11-05T10:00:00+07:00"})
        with pytest.raises(DomainError) as refused:
            records.ingest(session, "acme-3cx", "tickets", [ticket])
        assert refused.value.code == "validation_error"
        assert refused.value.errors == {"0.priority": ["Unknown priority 'P1'; the policy defines incident."]}
    assert count(app, models.Ticket, contract_id="acme-3cx") == 0
    refused = client.post("/v1/contracts/acme-3cx/tickets", json={"id": "t1", "priority": "P1",
                                                                  "opened_at": "2026-11-05T10:00:00+07:00"})
    assert refused.status_code == 422 and refused.json["errors"] == {
        "priority": ["Unknown priority 'P1'; the policy defines incident."]}
    assert refused.json["detail"] == "The body does not validate: see errors."


# --- found by mutation testing ---

def test_a_support_case_sent_again_with_other_km_is_a_409(client, app):
    # km is content: a retry that drove another distance is not the same case
    put_contract(client, OCTOBER_DK["contract"])
    case = OCTOBER_DK["support_cases"][1]
    posted = client.post("/v1/contracts/dk-support/support-cases", json=case)
    assert posted.status_code == 201, posted.json
    conflict = client.post("/v1/contracts/dk-support/support-cases", json={**case, "km": 41})
    assert conflict.status_code == 409 and conflict.json["code"] == "record_conflict"
    assert client.get("/v1/contracts/dk-support/statements/2026-10").json["support"]["lines"][-1]["km"] == "40"


def test_an_open_incident_that_started_before_an_issued_month_is_refused(client):
    # still open, it runs on through September (to as_of): September's note would change
    _store_september(client)
    note = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    still_open = {**INCIDENT, "id": "open", "started_at": "2026-08-31T20:00:00+07:00", "ended_at": None}
    refused = client.post("/v1/contracts/acme-3cx/incidents", json=still_open)
    assert refused.status_code == 409 and refused.json["code"] == "period_locked"
    assert client.get(f"/v1/credit-notes/{note['number']}").json == note


def test_an_earlier_occurrence_of_a_fined_bug_is_refused_when_it_renumbers_an_issued_month(client):
    # rules.md §5: occurrences are numbered over the bug's whole history, so an August occurrence
    # makes September's 2nd occurrence the 3rd and doubles its fine
    put_contract(client, {**CONTRACT_3CX, "id": "fines", "policy": {"template": "1office"}})
    client.post("/v1/contracts/fines/bug-occurrences", json={"items": [
        {"id": "b1", "bug_id": "B", "occurred_at": "2026-09-05T00:00:00Z"},
        {"id": "b2", "bug_id": "B", "occurred_at": "2026-09-10T00:00:00Z"}]})
    note = client.post("/v1/contracts/fines/credit-notes", json={"period": "2026-09"}).json
    assert note["credit_total"] == "500000"
    earlier = {"id": "b0", "bug_id": "B", "occurred_at": "2026-08-01T00:00:00Z"}
    refused = client.post("/v1/contracts/fines/bug-occurrences", json=earlier)
    assert refused.status_code == 409 and refused.json["code"] == "period_locked"
    assert "2026-09" in refused.json["errors"]["id"][0]


def test_a_support_case_that_started_in_an_issued_month_is_refused_though_it_ends_in_the_next(client):
    # rules.md §7: a support case belongs to the period in which it started
    _store_september(client)
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    case = {"id": "late-case", "started_at": "2026-09-30T23:30:00+07:00", "ended_at": "2026-10-01T00:30:00+07:00",
            "level": 1}
    refused = client.post("/v1/contracts/acme-3cx/support-cases", json=case)
    assert refused.status_code == 409 and refused.json["code"] == "period_locked"
    october = {**case, "id": "oct-case", "started_at": "2026-10-01T00:30:00+07:00", "ended_at": "2026-10-01T01:30:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/support-cases", json=october).status_code == 201


def _hvn_september(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "id": "hvn-1", "policy": {"template": "hvn"}}
    body["tickets"] = []
    return _store_september(client, body)


def test_a_note_may_be_claimed_on_the_last_day_of_the_window_on_the_customers_calendar(client):
    # hvn: claims within 3 months, so September 2026's last day to claim is 31 December in Ho Chi Minh City
    from datetime import datetime, timezone

    from creditsvc.services import credit_notes

    _hvn_september(client)
    assert client.get("/v1/contracts/hvn-1/statements/2026-09").json["claim_deadline"] == "2026-12-31"
    with client.application.app_context():
        with pytest.raises(credit_notes.ClaimWindowExpired):  # 00:30 on 1 January there, still 31 December in UTC
            credit_notes.issue(db.session(), "hvn-1", "2026-09", now=datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc))
        db.session().rollback()
        note, created = credit_notes.issue(db.session(), "hvn-1", "2026-09",
                                           now=datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 23:30 there
    assert created and note.number == "CN-2026-000001"


def test_a_correction_may_bring_the_credit_to_zero(client):
    # the records said 2.5 h of provider downtime; they were wrong (it was the datacenter): nothing is owed
    _store_september(client)
    old = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    fixed = {**INCIDENT, "cause": "third_party"}
    assert client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=fixed).status_code == 201
    new = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert new.status_code == 201, new.json
    assert new.json["credit_total"] == "0" and new.json["supersedes"] == old["number"]
    assert client.get(f"/v1/credit-notes/{old['number']}").json["status"] == "void"


def test_a_correction_after_the_customers_details_change_is_a_new_note_with_them(client):
    # the figures are the same, but the note prints the customer: new terms are a correction
    _store_september(client)
    old = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    put_contract(client, customer={**CONTRACT_3CX["customer"], "address": "1 New Street"})
    new = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert new.status_code == 201 and new.json["supersedes"] == old["number"]
    assert new.json["credit_total"] == old["credit_total"]


def test_a_correction_after_the_seller_changes_is_a_new_note(client):
    _store_september(client)
    client.application.config["SELLER"] = {"name": "Seller A"}
    old = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    client.application.config["SELLER"] = {"name": "Seller B"}
    new = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert new.status_code == 201 and new.json["supersedes"] == old["number"]


def test_the_renewal_summary_counts_a_corrected_month_once(client):
    one = {**CONTRACT_3CX, "id": "two", "ends_on": "2027-01-01", "fee": {"amount": "12000000", "per": "month"},
           "policy": {"template": "1office"}, "delivery": "renewal_deduction"}
    put_contract(client, one)
    critical = {**INCIDENT, "id": "c1", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T14:10:00+07:00"}
    client.post("/v1/contracts/two/incidents", json=critical)
    client.post("/v1/contracts/two/credit-notes", json={"period": "2026-09"})
    longer = {**critical, "ended_at": "2026-09-10T18:10:00+07:00"}  # 9 h 10 min: 4 blocks, 2 days
    assert client.post("/v1/contracts/two/incidents?supersede=true", json=longer).status_code == 201
    assert client.post("/v1/contracts/two/credit-notes", json={"period": "2026-09", "supersede": True}).status_code == 201
    summary = client.get("/v1/contracts/two/renewal-summary").json
    assert summary["renewal_deduction_total"] == "800000" and len(summary["credit_notes"]) == 1


def test_half_a_licence_day_extends_the_licence_by_a_whole_day(client):
    one = {**CONTRACT_3CX, "id": "one", "ends_on": "2027-01-01", "fee": {"amount": "12000000", "per": "month"},
           "policy": {"template": "1office"}}
    put_contract(client, one)
    critical = {**INCIDENT, "id": "c1", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T11:10:00+07:00"}
    client.post("/v1/contracts/one/incidents", json=critical)
    client.post("/v1/contracts/one/credit-notes", json={"period": "2026-09"})
    summary = client.get("/v1/contracts/one/renewal-summary").json
    assert summary["license_extension_days"] == "0.5" and summary["license_ends_on"] == "2027-01-02"


def test_a_termination_right_is_open_through_its_notice_deadline_on_the_customers_calendar(client, fixed_clock):
    from datetime import datetime, timezone

    put_contract(client, {**CONTRACT_3CX, "id": "three"})
    outage = {**INCIDENT, "id": "big", "started_at": "2026-10-01T00:00:00+07:00", "ended_at": "2026-10-03T00:00:00+07:00"}
    client.post("/v1/contracts/three/incidents", json=outage)
    client.post("/v1/contracts/three/credit-notes", json={"period": "2026-10"})
    fixed_clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))  # 23:30 on the deadline day there
    assert client.get("/v1/contracts/three/renewal-summary").json["termination_rights"][0]["notice_deadline"] == \
        "2026-11-30"
    fixed_clock.set(datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc))  # 00:30 on 1 December there
    assert client.get("/v1/contracts/three/renewal-summary").json["termination_rights"] == []


def test_a_correction_of_a_note_that_holds_its_fee_as_sent_is_the_live_note_when_nothing_changed(client, app):
    # Notes issued before fees were stored in one form hold "20000000.00": the same fee, not a change.
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    with app.app_context():
        note = db.session().get(models.CreditNote, first["number"])
        contract = note.inputs["contract"]
        note.inputs = {**note.inputs, "contract": {**contract, "fee": {**contract["fee"], "amount": "20000000.00"}}}
        db.session().commit()
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json["number"] == first["number"]


def test_a_correction_is_the_live_note_when_the_database_returns_the_same_records_in_another_order(
        client, monkeypatch):
    # The records a statement reads come back in no set order: PostgreSQL returns a row it has updated
    # (a record superseded, then put back as it was) after the others. The same records in another
    # order voided the note and issued the same figures under a new number.
    from creditsvc.services import statements

    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    in_order = statements._queries

    def in_reverse(period, contract_ids):
        return {kind: (query.order_by(models.RECORD_MODELS[kind].id.desc()), convert)
                for kind, (query, convert) in in_order(period, contract_ids).items()}

    monkeypatch.setattr(statements, "_queries", in_reverse)
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json["number"] == first["number"], same.json.get("number")
    assert client.get(f"/v1/credit-notes/{first['number']}").json["status"] == "issued"


def test_a_note_may_be_issued_from_the_instant_its_period_ends(client):
    from datetime import datetime, timezone

    from creditsvc.services import credit_notes

    _store_september(client)
    with client.application.app_context():  # midnight on 1 October in Ho Chi Minh City
        note, created = credit_notes.issue(db.session(), "acme-3cx", "2026-09",
                                           now=datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc))
    assert created and note.credit_total == 400000


def test_a_batch_of_exactly_the_largest_size_is_stored(client, app):
    put_contract(client)
    most = [{**INCIDENT, "id": f"i{k}"} for k in range(1000)]
    response = client.post("/v1/contracts/acme-3cx/incidents", json={"items": most})
    assert response.status_code == 201 and response.json["created"] == 1000
    assert count(app, models.Incident) == 1000


def test_a_note_for_a_month_with_an_incident_still_open_is_refused(client):
    # rules.md §3: a statement with an open incident is provisional; a note freezes only a final one
    _store_september(client)
    still_open = {**INCIDENT, "id": "open", "started_at": "2026-09-25T09:00:00+07:00", "ended_at": None}
    assert client.post("/v1/contracts/acme-3cx/incidents", json=still_open).status_code == 201
    assert client.get("/v1/contracts/acme-3cx/statements/2026-09").json["status"] == "provisional"
    response = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"})
    assert response.status_code == 409 and response.json["code"] == "statement_provisional"
    closed = {**still_open, "ended_at": "2026-09-25T10:00:00+07:00"}
    assert client.post("/v1/contracts/acme-3cx/incidents?supersede=true", json=closed).status_code == 201
    assert client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).status_code == 201


def test_a_write_that_lost_a_race_for_an_id_is_retried_in_a_fresh_transaction(client, app, monkeypatch):
    # Another request stored the same id between our read and our commit: the IntegrityError leaves
    # the session needing a rollback, and the retry must start clean (then finds the record unchanged).
    from datetime import datetime, timezone

    from creditsvc.services import records

    put_contract(client)
    assert client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT).status_code == 201
    real, calls = records._ingest_once, []

    def racing(session, *args):
        calls.append(1)
        if len(calls) == 1:  # as if the row had been inserted under us
            moment = datetime(2026, 9, 1, tzinfo=timezone.utc)
            session.add(models.Incident(contract_id="acme-3cx", id=INCIDENT["id"], content_hash="other",
                                        started_at=moment, severity="critical", cause="provider", description="",
                                        created_at=moment, updated_at=moment))
            session.flush()
        return real(session, *args)

    monkeypatch.setattr(records, "_ingest_once", racing)
    again = client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    assert again.status_code == 200 and again.json["unchanged"] == 1 and len(calls) == 2


def test_a_support_case_without_km_is_stored_as_the_spec_says_with_0_km(client):
    # the spec said `default: null` while the service stores and echoes "0"
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text("utf-8"))
    assert spec["components"]["schemas"]["SupportCase"]["properties"]["km"]["default"] == "0"
    put_contract(client, OCTOBER_DK["contract"])
    case = {k: v for k, v in OCTOBER_DK["support_cases"][1].items() if k != "km"}
    stored = client.post("/v1/contracts/dk-support/support-cases", json=case)
    assert stored.status_code == 201, stored.json
    for km in (0, "0.00", None):  # the same content, however "no driving" is written
        again = client.post("/v1/contracts/dk-support/support-cases", json={**case, "km": km})
        assert again.status_code == 200 and again.json["unchanged"] == 1, (km, again.json)


def test_a_retried_correction_of_a_note_issued_before_uptime_said_capped_is_the_live_note(client, app):
    # Notes issued before the statement's uptime said `capped` do not hold it: the figures are the
    # same, so a retried correction must not void the note and issue them again under a new number.
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    assert first["uptime"]["capped"] is False
    with app.app_context():
        row = db.session().get(models.CreditNote, first["number"])
        row.statement = {**row.statement, "uptime": {k: v for k, v in row.statement["uptime"].items() if k != "capped"}}
        db.session().commit()
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json["number"] == first["number"] and same.json["status"] == "issued"


def test_a_retried_correction_of_a_note_whose_line_wrote_the_commitment_as_written_is_the_live_note(client, app):
    # Notes issued before the uptime line printed its percentages as the statement's fields do said
    # "Uptime below 99.80 %" for a policy's 99.8 written "99.80": the same figures, so a retried
    # correction must not void the note and issue them again under a new number.
    _store_september(client)
    first = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json
    assert first["lines"][0]["description"].startswith("Uptime below 99.8 %")
    with app.app_context():
        row = db.session().get(models.CreditNote, first["number"])
        lines = [{**line, "description": line["description"].replace("99.8 %", "99.80 %")} for line in row.statement["lines"]]
        row.statement = {**row.statement, "lines": lines}
        db.session().commit()
    same = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    assert same.status_code == 200 and same.json["number"] == first["number"] and same.json["status"] == "issued"
    assert same.json["lines"][0]["description"].startswith("Uptime below 99.80 %")  # the note as frozen


@pytest.mark.parametrize("coding", ["gzip", "br", "GZIP"])
def test_a_compressed_body_is_a_415_that_says_to_send_it_uncompressed_and_nothing_is_stored(client, app, coding):
    import gzip

    put_contract(client)
    response = client.post("/v1/contracts/acme-3cx/incidents", data=gzip.compress(json.dumps(INCIDENT).encode()),
                           headers={"Content-Type": "application/json", "Content-Encoding": coding})
    assert response.status_code == 415 and response.headers["Accept-Encoding"] == "identity"
    assert "Content-Encoding" in response.json["detail"]
    assert count(app, models.Incident) == 0
    plain = client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT, headers={"Content-Encoding": "identity"})
    assert plain.status_code == 201


def test_a_record_in_the_hour_newfoundland_repeated_before_its_midnight_is_locked_in_the_month_it_counts_in(client):
    # St John's fell back at 00:01 on 1 November 2009 to 23:01 on 31 October, so 02:31Z-03:30Z reads
    # 31 October on its clocks but lies after November's first midnight (00:00 NDT, 02:30Z), where the
    # statements count it. The lock took the month from the wall date: a ticket opened at 03:00Z went
    # into November, which had an issued note, with a 201, and November's statement silently doubled.
    contract = {**CONTRACT_DK, "id": "st-johns", "timezone": "America/St_Johns", "starts_on": "2009-01-01",
                "policy": {"template": "oneoffice-dk", "overrides": {"ticket_targets": {"priorities": {
                    "high": {"response": "1h", "resolution": "2h", "clock": "calendar", "breach_credit": "100.00"}}}}}}
    assert client.put("/v1/contracts/st-johns", json=contract).status_code == 201
    first = {"id": "t1", "priority": "high", "opened_at": "2009-11-05T12:00:00Z"}
    assert client.post("/v1/contracts/st-johns/tickets", json=first).status_code == 201
    note = client.post("/v1/contracts/st-johns/credit-notes", json={"period": "2009-11"}).json
    assert note["credit_total"] == "100.00"
    late = {"id": "t2", "priority": "high", "opened_at": "2009-11-01T03:00:00Z"}  # 23:30 NST on 31 October
    refused = client.post("/v1/contracts/st-johns/tickets", json=late)
    assert refused.status_code == 409 and refused.json["code"] == "period_locked", refused.json
    assert "2009-11" in refused.json["errors"]["id"][0]
    preview = client.get("/v1/contracts/st-johns/statements/2009-11").json
    assert [t["ticket_id"] for t in preview["tickets"]["items"]] == ["t1"] and preview["credit_total"] == "100.00"
    assert client.get(f"/v1/credit-notes/{note['number']}").json == note


def test_a_fine_in_the_hour_newfoundland_repeated_is_checked_against_the_month_its_statement_counts_it_in(client):
    # The fines check grouped occurrences by their wall date: 2009-11-01T03:00Z reads 31 October in St John's
    # but lies in November (its first midnight was 02:30Z), so October was checked without it, November not
    # at all, and a 9th occurrence whose fine (10^36 VND) no NUMERIC(38, 4) holds was stored (the review)
    contract = {**CONTRACT_3CX, "id": "nl-fines", "timezone": "America/St_Johns", "starts_on": "2009-01-01",
                "policy": {"template": "1office", "overrides": {
                    "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "1000"}}}}
    put_contract(client, contract)
    earlier = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2009-10-{10 + k}T12:00:00Z"} for k in range(8)]
    assert client.post("/v1/contracts/nl-fines/bug-occurrences", json={"items": earlier}).status_code == 201
    ninth = {"id": "b8", "bug_id": "B", "occurred_at": "2009-11-01T03:00:00Z"}  # 23:30 NST on 31 October
    refused = client.post("/v1/contracts/nl-fines/bug-occurrences", json=ninth)
    assert refused.status_code == 422 and refused.json["code"] == "amount_overflow", refused.json
    assert "2009-11" in json.dumps(refused.json["errors"]), refused.json
    assert client.get("/v1/contracts/nl-fines/statements/2009-11").json["repeat_bug_fines"]["items"] == []
