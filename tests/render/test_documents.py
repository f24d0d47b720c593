"""PDF statements and credit notes: the figures the JSON holds, in the reader's language, with real
glyphs, the JSON attached, and nothing fetched from anywhere."""
import copy
import re
import io
import json
import threading
import time
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from babel.numbers import format_currency
from decimal import Context, Decimal, localcontext
from pypdf import PdfReader
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from creditsvc import render
from creditsvc.render import AssetFetcher, render_pdf
from creditsvc.render.formatting import Formatter
from tests.api.conftest import CONTRACT_3CX, OCTOBER_DK, SEPTEMBER_3CX

VIETNAMESE = {**CONTRACT_3CX, "customer": {"name": "Công ty Cổ phần Đồng Tâm",
                                           "address": "Số 2 Đường Kim Giang, Dịch vụ Sự cố",
                                           "tax_id": "0310711885"}}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


NBSP = "\u00a0"


def pdf_text(client, body, lang):
    """The text of the calculation PDF of `body` in `lang`."""
    response = client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body)
    assert response.status_code == 200, response.json
    return text_of(response.data)


def squeezed(text: str) -> str:
    """Text without white space: table cells wrap customer text across lines."""
    return re.sub(r"\s+", "", text)


def money(amount: str, currency: str, locale: str) -> str:
    with localcontext(Context(prec=100)):
        return format_currency(Decimal(amount), currency, locale=locale)


def store(client, body):
    cid = body["contract"]["id"]
    assert client.put(f"/v1/contracts/{cid}", json=body["contract"]).status_code in (200, 201)
    for kind in ("incidents", "bug_occurrences", "support_cases", "tickets"):
        if body.get(kind):
            client.post(f"/v1/contracts/{cid}/{kind.replace('_', '-')}", json={"items": body[kind]})
    return cid


