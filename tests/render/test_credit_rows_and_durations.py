"""What a document audit found in the PDFs' text: Credits rows that did not say which fine or ticket
they credit, durations printed like clock times, and counts without the locale's digit grouping."""
import copy
import re

import pytest

from creditsvc import render
from creditsvc.render.formatting import Formatter
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX
from tests.render.test_documents import money, pdf_text, squeezed, store, text_of, VIETNAMESE

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


@pytest.mark.parametrize("lang, quantities", [
    ("en", ["15 min", "30 min", "1 h 15 min 30 s"]),
    ("vi", ["15 phút", "30 phút", "1 giờ 15 phút 30 giây"]),
    ("da", ["15 min.", "30 min.", "1 t. 15 min. 30 sek."]),
])
def test_support_quantities_print_as_durations_to_the_second_not_as_clock_times(client, lang, quantities):
    # "0:15" and "0:30" in the quantity column read as a quarter and half past midnight
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"].append({"id": "case-3", "started_at": "2026-10-07T09:00:00+02:00",
                                  "ended_at": "2026-10-07T10:15:30+02:00", "level": 1})  # 4,530 s, business hours
    statement = client.post("/v1/calculations", json=body).json
    assert [line["seconds"] for line in statement["support"]["lines"] if line["kind"] != "mileage"] == \
        [900, 1800, 1800, 4530]
    text = pdf_text(client, body, lang)
    for quantity in quantities:
        assert squeezed(quantity) in squeezed(text), (lang, quantity)
    assert not re.search(r"(?<![\d:])(0:15|0:30|1:15:30)(?![\d:])", text)  # the times of day are 10:15:30


@pytest.mark.parametrize("lang, response, resolution", [
    ("en", "breached (1 h 10 min / 30 min)", "breached (9 h / 6 h)"),
    ("vi", "vi phạm (1 giờ 10 phút / 30 phút)", "vi phạm (9 giờ / 6 giờ)"),
    ("da", "overskredet (1 t. 10 min. / 30 min.)", "overskredet (9 t. / 6 t.)"),
])
def test_a_tickets_elapsed_and_target_times_print_as_durations(client, lang, response, resolution):
    text = squeezed(pdf_text(client, one_office(), lang))
    assert squeezed(response) in text and squeezed(resolution) in text, lang
    assert "1:10/0:30" not in text and "9:00/6:00" not in text


@pytest.mark.parametrize("lang, expected", [("en", "breached (19 h / 16 h)"), ("vi", "vi phạm (19 giờ / 16 giờ)"),
                                            ("da", "overskredet (19 t. / 16 t.)")])
def test_a_business_day_ticket_target_prints_as_hours_not_as_a_time_of_day(client, lang, expected):
    # 3CX P4: "2 Ngày — Tính theo ngày làm việc", 2 x 8 business hours; it printed "vi phạm (19:00 / 16:00)"
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "policy": {"template": "3cx-vn", "overrides": {
        "ticket_targets": {"priorities": {"P4": {"breach_credit": "100000"}}}}}}
    body["tickets"] = [{"id": "T-1002", "priority": "P4", "opened_at": "2026-09-11T15:00:00+07:00",
                        "resolved_at": "2026-09-15T10:00:00+07:00"}]
    resolution = client.post("/v1/calculations", json=body).json["tickets"]["items"][0]["resolution"]
    assert (resolution["elapsed_seconds"], resolution["target_seconds"]) == (19 * 3600, 16 * 3600)
    text = pdf_text(client, body, lang)
    assert squeezed(expected) in squeezed(text) and "19:00" not in text and "16:00" not in text


