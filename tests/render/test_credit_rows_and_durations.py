"""What a document audit found in the PDFs' text: Credits rows that did not say which fine or ticket
they credit, durations printed like clock times, and counts without the locale's digit grouping."""
import copy

import pytest

from creditsvc import render
from tests.api.conftest import SEPTEMBER_3CX
from tests.render.test_documents import VIETNAMESE, money, squeezed, store, text_of

NBSP = "\u00a0"


def pdf_text(client, body, lang):
    response = client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body)
    assert response.status_code == 200, response.json
    return text_of(response.data)


def one_office(**overrides):
    """1office, with a breach credit for critical tickets: two fines of BUG-7 and one breached ticket."""
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "rows", "policy": {"template": "1office", "overrides": {
        "ticket_targets": {"priorities": {"critical": {"breach_credit": "100000"}}}, **overrides}}}
    body["incidents"] = []
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "BUG-7", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(3)]  # occurrence 1 is the report; 2 and 3 are fined
    # confirmed 09:10: responded after 1 h 10 min (target 30 min), resolved after 9 h (target 6 h)
    body["tickets"] = [{"id": "1O-88", "priority": "critical", "opened_at": "2026-09-10T09:00:00+07:00",
                        "confirmed_at": "2026-09-10T09:10:00+07:00", "first_response_at": "2026-09-10T10:20:00+07:00",
                        "resolved_at": "2026-09-10T18:10:00+07:00"}]
    return body


ROWS = {
    "en": ["Repeat-bug fine: bug BUG-7, occurrence 2 ₫500,000", "Repeat-bug fine: bug BUG-7, occurrence 3 ₫1,000,000",
           "Missed ticket target: ticket 1O-88 ₫100,000"],
    "vi": ["Phạt lỗi lặp lại: lỗi BUG-7, lần thứ 2 500.000 ₫", "Phạt lỗi lặp lại: lỗi BUG-7, lần thứ 3 1.000.000 ₫",
           "Vi phạm cam kết ticket 1O-88 100.000 ₫"],
    "da": ["Bod for gentaget fejl: fejl BUG-7, forekomst 2 500.000 ₫",
           "Bod for gentaget fejl: fejl BUG-7, forekomst 3 1.000.000 ₫",
           "Overskredet svar- eller løsningstid, sag 1O-88 100.000 ₫"],
}
BARE_RULES = {"en": ("Repeat-bug fine", "Missed ticket target"), "vi": ("Phạt lỗi lặp lại", "Vi phạm cam kết ticket"),
              "da": ("Bod for gentaget fejl", "Overskredet svar- eller løsningstid")}


@pytest.mark.parametrize("lang", ["en", "vi", "da"])
def test_each_credits_row_names_the_bug_and_occurrence_or_the_ticket_it_credits(client, lang):
    # The Credits table printed "Phạt lỗi lặp lại 500.000 ₫" and "Phạt lỗi lặp lại 1.000.000 ₫" and
    # "Vi phạm cam kết ticket 100.000 ₫": a reader could not tell which bug's fine, or which ticket, each was.
    body = one_office()
    statement = client.post("/v1/calculations", json=body).json
    # the JSON's lines stay as billing systems read them
    assert [line["description"] for line in statement["lines"]] == [
        "Bug BUG-7, occurrence 2", "Bug BUG-7, occurrence 3", "Ticket 1O-88 (critical) breached target"]
    text = squeezed(pdf_text(client, body, lang))
    for row in ROWS[lang]:
        assert squeezed(row) in text, (lang, row)
    for rule in BARE_RULES[lang]:
        for amount in ("500000", "1000000", "100000"):
            assert squeezed(rule) + squeezed(money(amount, "VND", lang)) not in text, (lang, rule, amount)


def test_an_issued_notes_credits_rows_name_their_bug_and_ticket_too(client):
    body = one_office()
    store(client, body)
    note = client.post("/v1/contracts/rows/credit-notes", json={"period": "2026-09"}).json
    text = squeezed(text_of(client.get(f"/v1/credit-notes/{note['number']}?format=pdf").data))
    for row in ROWS["vi"]:
        assert squeezed(row) in text, row


def test_a_fine_of_no_amount_has_no_credits_row_and_the_rows_after_it_keep_their_own_bug_and_ticket():
    # the statement's lines are its fines with an amount, then its tickets with a breach credit
    statement = {"repeat_bug_fines": {"items": [{"bug_id": "A", "occurrence": 2, "amount": "0"},
                                                {"bug_id": "B", "occurrence": 5, "amount": "700.00"}]},
                 "tickets": {"items": [{"ticket_id": "T-1", "breach_credit": None},
                                       {"ticket_id": "T-2", "breach_credit": "0.00"},
                                       {"ticket_id": "T-3", "breach_credit": "100.00"}]},
                 "lines": [{"kind": "uptime_credit", "description": "", "amount": "10.00"},
                           {"kind": "repeat_bug_fine", "description": "Bug B, occurrence 5", "amount": "700.00"},
                           {"kind": "ticket_breach_credit", "description": "", "amount": "100.00"}]}
    rows = render.credit_rows(statement)
    assert [(line["kind"], subject) for line, subject in rows] == [
        ("uptime_credit", None), ("repeat_bug_fine", {"bug_id": "B", "occurrence": 5, "amount": "700.00"}),
        ("ticket_breach_credit", {"ticket_id": "T-3", "breach_credit": "100.00"})]
    # lines that do not match the details (none of ours) print as the rule alone, never another's id
    statement["lines"].append({"kind": "repeat_bug_fine", "description": "", "amount": "1.00"})
    assert [subject for _, subject in render.credit_rows(statement)] == [None, None, statement["tickets"]["items"][2],
                                                                         None]
    assert render.credit_rows({"lines": []}) == []