def amounts(value, path=""):
    """Every money amount in a statement JSON: (path, string)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("amount", "credit_amount", "total", "subtotal", "vat_amount", "credit_total", "period_fee",
                       "breach_credit_total") and isinstance(item, str):
                yield f"{path}.{key}", item
            else:
                yield from amounts(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from amounts(item, f"{path}.{index}")


@pytest.fixture
def vietnamese_note(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = VIETNAMESE
    cid = store(client, body)
    note = client.post(f"/v1/contracts/{cid}/credit-notes", json={"period": "2026-09"}).json
    return note


def test_a_vietnamese_credit_note_prints_its_number_customer_and_every_amount_as_vi_formats_it(client, vietnamese_note):
    response = client.get(f"/v1/credit-notes/{vietnamese_note['number']}", headers={"Accept": "application/pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{vietnamese_note["number"]}.pdf"'
    text = text_of(response.data)
    assert vietnamese_note["number"] in text
    assert squeezed("Công ty Cổ phần Đồng Tâm") in squeezed(text) and squeezed("Dịch vụ Sự cố") in squeezed(text)
    assert "Giấy báo có" in text
    for path, amount in amounts(vietnamese_note):
        assert money(amount, "VND", "vi") in text, path
    assert "400.000\u00a0₫" in text and "20.000.000\u00a0₫" in text  # Babel separates the sign with a no-break space


def test_a_danish_support_statement_prints_the_danish_figures(client):
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"][1]["description"] = "Genstart af server på Ærø"
    cid = store(client, body)
    response = client.get(f"/v1/contracts/{cid}/statements/2026-10?as_of=2026-11-01T00:00:00Z",
                          headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="statement-dk-support-2026-10.pdf"'
    text = text_of(response.data)
    assert squeezed("Ærø Økologiske Æbler ApS") in squeezed(text)
    assert squeezed("Genstart af server på Ærø") in squeezed(text)
    assert "Opgørelse" in text and "Moms 25" in text
    statement = client.get(f"/v1/contracts/{cid}/statements/2026-10?as_of=2026-11-01T00:00:00Z").json
    for path, amount in amounts(statement):
        assert money(amount, "DKK", "da") in text, path
    for expected in ("200,00", "547,50", "1.095,00", "140,80", "1.983,30", "495,83", "2.479,13"):
        assert f"{expected}\u00a0kr." in text


def test_an_english_calculation_pdf_and_the_lang_parameter_override_the_contract_locale(client):
    response = client.post("/v1/calculations?format=pdf&lang=en", json=SEPTEMBER_3CX)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Language"] == "en"
    text = text_of(response.data)
    assert "Statement" in text and "Uptime credit" in text
    assert money("400000", "VND", "en") in text and "99.6527%" in text


def test_accept_language_overrides_the_contract_locale_and_lang_overrides_both(client, vietnamese_note):
    url = f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf"
    danish = client.get(url, headers={"Accept-Language": "da"})
    assert danish.headers["Content-Language"] == "da" and "Kreditnota" in text_of(danish.data)
    english = client.get(url + "&lang=en", headers={"Accept-Language": "da"})
    assert english.headers["Content-Language"] == "en" and "Credit note" in text_of(english.data)
    assert client.get(url).headers["Content-Language"] == "vi"
    # `*` names no language: the contract's stays
    assert client.get(url, headers={"Accept-Language": "*"}).headers["Content-Language"] == "vi"
    assert client.get(url, headers={"Accept-Language": "*, da;q=0.5"}).headers["Content-Language"] == "da"


def test_a_document_in_another_language_than_the_contracts_says_it_in_its_file_name(client, vietnamese_note):
    # both languages of one note, saved side by side under one name, kept only the second
    number = vietnamese_note["number"]
    names = {lang: client.get(f"/v1/credit-notes/{number}?format=pdf&lang={lang}").headers["Content-Disposition"]
             for lang in ("vi", "en", "da")}
    assert names == {"vi": f'attachment; filename="{number}.pdf"', "en": f'attachment; filename="{number}-en.pdf"',
                     "da": f'attachment; filename="{number}-da.pdf"'}
    assert client.get(f"/v1/credit-notes/{number}?format=pdf", headers={"Accept-Language": "da-DK"}) \
        .headers["Content-Disposition"] == names["da"]
    preview = client.post("/v1/calculations?format=pdf&lang=en", json=OCTOBER_DK)  # a Danish contract
    assert preview.headers["Content-Disposition"] == 'attachment; filename="statement-dk-support-2026-10-en.pdf"'
    own = client.post("/v1/calculations?format=pdf", json=OCTOBER_DK)
    assert own.headers["Content-Disposition"] == 'attachment; filename="statement-dk-support-2026-10.pdf"'


@pytest.mark.parametrize("locale, expected", [("en", ["99.6527%", "100.0000%", "2.5%"]),
                                              ("vi", ["99,6527%", "100,0000%", "2,5%"]),
                                              ("da", ["99,6527\u00a0%", "100,0000\u00a0%", "2,5\u00a0%"])])
def test_percentages_follow_the_locales_pattern_with_every_digit_of_the_json(locale, expected):
    fmt = Formatter(locale, "VND", "Asia/Ho_Chi_Minh")
    assert [fmt.percent(v) for v in ("99.6527", "100.0000", "2.5")] == expected


@pytest.mark.parametrize("locale, currency, expected", [
    ("en", "DKK", "DKK\u00a01,983.30"), ("en", "CHF", "CHF\u00a01,983.30"), ("en", "USD", "$1,983.30"),
    ("en", "CAD", "CA$1,983.30"), ("en", "VND", "₫1,983"), ("vi", "USD", "1.983,30\u00a0US$"),
    ("da", "DKK", "1.983,30\u00a0kr."), ("vi", "VND", "1.983\u00a0₫")])
def test_a_currency_code_stands_a_no_break_space_from_its_digits_as_cldr_spaces_it_and_a_sign_does_not(
        locale, currency, expected):
    amount = "1983" if currency == "VND" else "1983.30"
    assert Formatter(locale, currency, "UTC").money(amount) == expected
    assert Formatter(locale, currency, "UTC").rate(amount) == expected


def test_an_english_danish_statement_parts_dkk_from_its_amounts(client):
    text = text_of(client.post("/v1/calculations?format=pdf&lang=en", json=OCTOBER_DK).data)
    for expected in ("DKK\u00a0200.00", "DKK\u00a01,095.00/h", "DKK\u00a03.52/km", "DKK\u00a02,479.13"):
        assert expected in text, expected
    assert not re.search(r"DKK\d", text)


@pytest.mark.parametrize("lang, label", [("vi", "Múi giờ"), ("da", "Tidszone"), ("en", "Time zone")])
def test_a_document_names_the_time_zone_its_dates_and_times_are_in(client, lang, label):
    # A Danish reader of a Vietnamese contract's fines ("2/9/26 10:00") could not tell whose 10:00 it was.
    for body, zone in ((SEPTEMBER_3CX, "Asia/Ho_Chi_Minh"), (OCTOBER_DK, "Europe/Copenhagen")):
        text = text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data)
        assert f"{label} {zone}" in text, (lang, zone)


@pytest.mark.parametrize("lang, short, long", [("en", "02/09/2026 10:00", "30 September 2026"),
                                              ("vi", "02/09/2026 10:00", "30 tháng 9, 2026"),
                                              ("da", "02.09.2026 10:00", "30. september 2026")])
def test_a_documents_dates_are_day_first_with_the_whole_year_in_every_language(client, lang, short, long):
    # English printed 9/2/26 for 2 September (American), which a Danish or Vietnamese accountant reads as
    # 9 February, and "September 30, 2026"; Vietnamese printed 2/9/26, a two-digit year on an accounting document
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "policy": {"template": "1office"}}
    body["tickets"] = []  # 3CX's priorities; 1office names its own
    body["bug_occurrences"] = [{"id": "b1", "bug_id": "B", "occurred_at": "2026-09-01T09:00:00+07:00"},
                               {"id": "b2", "bug_id": "B", "occurred_at": "2026-09-02T10:00:00+07:00"}]
    response = client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body)
    assert response.status_code == 200, response.json
    text = text_of(response.data)
    assert short in text and long in text, text
    assert "9/2/26" not in text and "2/9/26" not in text


@pytest.mark.parametrize("lang, refunded, on, deducted", [
    ("vi", "Hoàn trả bằng tiền mặt", "6 tháng 10, 2026", "Khấu trừ vào đợt thanh toán quý tiếp theo"),
    ("da", "Tilbagebetales kontant", "6. oktober 2026", "Fratrækkes betalingen for næste kvartal"),
    ("en", "Refunded in cash", "6 October 2026", "Deducted from the payment for the next quarter")])
def test_a_credit_of_a_term_ending_before_the_next_quarter_prints_as_refunded_not_deducted(client, lang, refunded,
                                                                                          on, deducted):
    # seed 001: refunded within 5 days of the contract's end; it printed "deducted from the payment for
    # the next quarter", a quarter the contract does not have
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "ends_on": "2026-10-01"}
    statement = client.post("/v1/calculations", json=body).json
    assert statement["application"] == {"mode": "next_quarter", "apply_on": "2026-10-06", "cash_refund": True,
                                        "refund_days_on_termination": 5}
    text = " ".join(text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data).split())
    assert f"{refunded} " in text and on in text
    assert deducted not in text
    ongoing = " ".join(text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=SEPTEMBER_3CX).data).split())
    assert deducted in ongoing and refunded not in ongoing


def test_a_danish_credit_for_a_missed_resolution_target_does_not_call_it_a_missed_response_time(client):
    # 3CX sets resolution targets only; its credit line read "Overskredet svartid" (response time exceeded).
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**body["contract"], "policy": {"template": "3cx-vn", "overrides": {
        "ticket_targets": {"priorities": {"P4": {"breach_credit": "100000"}}}}}}
    body["tickets"] = [{"id": "T-1002", "priority": "P4", "opened_at": "2026-09-11T15:00:00+07:00",
                        "resolved_at": "2026-09-15T10:00:00+07:00"}]
    ticket = client.post("/v1/calculations", json=body).json["tickets"]["items"][0]
    assert ticket["response"] is None and ticket["resolution"]["status"] == "breached" and ticket["breach_credit"]
    text = text_of(client.post("/v1/calculations?format=pdf&lang=da", json=body).data)
    assert "Overskredet svar- eller løsningstid, sag T-1002 100.000\u00a0₫" in text and "svartid" not in text


def test_a_danish_document_names_oneoffice_dk_priorities_as_its_danish_contract_does(client):
    # seed 003, in Danish, names its tiers High, Medium, Normal and Low SLA: "mellem" was not the contract's word
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = []
    body["tickets"] = [{"id": f"T-{name}", "priority": name, "opened_at": "2026-10-06T09:00:00+02:00",
                        "first_response_at": "2026-10-06T09:10:00+02:00", "resolved_at": "2026-10-06T09:40:00+02:00"}
                       for name in ("high", "medium", "normal", "low")]
    response = client.post("/v1/calculations?format=pdf&lang=da", json=body)
    assert response.status_code == 200, response.json
    text = text_of(response.data)
    for name in ("High", "Medium", "Normal", "Low"):
        assert f"T-{name.lower()} {name} " in text, name
    assert "mellem" not in text and "høj" not in text


@pytest.mark.parametrize("lang, expected", [("vi", "rất nghiêm trọng"), ("da", "kritisk"), ("en", "critical")])
def test_the_built_in_templates_english_priority_names_print_in_the_documents_language(client, lang, expected):
    # 1office's priorities are critical, serious and normal: a Vietnamese note printed "critical".
    examples = Path(render.__file__).resolve().parents[2] / "examples" / "1office"
    body = {"contract": json.loads((examples / "contract.json").read_text("utf-8")), "period": "2026-09",
            "as_of": "2026-11-01T00:00:00Z", "tickets": json.loads((examples / "tickets.json").read_text("utf-8"))["items"]}
    assert {t["priority"] for t in body["tickets"]} == {"critical"}
    text = text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data)
    assert text.count(expected) == 2  # the ticket's row and the compliance line
    assert lang == "en" or "critical" not in text
    # a policy's own names print as they are
    assert "P1 100%" in text_of(client.post("/v1/calculations?format=pdf&lang=vi", json=SEPTEMBER_3CX).data)


def test_a_pdf_carries_its_statement_json_as_a_pdf_a_3b_attachment(client, vietnamese_note):
    pdf = client.get(f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf").data
    reader = PdfReader(io.BytesIO(pdf))
    attached = json.loads(reader.attachments["statement.json"][0])
    assert attached == vietnamese_note
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp  # PDF/A-3b
    assert reader.trailer["/Root"]["/AF"]  # the JSON is an associated file, as PDF/A-3 requires


def test_the_pdf_uses_only_the_packaged_font_which_has_real_glyphs_for_vietnamese_and_danish():
    from fontTools.ttLib import TTFont
    from importlib import resources

    font = TTFont(io.BytesIO(resources.files("creditsvc.templates").joinpath("fonts/DejaVuSans.ttf").read_bytes()))
    cmap = font.getBestCmap()
    assert all(ord(ch) in cmap for ch in "ồịự₫æøåÆØÅĐđơưẠỹ")
    statement = client_free_statement()
    pdf = render_pdf(statement, {"timezone": "Asia/Ho_Chi_Minh", "customer": {"name": "Đồng ịự æøå"}}, "vi")
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font_ref in page["/Resources"]["/Font"].values():
            fonts.add(str(font_ref.get_object()["/BaseFont"]))
    assert fonts and all(name.endswith(("Creditsvc-Sans", "Creditsvc-Sans-Bold")) for name in fonts), fonts
    assert squeezed("Đồng ịự æøå") in squeezed(text_of(pdf))


def client_free_statement():
    from creditsvc.calculators.statement import compute_statement
    from creditsvc.schemas.calculation import CalculationRequestSchema
    from creditsvc.schemas.statement import dump_statement

    return dump_statement(compute_statement(CalculationRequestSchema().load(copy.deepcopy(SEPTEMBER_3CX))))


def test_one_font_configuration_serves_every_render():
    assert render._font_config()[0] is render._font_config()[0]


def test_documents_render_with_weasyprints_html_defaults_less_what_they_never_have():
    from weasyprint.html import UA_STYLESHEET

    render._font_config()
    sheets = render._Document(string="<p>x</p>")._ua_stylesheets()  # the hook WeasyPrint takes its defaults from
    assert render._defaults in sheets and UA_STYLESHEET not in sheets
    kept = render._defaults.matcher
    assert kept.lower_local_name_selectors["th"] and kept.lower_local_name_selectors["h1"]  # th bold, h1 2em, ...
    assert [rule[1][0][1] for rule in render._defaults.page_rules] == [None, "@top-right", "@bottom-left", "@bottom-right"]


class CountingServer:
    def __init__(self):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { background: red }")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def hostile(port: int) -> list[str]:
    return [f"<img src=http://127.0.0.1:{port}/img.png>",
            "<link rel=attachment href=file:///etc/passwd>",
            f"<style>@import url(http://127.0.0.1:{port}/evil.css);</style>",
            f"<link rel=stylesheet href=http://127.0.0.1:{port}/x.css>"]


def test_hostile_customer_text_is_printed_literally_and_fetches_nothing(client):
    with CountingServer() as server:
        name, address, description, css = hostile(server.port)
        body = copy.deepcopy(OCTOBER_DK)
        body["contract"] = {**body["contract"], "id": "evil", "customer": {"name": name, "address": address}}
        body["support_cases"][0]["description"] = description
        body["support_cases"][1]["description"] = css
        response = client.post("/v1/calculations?format=pdf", json=body)
        assert response.status_code == 200
        reader = PdfReader(io.BytesIO(response.data))
        text = text_of(response.data)
        assert server.requests == []
    assert set(reader.attachments) == {"statement.json"}  # /etc/passwd was not embedded
    assert "root:" not in text
    for literal in (name, address, description, css):
        assert squeezed(literal) in squeezed(text)


def test_the_fetcher_itself_refuses_every_url_but_packaged_assets_even_in_unescaped_html():
    with CountingServer() as server:
        fetcher = AssetFetcher()
        from weasyprint import HTML
        html = "<p>x</p>" + "".join(hostile(server.port)) + \
               f"<object data=ftp://127.0.0.1:{server.port}/f></object><img src='data:image/png;base64,AAAA'>"
        pdf = HTML(string=html, base_url=render.ASSET_SCHEME, url_fetcher=fetcher).write_pdf()
        assert server.requests == []
    assert any(url.startswith("http://") for url in fetcher.refused)
    assert any(url.startswith("file:") for url in fetcher.refused)
    assert len(PdfReader(io.BytesIO(pdf)).attachments) == 0
    for url in ("creditsvc-asset:../pyproject.toml", "creditsvc-asset:fonts/../../pyproject.toml",
                "creditsvc-asset:nothing.css"):
        with pytest.raises(Exception):
            fetcher.fetch(url)
    assert fetcher.fetch("creditsvc-asset:style.css").read().startswith(b"/*")


def test_a_void_note_still_prints_the_same_figures_marked_void_under_a_file_name_that_says_void(client, vietnamese_note):
    client.post("/v1/contracts/acme-3cx/incidents?supersede=true",
                json={**SEPTEMBER_3CX["incidents"][0], "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
                      "ended_at": "2026-09-20T10:00:00+07:00"})
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    void = client.get(f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf")
    text = text_of(void.data)
    assert "ĐÃ HỦY" in text and "400.000\u00a0₫" in text
    # another document than the one first delivered under that number, so not the same file name
    assert void.headers["Content-Disposition"] == f'attachment; filename="{vietnamese_note["number"]}-void.pdf"'
    english = client.get(f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf&lang=en")
    assert english.headers["Content-Disposition"] == f'attachment; filename="{vietnamese_note["number"]}-void-en.pdf"'


def test_the_pdf_prints_percentages_and_rates_with_every_digit_the_json_has(client):
    body = copy.deepcopy(OCTOBER_DK)
    body["contract"] = {**body["contract"], "support_agreement": "GOD", "policy": {
        "template": "oneoffice-dk", "overrides": {"support_billing": {
            "vat_percent": "25.123456", "mileage_rate": "3.525", "agreement_discounts": {"GOD": "33.3333"}}}}}
    response = client.post("/v1/calculations?format=pdf&lang=en", json=body)
    statement = client.post("/v1/calculations", json=body).json
    text = text_of(response.data)
    assert "25.123456%" in text  # en writes 25%, as Babel's en pattern does
    # The rates written out here, not through Formatter.rate: expected and printed both went through
    # it, so a rate rounded to the currency's 2 digits on the PDF passed.
    assert [line["rate"] for line in statement["support"]["lines"]] == ["730.000365", "1460.00073", "3.525"]
    for printed in ("DKK730.000365", "DKK1,460.00073", "DKK3.525"):
        assert printed in squeezed(text), printed


def test_a_credit_note_prints_its_issue_date_in_the_contract_zone_and_amounts_past_28_digits(client):
    from datetime import datetime, timezone
    from creditsvc.services import credit_notes
    from creditsvc import db

    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "huge", "policy": {"template": "1office", "overrides": {
        "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "1000"}}}}
    body["tickets"] = []
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(7)]
    store(client, body)
    with client.application.app_context():
        note, _ = credit_notes.issue(db.session(), "huge", "2026-09",
                                     now=datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc))  # 1 Jan 2027 in Hà Nội
        number = note.number
    assert number.startswith("CN-2027-")  # the year of the issue date the customer reads
    response = client.get(f"/v1/credit-notes/{number}?format=pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    total = client.get(f"/v1/credit-notes/{number}").json["credit_total"]
    assert len(total) > 28 and money(total, "VND", "vi") in text  # 41 characters, on one line
    assert "1 tháng 1, 2027" in text


@pytest.mark.parametrize("accept, pdf", [
    ("application/pdf", True),
    ("application/pdf, */*", True),  # the client named PDF; JSON only through a wildcard
    ("application/pdf, application/*", True),
    ("application/pdf, */*;q=0.8", True),
    ("*/*", False),
    ("", False),
    ("application/json", False),
    ("application/json, application/pdf", False),  # both named alike: the API's default
    ("application/pdf, application/json;q=0.9", True),
    ("application/pdf;q=0.5, */*", False),  # the client ranks anything above PDF
    ("application/pdf;q=0", False),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),  # a browser
    ("application/json; charset=utf-8, application/pdf", False),  # parameters do not hide the type
    ("application/pdf;version=1.7", True),
])
def test_accept_chooses_the_pdf_when_the_client_names_it_above_json(app, accept, pdf):
    from creditsvc.api.documents import wants_pdf

    with app.test_request_context("/v1/credit-notes/CN-2026-000001", headers={"Accept": accept} if accept else {}):
        assert wants_pdf() is pdf


TEMPLATES = Path(render.__file__).resolve().parents[2] / "templates"


def messages_of_the_templates() -> set:
    from babel.messages.extract import extract_from_dir

    return {message[2] for message in extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", "jinja2.ext:babel_extract")],
        options_map={"**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}})}


def test_the_committed_message_template_holds_exactly_the_messages_of_the_templates():
    # A translator starting a catalog from messages.pot got "Date", "Time", "Applied" and "From", which
    # no template says any more, and none of the plurals: it was the first commit's, never regenerated.
    from babel.messages.pofile import read_po

    with open(TEMPLATES / "translations" / "messages.pot", "rb") as source:
        template = read_po(source)
    assert {m.id for m in template if m.id} == messages_of_the_templates()  # babel.cfg says how


def test_every_message_of_the_templates_is_translated_in_vi_and_da_and_the_catalogs_hold_no_others():
    from babel.messages.pofile import read_po

    folder = TEMPLATES
    used = messages_of_the_templates()
    assert "Page" in used and ("%(days)s day", "%(days)s days") in used
    for locale in ("vi", "da", "en"):
        with open(folder / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as source:
            catalog = read_po(source, locale=locale)
        messages = {m.id: m for m in catalog if m.id}
        assert set(messages) == used, locale  # `pybabel extract` + `update` after every template change
        if locale != "en":
            untranslated = sorted(i for i, m in messages.items() if not m.string or m.fuzzy)
            assert untranslated == [], (locale, untranslated)


def _lines_by_height(pdf: bytes) -> list[list[tuple[float, str]]]:
    """Per page, (y, text) of every piece of text pypdf finds, y from the page's bottom."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found = []
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: found.append((tm[5] * cm[3] + cm[5], text))
                          if text.strip() else None)
        pages.append(found)
    return pages