@pytest.mark.parametrize("lang, service, downtime, excluded", [
    ("en", "Service time 4,344\u00a0h", "Downtime 2\u00a0h 30\u00a0min", "Excluded time 0\u00a0min"),
    ("vi", "Thời gian dịch vụ 4.344\u00a0giờ", "Thời gian gián đoạn 2\u00a0giờ 30\u00a0phút",
     "Thời gian được loại trừ 0\u00a0phút"),
    ("da", "Tjenestetid 4.344\u00a0t.", "Nedetid 2\u00a0t. 30\u00a0min.", "Undtaget tid 0\u00a0min."),
])
def test_uptime_times_are_hours_and_minutes_in_the_locales_digits_each_figure_joined_to_its_unit(
        client, lang, service, downtime, excluded):
    # a six-month period printed "4344:00": neither grouped nor, to a reader, a duration
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["period"] = {"start": "2026-01-01T00:00:00+07:00", "end": "2026-07-01T00:00:00+07:00"}
    body["tickets"] = []
    body["incidents"] = [{**body["incidents"][0], "started_at": "2026-03-10T09:00:00+07:00",
                          "ended_at": "2026-03-10T11:30:00+07:00"}]
    uptime = client.post("/v1/calculations", json=body).json["uptime"]
    assert (uptime["service_seconds"], uptime["downtime_seconds"], uptime["excluded_seconds"]) == (4344 * 3600, 9000, 0)
    text = pdf_text(client, body, lang)
    for expected in (service, downtime, excluded):
        assert expected in text, (lang, expected)


def test_a_duration_is_exact_to_the_second_in_the_locales_digits():
    # format_timedelta says "1 hour" for 4,530 s and "4 months" for 4,344 h: a document must not round
    fmt = Formatter("da", "DKK", "Europe/Copenhagen")
    assert fmt.duration_parts(4530) == [("h", "1"), ("min", "15"), ("s", "30")]
    assert fmt.duration_parts(86399) == [("h", "23"), ("min", "59"), ("s", "59")]
    assert fmt.duration_parts(3600 * 4344 + 1) == [("h", "4.344"), ("s", "1")]
    assert fmt.duration_parts(0) == [("min", "0")]
    assert fmt.duration_parts(None) == []
    assert Formatter("en", "VND", "UTC").duration_parts(3600 * 12345) == [("h", "12,345")]


@pytest.mark.parametrize("lang, blocks, downtime", [("en", "Blocks 1,056", "Critical downtime 264\u00a0h"),
                                                    ("vi", "Số khối 1.056", "Thời gian dừng hoạt động 264\u00a0giờ"),
                                                    ("da", "Blokke 1.056", "Kritisk nedetid 264\u00a0t.")])
def test_outage_blocks_are_grouped_as_the_locale_groups_digits(client, lang, blocks, downtime):
    # "Số khối 1056" beside "20.000.000 ₫"
    body = one_office(outage_credit={"block_hours": "0.25"})
    body["tickets"], body["bug_occurrences"] = [], []
    body["incidents"] = [{**SEPTEMBER_3CX["incidents"][0], "started_at": "2026-09-02T00:00:00+07:00",
                          "ended_at": "2026-09-13T00:00:00+07:00"}]  # 264 h: 1,056 quarter-hour blocks
    assert client.post("/v1/calculations", json=body).json["outage_credit"]["blocks"] == 1056
    text = pdf_text(client, body, lang)
    assert blocks in text and downtime in text, lang


@pytest.mark.parametrize("lang, fine, row", [
    ("en", "BUG-7 1,001 02/09/2026 07:00", "Repeat-bug fine: bug BUG-7, occurrence 1,001"),
    ("vi", "BUG-7 1.001 02/09/2026 07:00", "Phạt lỗi lặp lại: lỗi BUG-7, lần thứ 1.001"),
    ("da", "BUG-7 1.001 02.09.2026 02:00", "Bod for gentaget fejl: fejl BUG-7, forekomst 1.001"),
])
def test_occurrence_numbers_are_grouped_as_the_locale_groups_digits(client, lang, fine, row):
    body = one_office(repeat_bug_fines={"multiplier": "1"})
    body["tickets"] = []
    body["bug_occurrences"] = [{"id": f"a{k}", "bug_id": "BUG-7",
                                "occurred_at": f"2026-08-{1 + k // 100:02d}T{k % 100 // 60:02d}:{k % 60:02d}:00Z"}
                               for k in range(1000)] + \
                              [{"id": "b1", "bug_id": "BUG-7", "occurred_at": "2026-09-02T00:00:00Z"}]
    if lang == "da":
        body["contract"]["timezone"] = "Europe/Copenhagen"
    items = client.post("/v1/calculations", json=body).json["repeat_bug_fines"]["items"]
    assert [item["occurrence"] for item in items] == [1001]
    text = pdf_text(client, body, lang)
    assert fine in text and squeezed(row) in squeezed(text), lang


