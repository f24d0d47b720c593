"""What a void note and a correction print of the notes beside them: a void note says it is void, in
its status too, and since when; a correction says what the note it voids credited and the difference."""
import copy
from datetime import datetime, timezone

import pytest

from tests.api.conftest import SEPTEMBER_3CX
from tests.render.test_documents import VIETNAMESE, squeezed, store, text_of

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