def test_the_footer_prints_the_number_and_page_x_of_y_on_every_page_and_no_text_is_hidden(client):
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{**body["support_cases"][0], "id": f"c{k}", "started_at": f"2026-10-{1 + k % 28:02d}T09:00:00+02:00",
                              "ended_at": f"2026-10-{1 + k % 28:02d}T10:00:00+02:00"} for k in range(60)]
    pdf = client.post("/v1/calculations?format=pdf&lang=da", json=body).data
    pages = _lines_by_height(pdf)
    assert len(pages) >= 2
    for number, found in enumerate(pages, start=1):
        footer = " ".join(text for y, text in found if y < 20 * 72 / 25.4)  # the bottom margin: 20 mm
        assert "dk-support 2026-10" in footer and f"Side {number} / {len(pages)}" in footer, footer
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().lstrip()
    assert first.startswith("Opgørelse dk-support 2026-10")  # no invisible text before the heading
    # the table's head comes back on the page the rows continue on
    assert "Tidspunkt" in PdfReader(io.BytesIO(pdf)).pages[1].extract_text()


def test_a_support_case_over_several_days_prints_its_end_date(client):
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{**body["support_cases"][0], "started_at": "2026-10-06T15:30:00+02:00",
                              "ended_at": "2026-10-10T16:30:00+02:00"}]
    text = text_of(client.post("/v1/calculations?format=pdf&lang=da", json=body).data)
    assert "06.10.2026 15:30–" in text and "10.10.2026 16:30" in text