def laid_out(client, monkeypatch, body, lang):
    """The WeasyPrint document of the calculation PDF of `body`, as laid out for writing."""
    documents = []
    write_pdf = render._Document.write_pdf

    def spy(self, *args, **kwargs):
        documents.append(self.render(stylesheets=kwargs["stylesheets"], font_config=kwargs["font_config"]))
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(render._Document, "write_pdf", spy)
    assert client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).status_code == 200
    monkeypatch.undo()
    (document,) = documents
    return document


def text_boxes(document):
    """(text box, the table cell holding it or None, its page's box) for every text WeasyPrint laid out."""
    from weasyprint.formatting_structure.boxes import TableCellBox, TextBox

    def walk(box, cell, page):
        if isinstance(box, TableCellBox):
            cell = box
        if isinstance(box, TextBox):
            yield box, cell, page
        for child in getattr(box, "children", ()):
            yield from walk(child, cell, page)

    for page in document.pages:
        yield from walk(page._page_box, None, page._page_box)


def cells_overrun(client, monkeypatch, body, lang) -> list[str]:
    """The texts that reach past their table cell's right edge as WeasyPrint lays the PDF out: pdftotext and
    pypdf give overlapping text in reading order, so only the layout shows one figure printed over another."""
    return [box.text for box, cell, _ in text_boxes(laid_out(client, monkeypatch, body, lang))
            if cell is not None and box.position_x + box.width > cell.border_box_x() + cell.border_width() + 0.01]


@pytest.mark.parametrize("lang", ["en", "vi", "da"])
def test_a_long_duration_wraps_inside_its_cell_and_never_runs_over_the_amount(client, monkeypatch, lang):
    # kept on one line, "64 t. 59 min. 59 sek." was printed over "142.349,39 kr." in the next column
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{"id": "long", "started_at": "2026-10-09T16:00:01+02:00",
                              "ended_at": "2026-10-12T09:00:00+02:00", "level": 2, "km": 40},
                             {"id": "night", "started_at": "2026-10-07T18:00:00+02:00",
                              "ended_at": "2026-10-08T06:15:31+02:00", "level": 1}]
    lines = client.post("/v1/calculations", json=body).json["support"]["lines"]
    # sorted by start: 12 h 15 min 31 s after hours; 1 h on Monday morning, 63 h 59 min 59 s over the weekend
    assert [line["seconds"] for line in lines if line["kind"] != "mileage"] == [44131, 3600, 230399]
    assert cells_overrun(client, monkeypatch, body, lang) == []


def test_a_support_cases_lines_stay_on_one_page_and_a_page_never_begins_with_a_line_that_names_no_span(
        client, monkeypatch):
    # a case's later lines print no span (render.support_rows); on the page after its first they named none
    from weasyprint.formatting_structure.boxes import TableRowGroupBox

    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{"id": f"c{k}", "started_at": f"2026-10-{1 + k % 28:02d}T15:30:00+02:00",
                              "ended_at": f"2026-10-{1 + k % 28:02d}T16:30:00+02:00", "level": 2, "km": 5}
                             for k in range(60)]  # weekdays split at 16:00 into 3 lines, weekends 2
    document = laid_out(client, monkeypatch, body, "da")
    assert len(document.pages) > 3
    first_rows = []

    def first_row(box):  # the page's first row of a table body (the repeated heading is a header group)
        if isinstance(box, TableRowGroupBox) and not box.is_header and box.children:
            return box.children[0]
        for child in getattr(box, "children", ()):
            if (found := first_row(child)) is not None:
                return found
        return None

    def text(box) -> str:
        return getattr(box, "text", "") + "".join(text(child) for child in getattr(box, "children", ()))

    for page in document.pages[1:]:
        row = first_row(page._page_box)
        if row is not None:
            first_rows.append((text(row.children[0]), text(row.children[1])))  # (When, Case)
    assert first_rows and all(when for when, _ in first_rows), first_rows
