"""What a void note and a correction print of the notes beside them: a void note says it is void, in
its status too, and since when; a correction says what the note it voids credited and the difference."""
import copy
import io
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader

from creditsvc.render.formatting import Formatter
from tests.api.conftest import SEPTEMBER_3CX
from tests.render.test_documents import VIETNAMESE, money, pages_of, squeezed, store, text_of

# The correction is issued on 20 November 2026 at 23:30 UTC: already the 21st in Hà Nội (06:30) and in
# Copenhagen (00:30), so a date printed in UTC would be a day early. The first note is issued on the
# 15th (the tests' clock), so the voiding date is not the issue date either.
CORRECTED_AT = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
# 24 hours of provider outage more: 95,400 s down of 2,592,000 -> 96.3194 % -> band [95.5, 96.5) -> 6 %
DAY_OUTAGE = {**SEPTEMBER_3CX["incidents"][0], "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
              "ended_at": "2026-09-21T09:00:00+07:00"}
HOUR_OUTAGE = {**DAY_OUTAGE, "ended_at": "2026-09-20T10:00:00+07:00"}  # still 2 %

DANISH = {**VIETNAMESE, "id": "dk-3cx", "currency": "DKK", "locale": "da", "timezone": "Europe/Copenhagen",
          "fee": {"amount": "20000.00", "per": "month"},
          "policy": {"template": "3cx-vn", "overrides": {"currency": "DKK"}}}
CONTRACTS = {"vi": VIETNAMESE, "en": VIETNAMESE, "da": DANISH}


def corrected(client, fixed_clock, contract, first=(), then=(DAY_OUTAGE,)):
    """A note issued on 15 November with the records `first`, and its correction on CORRECTED_AT after
    the records `then`: (the voided note's JSON, the correction's JSON)."""
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = contract
    body["incidents"] += list(first)
    cid = store(client, body)
    old = client.post(f"/v1/contracts/{cid}/credit-notes", json={"period": "2026-09"})
    assert old.status_code == 201, old.json
    fixed_clock.set(CORRECTED_AT)
    for record in then:
        assert client.post(f"/v1/contracts/{cid}/incidents?supersede=true", json=record).status_code in (200, 201)
    new = client.post(f"/v1/contracts/{cid}/credit-notes", json={"period": "2026-09", "supersede": True})
    assert new.status_code == 201 and new.json["supersedes"] == old.json["number"], new.json
    return client.get(f"/v1/credit-notes/{old.json['number']}").json, new.json


def pdf_of(client, number, lang):
    response = client.get(f"/v1/credit-notes/{number}?format=pdf&lang={lang}")
    assert response.status_code == 200
    return response.data


@pytest.mark.parametrize("lang, void, final", [
    ("en", "Statement status void", "Statement status final"),
    ("vi", "Trạng thái bảng kê đã hủy", "Trạng thái bảng kê chính thức"),
    ("da", "Opgørelsens status annulleret", "Opgørelsens status endelig"),
])
def test_a_void_notes_status_says_void_where_it_said_final(client, fixed_clock, lang, void, final):
    # "Trạng thái bảng kê: chính thức" under the VOID mark: the document said it was a final statement
    old, new = corrected(client, fixed_clock, CONTRACTS[lang])
    text = squeezed(text_of(pdf_of(client, old["number"], lang)))
    assert squeezed(void) in text and squeezed(final) not in text
    live = squeezed(text_of(pdf_of(client, new["number"], lang)))  # the correction is the final one
    assert squeezed(final) in live and squeezed(void) not in live


@pytest.mark.parametrize("lang, mark", [
    ("en", "VOID – superseded by {number} on 21 November 2026"),
    ("vi", "ĐÃ HỦY – được thay thế bởi {number} vào ngày 21 tháng 11, 2026"),
    ("da", "ANNULLERET – erstattet af {number} den 21. november 2026"),
])
def test_a_void_note_says_on_every_page_when_it_was_voided_in_the_contracts_zone(client, fixed_clock, lang, mark):
    # It said by which note, never since when: the superseding note's issue date, the customer's date
    old, new = corrected(client, fixed_clock, CONTRACTS[lang])
    pages = pages_of(pdf_of(client, old["number"], lang))
    assert all(squeezed(mark.format(number=new["number"])) in squeezed(page) for page in pages)
    issued = {"en": "15 November 2026", "vi": "15 tháng 11, 2026", "da": "15. november 2026"}[lang]
    assert squeezed(issued) in squeezed(pages[0])  # its own issue date, as before
    utc_day = {"en": "20 November 2026", "vi": "20 tháng 11, 2026", "da": "20. november 2026"}[lang]
    assert squeezed(utc_day) not in squeezed("".join(pages))


def test_a_void_notes_and_a_corrections_json_and_attachment_are_the_note_as_served_and_nothing_more(
        client, fixed_clock):
    # The voiding date and the voided note's total are printed, never added to a note's JSON (api.md)
    old, new = corrected(client, fixed_clock, VIETNAMESE)
    statement = client.post("/v1/calculations", json=SEPTEMBER_3CX).json
    note_fields = {"number", "issued_at", "status", "supersedes", "superseded_by", "policy_version"}
    for note in (old, new):
        assert set(note) == set(statement) | note_fields
        reader = PdfReader(io.BytesIO(pdf_of(client, note["number"], "en")))
        assert json.loads(reader.attachments["statement.json"][0]) == note