def test_customer_text_prints_as_typed_with_its_line_breaks_and_spaces(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "customer": {"name": "Đồng  Tâm   JSC", "address": "Tầng 5\nQuận 1"}}
    text = text_of(client.post("/v1/calculations?format=pdf", json=body).data)
    assert "Đồng  Tâm   JSC" in text and "Tầng 5\nQuận 1" in text


def test_the_application_block_splits_licence_days_renewal_deduction_and_money_as_the_renewal_summary_does(client):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "split", "ends_on": "2027-01-01", "policy": {"template": "1office"}}
    body["tickets"] = []
    body["incidents"] = [{**body["incidents"][0], "severity": "critical", "started_at": "2026-09-10T09:00:00+07:00",
                          "ended_at": "2026-09-10T14:10:00+07:00"}]  # 5 h 10 min: 2 blocks = 1 day
    body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(3)]  # fines 500,000 + 1,000,000
    store(client, body)
    note = client.post("/v1/contracts/split/credit-notes", json={"period": "2026-09"}).json
    summary = client.get("/v1/contracts/split/renewal-summary").json
    assert summary["license_extension_days"] == "1" and summary["renewal_deduction_total"] == "1500000"
    text = text_of(client.get(f"/v1/credit-notes/{note['number']}?format=pdf&lang=en").data)
    assert "Added to the licence period 1 day on 1 January 2027" in text
    assert f"Deducted from the renewal contract {money('1500000', 'VND', 'en')} on 1 January 2027" in text


@pytest.mark.parametrize("header, expected", [
    ("da-DK,en;q=0.5", "da"),  # werkzeug's best_match said en: no tag matched whole
    ("en-GB,vi;q=0.9", "en"),
    ("vi-VN,en-US;q=0.8,en;q=0.5", "vi"),
    ("fr, DA;q=0.3", "da"),
    ("fr", "vi"),  # none we write: the contract's
    ("da;q=0, en;q=0.1", "en"),  # q=0 is "not this one"
    ("da_DK, en;q=0.5", "da"),  # a POSIX locale name, as clients pass their own: it said en
    ("en_GB.UTF-8, vi;q=0.2", "en"),
    ("da@euro", "da"),
])
def test_the_pdf_language_is_the_clients_most_wanted_one_by_its_primary_tag(header, expected):
    assert render.pick_locale("vi", None, parse_accept_header(header, LanguageAccept)) == expected


def test_a_document_response_says_it_varies_by_accept_json_or_pdf(client):
    for headers in ({}, {"Accept": "application/pdf"}):
        response = client.post("/v1/calculations", json=SEPTEMBER_3CX, headers=headers)
        assert response.status_code == 200
        assert set(response.vary) >= {"Accept", "Accept-Language"}


