"""What the accountants' layout audit found: a figure wrapped inside itself in a narrow table cell ("147."
over "435,63 DKK", which reads as two numbers), and a Danish table header ran into its cell's padding.
Read from WeasyPrint's layout (laid_out): the PDF's extracted text cannot say where a line box ends."""
import copy
import re

import pytest

from creditsvc import render
from creditsvc.render.formatting import Formatter
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX
from tests.render.test_credit_rows_and_durations import laid_out, one_office, text_boxes
from tests.render.test_documents import VIETNAMESE, amounts


def big_support():
    """A Danish support statement whose subtotal is six figures: a weekend case of 64 h after hours."""
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{"id": "long", "started_at": "2026-10-09T16:00:01+02:00",
                              "ended_at": "2026-10-12T09:00:00+02:00", "level": 2, "km": 40},
                             {"id": "night", "started_at": "2026-10-07T18:00:00+02:00",
                              "ended_at": "2026-10-08T06:15:31+02:00", "level": 1}]
    return body


def bigger_support():
    """The same at ten times the rates: seven-figure amounts and rates of five figures with decimals."""
    body = big_support()
    body["contract"] = {**body["contract"], "policy": {"template": "oneoffice-dk", "overrides": {
        "support_billing": {"rates": {"1": "8000.00", "2": "10950.00"}, "vat_percent": "25.123456"}}}}
    return body


