"""What a void note and a correction print of the notes beside them: a void note says it is void, in
its status too, and since when; a correction says what the note it voids credited and the difference."""
import copy
import io
import json
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from tests.api.conftest import SEPTEMBER_3CX
from tests.render.test_documents import VIETNAMESE, pages_of, squeezed, store, text_of

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