def test_an_issued_notes_pdf_is_the_same_bytes_on_every_download_dated_when_it_was_issued(
        client, vietnamese_note, fixed_clock):
    # It was dated at the download, so every download was another file (/CreationDate, /ModDate,
    # /ID and the attachment's dates), and its date was not the note's.
    url = f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf"
    first = client.get(url).data
    fixed_clock.set(datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc))
    time.sleep(1.1)  # WeasyPrint's default date is the wall clock, to the second
    again = client.get(url).data
    assert first == again
    issued = datetime.fromisoformat(vietnamese_note["issued_at"])
    info = PdfReader(io.BytesIO(first)).metadata
    assert info.creation_date == info.modification_date == issued


def test_a_notes_pdf_as_first_delivered_is_what_every_later_download_gets(client, app, vietnamese_note, monkeypatch):
    # An accountant's document never changes once issued: it was rendered afresh on each download,
    # so a release that changed the templates, the fonts or Babel changed every note issued before.
    from creditsvc.db import models
    from sqlalchemy import select

    url = f"/v1/credit-notes/{vietnamese_note['number']}?format=pdf"
    first = client.get(url).data
    assert "Giấy báo có" in text_of(first)
    later_release = render.render_pdf(*_rendered_with(app, vietnamese_note), "en")  # any other bytes will do
    monkeypatch.setattr(render, "render_pdf", lambda *args, **kwargs: later_release)
    assert client.get(url).data == first  # the same file, byte for byte
    assert client.get(url + "&lang=en").data == later_release  # a language not delivered before is rendered
    client.post("/v1/contracts/acme-3cx/incidents?supersede=true",
                json={**SEPTEMBER_3CX["incidents"][0], "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
                      "ended_at": "2026-09-20T10:00:00+07:00"})
    client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09", "supersede": True})
    monkeypatch.undo()
    void = client.get(url).data  # voided: its VOID document, kept beside the one issued
    assert "ĐÃ HỦY" in text_of(void) and client.get(url).data == void
    with app.app_context():
        from creditsvc import db
        kept = db.session().execute(select(models.CreditNoteDocument.locale, models.CreditNoteDocument.status)
                                    .where(models.CreditNoteDocument.number == vietnamese_note["number"])).all()
    assert sorted(kept) == [("en", "issued"), ("vi", "issued"), ("vi", "void")]


def _rendered_with(app, note: dict):
    """A note's statement and contract as the PDF renders them."""
    from creditsvc import db
    from creditsvc.services import credit_notes

    with app.app_context():
        stored = credit_notes.get_note(db.session(), note["number"])
        return stored.statement, stored.inputs["contract"]


def test_a_document_a_concurrent_download_kept_first_is_the_one_served(client, app, vietnamese_note):
    from creditsvc import db
    from creditsvc.services import credit_notes

    with app.app_context():
        number = vietnamese_note["number"]
        assert credit_notes.keep_document(db.session(), number, "da", "issued", b"%PDF first") == b"%PDF first"
        assert credit_notes.keep_document(db.session(), number, "da", "issued", b"%PDF second") == b"%PDF first"
    assert client.get(f"/v1/credit-notes/{number}?format=pdf&lang=da").data == b"%PDF first"


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_local_time_that_happens_twice_names_its_zone_and_times_print_alike_everywhere(client):
    # 25 Oct 2026 in Copenhagen: 02:00-03:00 happens twice. "02:40-02:20" read as a negative case, and
    # two fines an hour apart printed alike; fines printed 02.30.00 beside support's 02:30.
    body = copy.deepcopy(OCTOBER_DK)
    body["support_cases"] = [{"id": "fold", "started_at": "2026-10-25T02:40:00+02:00",
                              "ended_at": "2026-10-25T02:20:00+01:00", "level": 1}]
    response = client.post("/v1/calculations?format=pdf&lang=da", json=body)
    assert response.status_code == 200, response.json
    assert "02:40CEST–02:20CET" in squeezed(text_of(response.data))  # the cell wraps
    fines = {"contract": {**VIETNAMESE, "timezone": "Europe/Copenhagen", "policy": {"template": "1office"}},
             "period": "2026-10", "as_of": "2026-11-01T00:00:00Z",
             "bug_occurrences": [{"id": "b0", "bug_id": "B", "occurred_at": "2026-10-20T10:00:00+02:00"},  # no fine
                                 {"id": "b1", "bug_id": "B", "occurred_at": "2026-10-25T02:30:00+02:00"},
                                 {"id": "b2", "bug_id": "B", "occurred_at": "2026-10-25T02:30:00+01:00"},
                                 {"id": "b3", "bug_id": "B", "occurred_at": "2026-10-26T09:15:30+01:00"}]}
    response = client.post("/v1/calculations?format=pdf&lang=da", json=fines)
    assert response.status_code == 200, response.json
    text = squeezed(text_of(response.data))
    assert "25.10.202602:30CEST" in text and "25.10.202602:30CET" in text
    assert "26.10.202609:15:30" in text and "09:15:30CE" not in text  # seconds when there are any; no zone
    assert "02.30.00" not in text


@pytest.mark.parametrize("days, locale, expected", [
    (1, "en", "refunded within 1 day"), (1, "da", "tilbagebetales inden for 1 dag"),
    (5, "en", "refunded within 5 days"), (5, "da", "tilbagebetales inden for 5 dage"),
    (1, "vi", "hoàn trả trong vòng 1 ngày"),
])
def test_the_refund_days_on_termination_take_the_plural_their_number_needs(client, days, locale, expected):
    # "refunded within 1 days", "inden for 1 dage"
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "policy": {"template": "3cx-vn", "overrides": {
        "application": {"refund_days_on_termination": days}}}}
    response = client.post(f"/v1/calculations?format=pdf&lang={locale}", json=body)
    assert response.status_code == 200, response.json
    text = text_of(response.data)
    assert expected in text and f"{expected}s" not in text and f"{expected}e" not in text


def test_a_support_cases_description_prints_once_under_its_lines_across_the_table(client):
    # On every line of the case, in its narrow column: a 2,000-character description took 9 pages
    # for 3 lines, 6 of them without the table's heading.
    body = copy.deepcopy(OCTOBER_DK)
    words = " ".join(f"ord{k:03d}" for k in range(285))[:2000]  # the schema's longest description
    body["support_cases"] = [{**body["support_cases"][1], "started_at": "2026-10-06T15:30:00+02:00",
                              "ended_at": "2026-10-06T17:30:00+02:00", "description": words}]
    statement = client.post("/v1/calculations", json=body).json
    assert [line["kind"] for line in statement["support"]["lines"]] == ["business_hours", "after_hours", "mileage"]
    pages = pages_of(client.post("/v1/calculations?format=pdf&lang=da", json=body).data)
    assert len(pages) <= 2  # the case and its description on the first, with the table's heading
    assert squeezed(pages[0]).count("ord284") == 1 and squeezed(pages[0]).count("ord000") == 1
    assert "ord000" not in "".join(pages[1:])
    # a small table of facts moves whole: none of its rows on a page without its heading
    assert all("Sådan anvendes krediten" in page for page in pages if "Kontant tilbagebetaling" in page)