def quadrillions():
    """1office fines of 10^15 VND and up (the policy's largest base amount, multiplied by 10 each time)."""
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "huge", "policy": {"template": "1office", "overrides": {
        "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "10"}}}}
    body["tickets"] = []
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "BUG-7", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(6)]  # occurrences 2 to 6 fined, up to 9,999,999,999,999,990,000
    return body


def _text(box) -> str:
    return getattr(box, "text", "") + "".join(_text(child) for child in getattr(box, "children", ()))


def line_texts(document) -> list[str]:
    """The text of every line box of every table cell, as laid out (less the zero-width spaces a <wbr> is)."""
    from weasyprint.formatting_structure.boxes import LineBox, TableCellBox

    lines = []

    def walk(box, in_cell=False):
        if isinstance(box, LineBox) and in_cell:
            lines.append(_text(box).replace("\u200b", ""))
            return
        for child in getattr(box, "children", ()):
            walk(child, in_cell or isinstance(box, TableCellBox))

    for page in document.pages:
        walk(page._page_box)
    return lines


def figures(statement, lang) -> set[str]:
    """Every amount, rate and percentage of the statement as the document prints it."""
    fmt = Formatter(lang, statement["currency"], "UTC")
    unit = {"mileage": render.translations(lang).gettext("/km")}
    printed = {fmt.money(amount) for path, amount in amounts(statement)
               if amount is not None and not (path.startswith(".tickets.") and not statement["tickets"]["items"])}
    support = statement.get("support") or {}
    # a rate with its unit: "16.000,00 kr./" over "time" too
    printed |= {fmt.rate(line["rate"]) + unit.get(line["kind"], render.translations(lang).gettext("/h"))
                for line in support.get("lines") or []}
    if support:
        printed.add(fmt.percent(support["vat_percent"]))
    return printed


def on_one_line(figure: str, lines: list[str]) -> bool:
    """Whether some line box holds the whole figure, not merely its end ("0 ₫" of "10.000 ₫")."""
    whole = re.compile(rf"(?<![\d.,]){re.escape(figure)}(?!\d)")
    return any(whole.search(line) for line in lines)


LONGEST_ID = "W" * 100  # the widest letter, as many as an id may have (schemas/records.py RECORD_ID)


def support_of_longest_ids():
    """The big support statement whose case ids are as wide as an id can print, with a description of one
    unbroken 300-letter word (a pasted link or hash has no space to wrap at)."""
    body = big_support()
    for k, case in enumerate(body["support_cases"]):
        case["id"] = LONGEST_ID[:-1] + str(k)
        case["description"] = "W" * 300
    return body


def fines_and_ticket_of_longest_ids():
    """1office fines and a breached ticket whose bug and ticket ids are as wide as an id can print: each is
    in its table's id column and in the text of its credits row."""
    body = one_office()
    for occurrence in body["bug_occurrences"]:
        occurrence["bug_id"] = LONGEST_ID
    body["tickets"][0]["id"] = LONGEST_ID
    return body


def fines_and_ticket_of_ids_a_line_wide():
    """Ids that fill the credits row's line, where the comma or end after them once ran into the cell's
    padding: a 40-letter bug id ("bug WWW…, occurrence 2") and a 66-digit hex ticket id (a hash); and a
    ticket of a policy's own priority of the most letters a priority may have (32), which breaks anywhere
    too: measured whole, it squeezed the hex ticket id's column beside it to 10-17 lines."""
    widest = "W" * 32
    body = one_office(ticket_targets={"priorities": {"critical": {"breach_credit": "100000"}, widest: {
        "response": "30m", "resolution": "6h", "clock": "calendar", "breach_credit": "100000"}}})
    for occurrence in body["bug_occurrences"]:
        occurrence["bug_id"] = "W" * 40
    body["tickets"][0]["id"] = ("3f9a0c7e5b1d" * 6)[:66]
    body["tickets"].append({**body["tickets"][0], "id": "P-1", "priority": widest})
    return body


CASES = [("support", big_support), ("support at ten times the rates", bigger_support), ("fines of 10^15 VND", quadrillions),
         ("fines and a ticket", one_office), ("support of the longest ids", support_of_longest_ids),
         ("fines and a ticket of the longest ids", fines_and_ticket_of_longest_ids),
         ("fines and a ticket of ids a line wide", fines_and_ticket_of_ids_a_line_wide)]


@pytest.mark.parametrize("lang", ["vi", "da", "en"])
@pytest.mark.parametrize("name, make", CASES, ids=[name for name, _ in CASES])
def test_no_figure_is_split_across_lines_however_narrow_its_column(client, monkeypatch, lang, name, make):
    # a vi support statement printed its subtotal as "147." over "435,63 DKK", and a fine of 10^15 VND wrapped
    # at a group separator: an accountant read two numbers. Each figure must lie whole on one line box.
    from tests.render.test_credit_rows_and_durations import cells_overrun

    body = make()
    statement = client.post("/v1/calculations", json=body).json
    lines = line_texts(laid_out(client, monkeypatch, body, lang))
    split = [figure for figure in figures(statement, lang) if not on_one_line(figure, lines)]
    assert split == [], (lang, split, lines)
    # the columns make the room: no figure kept on its line runs over the next cell
    assert cells_overrun(client, monkeypatch, body, lang) == []


def texts_in_padding(document) -> list[tuple[str, float]]:
    """The texts of table cells that reach into their cell's left or right padding, with by how much (pt)."""
    found = []
    for box, cell, _ in text_boxes(document):
        if cell is not None and box.text.strip():
            left, right = cell.content_box_x(), cell.content_box_x() + cell.width
            over = max(left - box.position_x, box.position_x + box.width - right)
            if over > 0.01:
                found.append((box.text, round(over, 2)))
    return found


@pytest.mark.parametrize("lang", ["vi", "da", "en"])
@pytest.mark.parametrize("name, make", CASES, ids=[name for name, _ in CASES])
def test_no_header_or_cell_text_runs_into_its_cells_padding(client, monkeypatch, lang, name, make):
    # Danish "Niveau" (the support table's Level) ran about 3 pt into its cell's right padding, against "Takst"
    assert texts_in_padding(laid_out(client, monkeypatch, make(), lang)) == []


def test_a_figure_in_html_is_one_unbreakable_span_and_unbroken_keeps_the_tags_of_the_figures_it_joins():
    from markupsafe import Markup

    fmt = Formatter("da", "DKK", "Europe/Copenhagen", html=True)
    assert fmt.money("147435.63") == Markup('<span class="figure">147.435,63\u00a0kr.</span>')
    assert fmt.percent("25") == Markup('<span class="figure">25\u00a0%</span>')
    assert fmt.datetime("2026-10-06T15:30:00+02:00") == Markup(
        '<span class="figure">06.10.2026</span> <span class="figure">15:30</span>')
    # a count and its unit: one figure, the space in the count's tag a space, the one before the unit not
    joined = render.unbroken(Markup("%s km") % fmt.number("1001"))
    assert joined == Markup('<span class="figure"><span class="figure">1.001</span>\u00a0km</span>')
    assert render.unbroken("<b> & 5 min") == Markup('<span class="figure">&lt;b&gt;\u00a0&amp;\u00a05\u00a0min</span>')
    # outside HTML (file names, the JSON's side) figures stay text
    assert Formatter("da", "DKK", "UTC").money("147435.63") == "147.435,63\u00a0kr."


@pytest.mark.parametrize("lang", ["vi", "da", "en"])
def test_a_priority_of_32_letters_leaves_the_ticket_id_its_column(client, monkeypatch, lang):
    # with the priority's cell measured as one 32-letter word, it took 359 pt of the tickets table and the
    # 66-digit hex ticket id beside it wrapped to 17 lines (da); broken anywhere, the two share the room
    body = fines_and_ticket_of_ids_a_line_wide()
    lines_of_cell = {}
    for box, cell, _ in text_boxes(laid_out(client, monkeypatch, body, lang)):
        if cell is not None and box.text.strip():
            lines_of_cell.setdefault(id(cell), []).append(box)
    ticket_id = body["tickets"][0]["id"]
    hex_id = [boxes for boxes in lines_of_cell.values() if "".join(box.text for box in boxes) == ticket_id]
    assert len(hex_id) == 1
    assert len({round(box.position_y, 1) for box in hex_id[0]}) <= 6, [box.text for box in hex_id[0]]


def past_the_page(document) -> list[tuple[str, float]]:
    """Texts that reach past the right edge of their page's content box, with by how much (pt): a cell
    that keeps its text can still be pushed off the sheet by a table wider than the page."""
    return [(box.text, round(box.position_x + box.width - page.content_box_x() - page.width, 1))
            for box, _, page in text_boxes(document)
            if box.position_x + box.width > page.content_box_x() + page.width + 0.01]


def support_at(rate: str, surcharge: str = "100"):
    """The big support statement at an hourly (and km) rate of `rate` DKK."""
    body = big_support()
    body["contract"] = {**body["contract"], "policy": {"template": "oneoffice-dk", "overrides": {
        "support_billing": {"rates": {"1": rate, "2": rate}, "mileage_rate": rate, "vat_percent": "25.123456",
                            "after_hours_surcharge_percent": surcharge}}}}
    return body


RATES = ["9999999999.99", "999999999999.99", "99999999999999.99", ("999999999999998.99", "1000")]


@pytest.mark.parametrize("lang", ["vi", "da", "en"])
@pytest.mark.parametrize("rate", RATES, ids=lambda rate: rate if isinstance(rate, str) else "x".join(rate))
def test_figures_too_long_to_stand_side_by_side_break_between_their_groups_and_stay_on_the_page(
        client, monkeypatch, lang, rate):
    # Unbreakable, the rate, km and amount of a 10^12..10^14 DKK rate pushed the support table 32-105 pt past
    # the page's edge (the right margin is 45 pt): the amounts printed off the A4 sheet (the review)
    body = support_at(*(rate if isinstance(rate, tuple) else (rate,)))
    document = laid_out(client, monkeypatch, body, lang)
    assert past_the_page(document) == []
    lines = line_texts(document)
    statement = client.post("/v1/calculations", json=body).json
    # a figure breaks only if it is longer than the support table lets one stand unbroken
    split = [figure for figure in figures(statement, lang) if not on_one_line(figure, lines)]
    assert all(len(figure) > render.SUPPORT_FIGURE_CHARS for figure in split), split


@pytest.mark.parametrize("lang", ["vi", "da", "en"])
@pytest.mark.parametrize("name, make", CASES, ids=[name for name, _ in CASES])
def test_no_text_of_the_usual_documents_runs_past_the_page(client, monkeypatch, lang, name, make):
    assert past_the_page(laid_out(client, monkeypatch, make(), lang)) == []


def test_a_narrow_formatters_long_figure_may_break_between_its_groups_and_a_short_one_never():
    narrow = Formatter("da", "DKK", "Europe/Copenhagen", html=True).narrow(12)
    assert narrow.money("1234.50") == '<span class="figure">1.234,50\u00a0kr.</span>'
    assert narrow.money("123456789.50") == "123.<wbr>456.<wbr>789,50\u00a0kr."
    assert render.unbroken("12 km", 12) == '<span class="figure">12\u00a0km</span>'
    assert render.unbroken("123.456.789 km", 12) == "123.456.789\u00a0km"