def test_a_void_document_kept_before_is_served_as_it_was_and_only_a_new_one_says_when(app, client, fixed_clock):
    # Documents already delivered are frozen: the voiding date is printed on one rendered from now on
    from creditsvc import db
    from creditsvc.services import credit_notes

    old, new = corrected(client, fixed_clock, VIETNAMESE)
    with app.app_context():
        credit_notes.keep_document(db.session(), old["number"], "vi", "void", b"%PDF void as first delivered")
    assert pdf_of(client, old["number"], "vi") == b"%PDF void as first delivered"
    assert pdf_of(client, old["number"], "vi") == b"%PDF void as first delivered"
    rendered = pdf_of(client, old["number"], "en")  # no English one kept: rendered now, and kept
    assert squeezed("on 21 November 2026") in squeezed(text_of(rendered))
    assert pdf_of(client, old["number"], "en") == rendered


@pytest.mark.parametrize("lang, old_total, difference", [
    ("en", "Credit total of voided note {number} ₫400,000", "Difference from {number} +₫800,000"),
    ("vi", "Tổng bồi thường của giấy báo có đã hủy {number} 400.000 ₫", "Chênh lệch so với {number} +800.000 ₫"),
    ("da", "Kredit i alt på den annullerede kreditnota {number} 400,00 kr.", "Forskel i forhold til {number} +800,00 kr."),
])
def test_a_correction_prints_the_voided_notes_total_and_the_difference_it_makes(client, fixed_clock, lang,
                                                                                 old_total, difference):
    # It printed its new total (6 % = 1,200,000) beside "Corrects CN-...": what the customer was credited
    # before, and so what changes, had to be looked up on the other document
    old, new = corrected(client, fixed_clock, CONTRACTS[lang])
    assert (old["credit_total"], new["credit_total"]) in {("400000", "1200000"), ("400.00", "1200.00")}
    text = squeezed(text_of(pdf_of(client, new["number"], lang)))
    assert squeezed(old_total.format(number=old["number"])) in text
    assert squeezed(difference.format(number=old["number"])) in text
    first = squeezed(text_of(pdf_of(client, old["number"], lang)))  # a note that corrects none says nothing of it
    assert squeezed(difference.split(" {")[0]) not in first


def test_a_correction_that_lowers_the_credit_prints_a_negative_difference(client, fixed_clock):
    old, new = corrected(client, fixed_clock, VIETNAMESE, first=(DAY_OUTAGE,), then=(HOUR_OUTAGE,))
    assert (old["credit_total"], new["credit_total"]) == ("1200000", "400000")
    text = squeezed(text_of(pdf_of(client, new["number"], "en")))
    assert squeezed(f"Credit total of voided note {old['number']} ₫1,200,000") in text
    assert squeezed(f"Difference from {old['number']} -₫800,000") in text


@pytest.mark.parametrize("locale, currency, amount, plus, minus, zero", [
    ("en", "VND", "800000", "+₫800,000", "-₫800,000", "₫0"),
    ("vi", "VND", "800000", "+800.000\u00a0₫", "-800.000\u00a0₫", "0\u00a0₫"),
    ("da", "DKK", "800.00", "+800,00\u00a0kr.", "-800,00\u00a0kr.", "0,00\u00a0kr."),
    ("en", "DKK", "800.00", "+DKK\u00a0800.00", "-DKK\u00a0800.00", "DKK\u00a00.00"),
])
def test_a_difference_is_signed_where_the_locale_writes_its_minus_and_zero_is_not(locale, currency, amount, plus,
                                                                                  minus, zero):
    fmt = Formatter(locale, currency, "Europe/Copenhagen")
    assert fmt.signed_money(Decimal(amount)) == plus
    assert fmt.signed_money(Decimal(amount).copy_negate()) == minus
    assert fmt.signed_money(Decimal(0)) == zero == fmt.money(Decimal(0))


def test_a_corrections_difference_is_exact_decimal_money_from_the_two_notes_totals(app, client, fixed_clock):
    from creditsvc import db
    from creditsvc.services import credit_notes

    contract = {**VIETNAMESE, "id": "huge", "policy": {"template": "1office", "overrides": {
        "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "1000"}}}}
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"], body["tickets"] = contract, []
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(6)]
    store(client, body)
    assert client.post("/v1/contracts/huge/credit-notes", json={"period": "2026-09"}).status_code == 201
    more = {"id": "b6", "bug_id": "B", "occurred_at": "2026-09-08T00:00:00Z"}
    assert client.post("/v1/contracts/huge/bug-occurrences?supersede=true", json=more).status_code == 201
    new = client.post("/v1/contracts/huge/credit-notes", json={"period": "2026-09", "supersede": True}).json
    with app.app_context():
        history = credit_notes.document_history(db.session(), credit_notes.get_note(db.session(), new["number"]))
        old = credit_notes.get_note(db.session(), new["supersedes"])
        assert credit_notes.document_history(db.session(), old)["voided_at"] == new["issued_at"]
    corrects = history["corrects"]
    assert history["voided_at"] is None and corrects["number"] == new["supersedes"]
    assert all(type(corrects[k]) is Decimal for k in ("credit_total", "difference"))
    old_total = client.get(f"/v1/credit-notes/{new['supersedes']}").json["credit_total"]
    assert len(new["credit_total"]) > 28  # past Decimal's default 28 digits, which would round
    assert corrects["credit_total"] == Decimal(old_total)
    difference = int(new["credit_total"]) - int(old_total)
    assert int(corrects["difference"]) == difference > 0
    printed = text_of(pdf_of(client, new["number"], "en"))
    assert "+" + money(str(difference), "VND", "en") in printed  # every digit, on one line