def test_a_void_note_says_so_on_every_page(client):
    # Only the first page said VOID: a page of a void note, printed alone, read as a live note.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "vn-long", "policy": {"template": "3cx-vn", "overrides": {
        "support_billing": {"rates": {"1": "300000", "2": "450000"}, "mileage_rate": "5000", "vat_percent": "10"}}}}
    body["support_cases"] = [{"id": f"case-{k}", "started_at": f"2026-09-{1 + k % 28:02d}T15:30:00+07:00",
                              "ended_at": f"2026-09-{1 + k % 28:02d}T18:45:00+07:00", "level": 1 + k % 2}
                             for k in range(60)]
    store(client, body)
    first = client.post("/v1/contracts/vn-long/credit-notes", json={"period": "2026-09"})
    assert first.status_code == 201, first.json
    late = {**SEPTEMBER_3CX["incidents"][0], "id": "late", "started_at": "2026-09-20T09:00:00+07:00",
            "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/vn-long/incidents?supersede=true", json=late).status_code == 201
    correction = client.post("/v1/contracts/vn-long/credit-notes", json={"period": "2026-09", "supersede": True})
    assert correction.status_code == 201
    pages = pages_of(client.get(f"/v1/credit-notes/{first.json['number']}?format=pdf&lang=en").data)
    assert len(pages) > 2
    assert all(f"VOID – superseded by {correction.json['number']}" in page for page in pages)
    live = pages_of(client.get(f"/v1/credit-notes/{correction.json['number']}?format=pdf&lang=en").data)
    assert not any("VOID" in page for page in live)


def test_an_explicit_period_is_named_by_its_local_dates_and_the_page_number_stays_on_one_line(client):
    # The heading and footer printed the period's label, two RFC 3339 timestamps; with a 64-character
    # contract id the footer's "Trang 1 /" and "1" fell on two lines.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "c" * 64}
    body["period"] = {"start": "2026-01-01T00:00:00+07:00", "end": "2026-07-01T00:00:00+07:00"}
    response = client.post("/v1/calculations?format=pdf&lang=en", json=body)
    assert response.status_code == 200, response.json
    pages = pages_of(response.data)
    assert all("T00:00:00" not in page for page in pages)
    assert squeezed(pages[0]).count("2026-01-01–2026-06-30") == 2  # the heading and the footer
    assert all(f"Page {k} / {len(pages)}" in page for k, page in enumerate(pages, 1))
    month = pages_of(client.post("/v1/calculations?format=pdf&lang=en", json=SEPTEMBER_3CX).data)
    assert f"{SEPTEMBER_3CX['contract']['id']} 2026-09" in month[0]


def test_an_explicit_periods_file_is_named_by_the_local_dates_the_document_prints(client):
    # The file was statement-c-2026-01-01T000000+0700_2026-07-01T000000+0700.pdf: the exclusive end's
    # instant, a day the period does not cover, beside a document that says 2026-01-01–2026-06-30.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["period"] = {"start": "2025-12-31T17:00:00Z", "end": "2026-06-30T17:00:00Z"}
    response = client.post("/v1/calculations?format=pdf", json=body)
    assert response.status_code == 200, response.json
    assert "2026-01-01–2026-06-30" in squeezed(text_of(response.data))
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="statement-{body["contract"]["id"]}-2026-01-01_2026-06-30.pdf"'


def test_a_credit_note_says_its_support_charge_and_vat_are_not_part_of_the_credit(client):
    # The note printed the period's support subtotal, VAT and total above its own "Credit total",
    # and nothing else of VAT: a bookkeeper could reverse the charge's VAT as credited.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "id": "vn-support", "policy": {"template": "3cx-vn", "overrides": {
        "support_billing": {"rates": {"1": "300000", "2": "450000"}, "mileage_rate": "5000", "vat_percent": "10"}}}}
    body["support_cases"] = [{"id": "case-1", "started_at": "2026-09-08T09:00:00+07:00",
                              "ended_at": "2026-09-08T11:00:00+07:00", "level": 1}]
    store(client, body)
    note = client.post("/v1/contracts/vn-support/credit-notes", json={"period": "2026-09"})
    assert note.status_code == 201 and note.json["support"]["vat_amount"] != "0"
    said = {"da": "supportbeløbetogdetsmomsindgårikkeidennekreditnota",
            "en": "thesupportchargeanditsVATarenotpartofthiscreditnote"}
    for locale, words in said.items():
        text = squeezed(text_of(client.get(f"/v1/credit-notes/{note.json['number']}?format=pdf&lang={locale}").data))
        assert words in text
    preview = squeezed(text_of(client.post("/v1/calculations?format=pdf&lang=en", json=body).data))
    assert said["en"] not in preview  # a statement is no credit note


def test_capped_outage_days_say_they_are_capped_as_the_amount_does(client):
    # "Blocks 24 / Days earned 1,5" with "(capped)" only on the amount: 24 x 0.5 is not 1.5
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "policy": {"template": "3cx-vn", "overrides": {
        "outage_credit": {"severity": "critical"}}}}
    body["tickets"] = []
    body["incidents"] = [{**body["incidents"][0], "severity": "critical", "started_at": "2026-09-02T09:00:00+07:00",
                          "ended_at": "2026-09-07T09:00:00+07:00"}]  # 120 h: 60 blocks, past the shared cap
    statement = client.post("/v1/calculations", json=body).json
    outage = statement["outage_credit"]
    assert outage["capped"] is True and outage["blocks"] == 60 and outage["credit_days"] == "22.5"  # not 30
    text = squeezed(text_of(client.post("/v1/calculations?format=pdf&lang=en", json=body).data))
    days = Formatter("en", "VND", VIETNAMESE["timezone"]).number(outage["credit_days"], 4)
    assert f"Daysearned{days}(capped)" in text


def test_a_period_ending_at_a_skipped_midnight_is_printed_to_the_day_before(client):
    # Santiago skips 00:00 on 6 September 2026; the period's last second is on the 5th, and the JSON's
    # deadlines count from it: the PDF printed 6 September, the day the period ends on
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["tickets"] = []
    body["contract"] = {**body["contract"], "timezone": "America/Santiago", "policy": {"template": "hvn"}}
    body["period"] = {"start": "2026-08-06T00:00:00-04:00", "end": "2026-09-06T00:00:00-04:00"}
    statement = client.post("/v1/calculations", json=body).json
    assert statement["claim_deadline"] == "2026-12-05"
    fmt = Formatter("en", "VND", "America/Santiago")
    assert fmt.last_day(statement["period"]["end"]) == "5 September 2026"
    assert render.period_label(statement["period"], fmt) == "2026-08-06–2026-09-05"
    text = text_of(client.post("/v1/calculations?format=pdf&lang=en", json=body).data)
    assert "5 September 2026" in text and "6 September 2026" not in text


def test_a_capped_uptime_credit_says_it_is_capped_rather_than_equal_to_its_percent_of_the_fee(client):
    # credit_cap_percent 10 of a 20,000,000 fee: 25 % gives 2,000,000, and the PDF printed
    # "25% = ₫2,000,000" under "Period fee ₫20,000,000": 25 % of it is 5,000,000.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "policy": {"template": "3cx-vn", "overrides": {
        "uptime": {"credit_cap_percent": "10"}}}}
    body["incidents"] = [{**body["incidents"][0], "started_at": "2026-09-02T00:00:00+07:00",
                          "ended_at": "2026-09-05T00:00:00+07:00"}]  # 72 h: 90 %, band [0, 94.5) -> 25 %
    uptime = client.post("/v1/calculations", json=body).json["uptime"]
    assert (uptime["credit_percent"], uptime["credit_amount"], uptime["capped"]) == ("25", "2000000", True)
    expected = {"en": ("25%, capped: ₫2,000,000", "25% = ₫2,000,000"),
                "da": ("25 %, begrænset: 2.000.000 ₫", "25 % = 2.000.000 ₫"),
                "vi": ("25%, đã giới hạn: 2.000.000 ₫", "25% = 2.000.000 ₫")}
    for locale, (said, unsaid) in expected.items():
        text = squeezed(text_of(client.post(f"/v1/calculations?format=pdf&lang={locale}", json=body).data))
        assert squeezed(said) in text and squeezed(unsaid) not in text, locale
    # uncapped, the credit is its percent of the fee, and says so
    body["contract"]["policy"] = {"template": "3cx-vn"}
    uptime = client.post("/v1/calculations", json=body).json["uptime"]
    assert (uptime["credit_amount"], uptime["capped"]) == ("5000000", False)
    text = squeezed(text_of(client.post("/v1/calculations?format=pdf&lang=en", json=body).data))
    assert "25%=₫5,000,000" in text and "capped" not in text


def _breaks(text: str, formatted: str) -> list[str]:
    """Where `text` (extracted from a PDF) wraps `formatted` across lines: for each line break inside
    it that `formatted` has no space at, the characters before the break (up to 4)."""
    pattern = r"\s*".join(re.escape(ch) for ch in formatted if not ch.isspace())
    found = re.search(pattern, text)
    assert found, formatted

    def spaces(s):  # positions, counted in non-space characters, that white space follows
        count, at = 0, set()
        for ch in s:
            if ch.isspace():
                at.add(count)
            else:
                count += 1
        return at

    bare = squeezed(formatted)
    return [bare[max(0, i - 4):i] for i in sorted(spaces(found.group()) - spaces(formatted))]


def test_a_long_amount_never_wraps_inside_itself(client):
    # The 40th occurrence of a 1office bug is fined 500,000 x 2^38 = 137,438,953,472,000,000 VND; its
    # cell printed "₫137,438,953,472,000,00" and, on the next line, "0": the first line reads as a
    # number ten times smaller. In vi and da "1.099.511.627.776.000.00" and "0 ₫". Wrapped between its
    # digit groups instead, "147." over "435,63 DKK" read as two numbers (the accountants' audit): the
    # column widens (style.css). test_figures_on_one_line reads the same from the layout.
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "policy": {"template": "1office"}}
    body["tickets"], body["incidents"] = [], []
    body["bug_occurrences"] = [{"id": f"a{k}", "bug_id": "B", "occurred_at": f"2026-08-01T00:00:{k:02d}Z"}
                               for k in range(36)] + \
                              [{"id": f"b{k}", "bug_id": "B", "occurred_at": f"2026-09-0{k + 1}T00:00:00Z"}
                               for k in range(8)]  # occurrences 37 to 44 in September
    statement = client.post("/v1/calculations", json=body).json
    fines = statement["repeat_bug_fines"]
    assert fines["items"][3] == {**fines["items"][3], "occurrence": 40, "amount": "137438953472000000"}
    for locale in ("en", "vi", "da"):
        text = text_of(client.post(f"/v1/calculations?format=pdf&lang={locale}", json=body).data)
        for amount in [item["amount"] for item in fines["items"]] + [fines["total"]]:
            assert _breaks(text, money(amount, "VND", locale)) == [], (locale, amount)


def test_renders_in_threads_of_one_process_never_run_weasyprint_at_the_same_time(monkeypatch):
    # gunicorn serves each worker with 4 threads, and WeasyPrint (Pango, fontconfig, HarfBuzz behind
    # the one shared FontConfiguration) is not thread-safe: 12 PDFs asked at once from a fresh worker
    # printed "GLib-WARNING: corrupted double-linked list detected", gave one a different PDF, hung
    # one request, and aborted the worker ("realloc(): invalid next size") with all it had in flight.
    from creditsvc.api.calculations import contract_document
    from creditsvc.calculators.statement import compute_statement
    from creditsvc.schemas.calculation import CalculationRequestSchema
    from creditsvc.schemas.statement import dump_statement

    request = CalculationRequestSchema().load(copy.deepcopy(SEPTEMBER_3CX))
    statement, contract = dump_statement(compute_statement(request)), contract_document(request.contract)
    inside, most = 0, 0
    count = threading.Lock()

    def write_pdf(self, *args, **kwargs):
        nonlocal inside, most
        with count:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        with count:
            inside -= 1
        return b"%PDF-"

    monkeypatch.setattr(render._Document, "write_pdf", write_pdf)
    threads = [threading.Thread(target=render_pdf, args=(statement, contract, "vi")) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_the_render_time_a_pdf_reports_leaves_out_its_wait_for_the_render_lock(monkeypatch):
    # A worker renders one PDF at a time: under load a download's time was mostly the queue, and
    # creditsvc_pdf_render_seconds told it as rendering. A clock that moves only while the lock is
    # being acquired (100 s of it) keeps this free of wall-clock time.
    now = [0.0]
    monkeypatch.setattr(render, "perf_counter", lambda: now[0])

    class SlowLock:
        def __enter__(self):
            now[0] += 100

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(render, "_render_lock", SlowLock())
    told = []
    pdf = render_pdf(client_free_statement(), {"timezone": "Asia/Ho_Chi_Minh"}, "vi",
                     observe=lambda rendered, waited: told.append((rendered, waited)))
    assert pdf.startswith(b"%PDF")
    assert told == [(0, 100)]  # the wait, all of it, and none of it in the render time


def test_a_pdf_response_counts_one_render_and_one_render_lock_wait_in_the_metrics(app):
    from creditsvc import observability
    from creditsvc.api.documents import pdf_response

    def counts():
        return [next(s.value for s in metric.collect()[0].samples if s.name.endswith("_count"))
                for metric in (observability.PDF_RENDER, observability.PDF_RENDER_WAIT)]

    before = counts()
    with app.test_request_context():
        response = pdf_response(client_free_statement(), {"timezone": "Asia/Ho_Chi_Minh", "locale": "vi"},
                                datetime.now(timezone.utc))
    assert response.mimetype == "application/pdf"
    assert [after - earlier for after, earlier in zip(counts(), before)] == [1, 1]


@pytest.mark.parametrize("lang, says", [
    ("vi", "Trạng thái bảng kê tạm tính Tính đến 10/09/2026 10:00"),
    ("da", "foreløbig Opgjort pr. 10.09.2026 05:00"),
    ("en", "provisional Computed as of 10/09/2026 04:00"),
])
def test_a_statement_pdf_says_as_of_when_in_the_contracts_zone(client, lang, says):
    # An open incident's downtime grows until it ends: a provisional PDF without its as_of could not be
    # told from one downloaded an hour later with other figures.
    body = copy.deepcopy(SEPTEMBER_3CX if lang == "vi" else OCTOBER_DK)
    body["incidents"] = [{**SEPTEMBER_3CX["incidents"][0], "started_at": "2026-09-10T01:00:00Z", "ended_at": None}]
    if lang != "vi":
        body["period"] = "2026-09"
        body["contract"]["timezone"] = "Europe/Copenhagen" if lang == "da" else "Europe/London"
    body["as_of"] = "2026-09-10T03:00:00Z"
    text = text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data)
    assert squeezed(says) in squeezed(text), text


def test_a_final_preview_says_as_of_too_and_a_note_does_not(client):
    # A ticket target still running moves a "final" preview's figures with as_of (rules.md §7): 0 at
    # 02:10Z, a 500000 breach credit at 09:00Z, both under "chính thức" (found by the review).
    client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX)
    client.post("/v1/contracts/acme-3cx/incidents", json=SEPTEMBER_3CX["incidents"][0])
    url = "/v1/contracts/acme-3cx/statements/2026-09?format=pdf&as_of=2026-10-02T03:00:00Z"
    final = text_of(client.get(url).data)
    assert "chính thức" in final and squeezed("Tính đến 02/10/2026 10:00") in squeezed(final)
    number = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"]
    note = text_of(client.get(f"/v1/credit-notes/{number}?format=pdf").data)
    assert number in note and "Tính đến" not in note


FINES_HEADER, CREDITS_HEADER = "Bug Occurrence Occurred Amount", "Rule Amount"


def test_a_total_never_stands_alone_at_the_top_of_a_page_under_the_repeated_heading(client):
    # With 28 fines the credit total fell alone onto page 3, under the table's repeated heading: a total
    # without a row above it reads as another table's. The fines' total and a support table's subtotal,
    # VAT and total keep with their last row alike.
    split = set()
    for count in range(20, 31):
        body = copy.deepcopy(SEPTEMBER_3CX)
        body["contract"] = {**VIETNAMESE, "policy": {"template": "1office"}}
        body["tickets"] = []
        body["bug_occurrences"] = [{"id": f"b{k}", "bug_id": f"B{k % 2}",
                                    "occurred_at": f"2026-09-{1 + k % 28:02d}T0{k % 10}:00:00Z"} for k in range(count)]
        response = client.post("/v1/calculations?format=pdf&lang=en", json=body)
        assert response.status_code == 200, response.json
        pages = [page.splitlines() for page in pages_of(response.data)]
        for number, lines in enumerate(pages):
            for index, line in enumerate(lines):
                if line.startswith(("Credit total ", "Total ")):
                    assert index > 0 and lines[index - 1] not in (FINES_HEADER, CREDITS_HEADER), (count, number, line)
                    # the table began on the page before and goes on here to its total: a break near it
                    header = CREDITS_HEADER if line.startswith("Credit") else FINES_HEADER
                    if number and header in lines[:index] and any(header in page for page in pages[number - 1]):
                        split.add(header)
    assert split == {FINES_HEADER, CREDITS_HEADER}  # both tables broke near their total at least once


TERM = {"en": ("Contract in force", "1 September 2026 – 14 September 2026"),
        "vi": ("Thời gian hiệu lực hợp đồng", "1 tháng 9, 2026 – 14 tháng 9, 2026"),
        "da": ("Aftalen gælder", "1. september 2026 – 14. september 2026")}


@pytest.mark.parametrize("lang", ["en", "vi", "da"])
def test_a_contract_ended_within_the_period_prints_the_days_it_was_in_force(client, lang):
    # service time is [starts_on, ends_on) (rules.md §3): ended on 15 September, its figures count 14 days,
    # where the document said only "Period: 1-30 September"
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "ends_on": "2026-09-15"}
    statement = client.post("/v1/calculations", json=body).json
    assert statement["uptime"]["service_seconds"] == 14 * 86400
    label, days = TERM[lang]
    text = text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data)
    assert squeezed(f"{label} {days}") in squeezed(text), text
    # a stored contract's statement, and a note, say it too: theirs come from the stored contract
    cid = store(client, body)
    stored = text_of(client.get(f"/v1/contracts/{cid}/statements/2026-09?format=pdf&lang={lang}").data)
    assert squeezed(f"{label} {days}") in squeezed(stored)


def test_a_contract_in_force_the_whole_period_prints_no_such_row_and_one_begun_within_it_does(client):
    assert "Contract in force" not in text_of(client.post("/v1/calculations?format=pdf&lang=en",
                                                          json=SEPTEMBER_3CX).data)
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, "starts_on": "2026-09-10"}
    text = text_of(client.post("/v1/calculations?format=pdf&lang=en", json=body).data)
    assert squeezed("Contract in force 10 September 2026 – 30 September 2026") in squeezed(text), text


@pytest.mark.parametrize("lang, row", [("en", "Contract in force not in this period"),
                                       ("vi", "Thời gian hiệu lực hợp đồng không có hiệu lực trong kỳ này"),
                                       ("da", "Aftalen gælder ikke i denne periode")])
@pytest.mark.parametrize("term", [{"starts_on": "2026-10-05"}, {"ends_on": "2026-08-15"}, {"ends_on": "2026-09-01"}])
def test_a_contract_in_force_on_no_day_of_the_period_says_so(client, lang, row, term):
    # 0 s of service and "Uptime 100.0000 %" printed with no row, which read as in force all month (review)
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"] = {**VIETNAMESE, **term}
    assert client.post("/v1/calculations", json=body).json["uptime"]["service_seconds"] == 0
    text = text_of(client.post(f"/v1/calculations?format=pdf&lang={lang}", json=body).data)
    assert squeezed(row) in squeezed(text), text


def test_the_days_in_force_are_the_calculators_where_the_zone_skips_a_day():
    # Pacific/Apia skipped 30 December 2011: a term ending on the 31st served 29 days, up to the 29th
    # (the review found "1 December 2011 - 30 December 2011", a day that did not exist there)
    fmt = render.Formatter("en", "USD", "Pacific/Apia")
    december = {"start": "2011-12-01T00:00:00-10:00", "end": "2012-01-01T00:00:00+14:00"}
    assert render.term_in_period({"starts_on": "2011-01-01", "ends_on": "2011-12-31"}, december, fmt) == \
        (date(2011, 12, 1), date(2011, 12, 29))
    assert render.term_in_period({"starts_on": "2011-12-30"}, december, fmt) == (date(2011, 12, 31), date(2011, 12, 31))
    # an explicit period off the month's bounds, and a term that covers it whole
    noon = {"start": "2026-09-10T12:00:00+07:00", "end": "2026-09-20T06:00:00+07:00"}
    saigon = render.Formatter("en", "VND", "Asia/Ho_Chi_Minh")
    assert render.term_in_period({"starts_on": "2026-01-01"}, noon, saigon) is None
    assert render.term_in_period({"starts_on": "2026-01-01", "ends_on": "2026-09-15"}, noon, saigon) == \
        (date(2026, 9, 10), date(2026, 9, 14))
    assert render.term_in_period({"starts_on": "2026-01-01", "ends_on": "2026-09-10"}, noon, saigon) == render.NOT_IN_FORCE
    # a document whose dates do not read prints no row, not a 500 (frozen documents were read at issue)
    assert render.term_in_period({"starts_on": "2026-09-01T00:00:00+07:00"}, noon, saigon) is None
    assert render.term_in_period({"starts_on": 20260901}, noon, saigon) is None
