"""PDF statements and credit notes: Jinja templates (autoescaped) + Babel + WeasyPrint.

Everything a document needs (fonts, style sheet) is a packaged asset served by `AssetFetcher`; no
other URL is ever fetched, so customer text can name any URL it likes. One FontConfiguration
serves the whole process (WeasyPrint leaks memory when one is made per render).
"""
from __future__ import annotations

import io
import json
import mimetypes
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from functools import lru_cache
from importlib import resources
from time import perf_counter
from typing import Any, NamedTuple
from urllib.request import OpenerDirector

import tinycss2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FunctionLoader, select_autoescape
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from ..calculators.periods import last_local_date, local_midnight
from ..calculators.records import epoch
from ..schemas.statement import credit_application
from ..schemas.fields import MONTH
from .formatting import Formatter

try:
    from weasyprint.html import UA, UA_STYLESHEET
except ImportError:  # a WeasyPrint that keeps its HTML defaults elsewhere: they are used as they are
    UA = UA_STYLESHEET = None

LOCALES = ("vi", "da", "en")
ASSET_SCHEME = "creditsvc-asset:"
PDF_MIMETYPE = "application/pdf"


def _assets():
    return resources.files("creditsvc.templates")


class AssetFetcher(URLFetcher):
    """Serves `creditsvc-asset:<path>` from the packaged templates folder and refuses every other
    URL (file:, http:, https:, ftp:, data:, ...). Refused fetches are counted, for the tests."""

    def __init__(self):
        # Not URLFetcher.__init__: that builds a urllib opener (proxy, HTTP, HTTPS, FTP, file and data
        # handlers, ~0.4 ms on every render) which fetch() below never uses. With no handler at all, not
        # even OpenerDirector.open could reach a URL. The attributes are those URLFetcher reads.
        OpenerDirector.__init__(self)
        self._timeout, self._http_headers, self._request = 10, {}, None
        self._allowed_protocols, self._fail_on_errors = (), False
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.startswith(ASSET_SCHEME):
            self.refused.append(url)
            raise URLFetchingError(f"creditsvc renders only its own assets; refused {url[:80]!r}")
        path = url[len(ASSET_SCHEME):].split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in path.split("/") if p]
        if not parts or any(p in (".", "..") or "\\" in p for p in parts):
            self.refused.append(url)
            raise URLFetchingError(f"not an asset path: {path!r}")
        asset = _assets().joinpath(*parts)
        if not asset.is_file():
            self.refused.append(url)
            raise URLFetchingError(f"no asset {path!r}")
        mime = mimetypes.guess_type(parts[-1])[0] or "application/octet-stream"
        return URLFetcherResponse(url, asset.read_bytes(), {"Content-Type": mime})


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    """The compiled catalog from the build, or (in a source checkout) the .po compiled in memory."""
    folder = _assets().joinpath("translations", locale, "LC_MESSAGES")
    compiled, source = folder.joinpath("messages.mo"), folder.joinpath("messages.po")
    if compiled.is_file():
        return Translations(io.BytesIO(compiled.read_bytes()))
    if source.is_file():
        buffer = io.BytesIO()
        write_mo(buffer, read_po(io.BytesIO(source.read_bytes()), locale=locale))
        buffer.seek(0)
        return Translations(buffer)
    return NullTranslations()


@lru_cache(maxsize=None)
def environment(locale: str) -> Environment:
    def load(name: str):
        return _assets().joinpath(name).read_text("utf-8")

    env = Environment(loader=FunctionLoader(load), autoescape=select_autoescape(default=True, default_for_string=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.filters["css_string"] = css_string
    env.filters["unbroken"] = unbroken
    return env


def unbroken(text: str, up_to: int | None = None) -> Markup:
    """A figure and its unit ("15 min") as one figure: its spaces no-break ones, never the 15 at the end of
    one line and "min" on the next, and the whole never broken inside itself (style.css `.figure`), unless
    it is longer than `up_to` characters (Formatter.narrow: it may then break where its figure may). Spaces
    inside the tags of figures it holds (Formatter's) stay spaces."""
    joined = Markup(re.sub(r"(<[^>]*>)| ", lambda m: m.group(1) or "\u00a0", str(escape(text))))
    if up_to is not None and len(joined.striptags()) > up_to:
        return joined
    return Markup('<span class="figure">{}</span>').format(joined)


def css_string(text: str) -> Markup:
    """Text for inside a double-quoted CSS string in a <style> element: everything but letters, digits
    and spaces as a CSS escape, so no quote, backslash or `</style>` can end it."""
    return Markup("".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(text)))


_fonts_lock = threading.Lock()
# WeasyPrint is not thread-safe (Pango, fontconfig and HarfBuzz behind the one FontConfiguration every
# render shares): a worker's threads rendering at once corrupted the heap, which garbled a PDF, hung a
# request or aborted the worker with every request it had in flight. A process renders one PDF at a time.
_render_lock = threading.Lock()
_fonts: FontConfiguration | None = None
_stylesheet: CSS | None = None
_defaults: CSS | None = None

# Pseudo-elements WeasyPrint's HTML defaults style on every element, though only list items have markers
# and only footnotes and notes (which these documents never make) have the others.
_UNUSED_PSEUDO_ELEMENTS = {"::marker", "::footnote-call", "::footnote-marker", "::note-call", "::note-marker",
                           "::note-callback"}


def _font_config() -> tuple[FontConfiguration, CSS]:
    """The process's one FontConfiguration and the style sheet whose @font-face rules it holds."""
    global _fonts, _stylesheet, _defaults
    with _fonts_lock:
        if _fonts is None:
            style = _assets().joinpath("style.css").read_text("utf-8")
            if UA is not None:
                _defaults = _document_defaults(style + _assets().joinpath("base.html").read_text("utf-8"))
            _fonts = FontConfiguration()
            _stylesheet = CSS(string=style, font_config=_fonts, url_fetcher=AssetFetcher(), base_url=ASSET_SCHEME)
        return _fonts, _stylesheet


def _document_defaults(our_styles: str) -> CSS:
    """WeasyPrint's HTML defaults (its user-agent style sheet) without what these documents never have.

    As it is, it gives each of a credit note's ~80 elements six pseudo-elements, and each page sixteen
    margin boxes, a footnote area and a note area, all with a style computed on every render (~6 ms of a
    credit note's ~75). Kept: every rule for elements, and the page's margin and the margin boxes our
    styles (`our_styles`) fill; dropped: ::marker, ::footnote-*, ::note-*, @footnote, @note-area and the
    other margin boxes. Nothing of the documents' own changes: an element, a footnote or a margin box they
    do not have has no style to lose.
    """
    used_margin_boxes = set(re.findall(r"@((?:top|bottom|left|right)-[a-z-]+)", our_styles))
    kept = []
    for rule in tinycss2.parse_stylesheet(UA, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() in _UNUSED_PSEUDO_ELEMENTS:
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword == "page" and rule.content is not None:
            parts = []
            for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if item.type == "declaration":
                    parts.append(tinycss2.serialize([item]).rstrip(";") + ";")
                elif item.type == "at-rule" and item.lower_at_keyword in used_margin_boxes:
                    parts.append(tinycss2.serialize([item]))
            kept.append(f"@page {tinycss2.serialize(rule.prelude).strip()} {{ {' '.join(parts)} }}")
            continue
        kept.append(tinycss2.serialize([rule]))
    return CSS(string="\n".join(kept), counter_style=CounterStyle())


class _Document(HTML):
    """An HTML document of ours: rendered with the defaults of `_document_defaults`."""

    def _ua_stylesheets(self, forms=False):
        return [_defaults if sheet is UA_STYLESHEET and _defaults is not None else sheet
                for sheet in super()._ua_stylesheets(forms)]


def pick_locale(contract_locale: str, requested: str | None = None, accept_language=None) -> str:
    """`?lang=` first, then Accept-Language, then the contract's locale."""
    if requested in LOCALES:
        return requested
    if accept_language is not None:
        # The client's most wanted language we write, by its primary tag: `da-DK, en;q=0.5` is Danish.
        # (werkzeug's best_match tries the primary tag only when no tag matches whole, so it said en.)
        # Only a language the client names: `*` (any) leaves the choice to the contract. A POSIX locale
        # name (`da_DK`, `vi_VN.UTF-8`, `da@euro`), which clients send from their own settings, counts by
        # its language.
        for value, quality in accept_language:  # highest quality first, in the header's order
            primary = re.split(r"[-_.@]", value, maxsplit=1)[0].lower()
            if quality > 0 and primary in LOCALES:
                return primary
    return contract_locale if contract_locale in LOCALES else "en"


# The support table's rate, quantity and amount stand side by side: three figures of this many characters
# and a date fill an A4 line at 8.5 pt (tests/render/test_figures_on_one_line.py); a longer one breaks
# between its digit groups (Formatter.narrow).
SUPPORT_FIGURE_CHARS = 24

NOT_IN_FORCE = "not in force"


def term_in_period(contract: dict[str, Any], period: dict[str, Any], fmt: Formatter) -> tuple[date, date] | str | None:
    """The first and last local days of the period the contract was in force, when it began or ended within
    the period; NOT_IN_FORCE when it was in force on none of them; None when it ran through the whole
    period. Service time is [starts_on, ends_on) from the local midnights (rules.md §3), taken as the
    calculator takes it (calculators/statement.py service_window), so a skipped day (Pacific/Apia, 30
    December 2011) is no day of it. A contract ended on 15 September printed the Period "1-30 September"
    with no word that its figures count 14 days of service."""
    try:
        starts_on = date.fromisoformat(contract["starts_on"]) if contract.get("starts_on") else None
        ends_on = date.fromisoformat(contract["ends_on"]) if contract.get("ends_on") else None
    except (TypeError, ValueError):  # no date: the row says nothing rather than something false
        return None
    start, end = datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])
    begins = max(start, local_midnight(starts_on, fmt.zone)) if starts_on else start
    ends = min(end, local_midnight(ends_on, fmt.zone)) if ends_on else end
    if begins >= ends:
        return NOT_IN_FORCE
    if (begins, ends) == (start, end):
        return None
    # from the instant: astimezone of a local midnight the zone skipped returns it as it is (30 December)
    return datetime.fromtimestamp(begins.timestamp(), fmt.zone).date(), last_local_date(ends, fmt.zone)


def period_label(period: dict[str, Any], fmt: Formatter) -> str:
    """A statement's period as its heading and footer name it: the month's label, 2026-09, or an
    explicit period's first and last local dates, 2026-01-01–2026-06-30 (its label is two RFC 3339
    timestamps, 51 characters that wrapped the heading and pushed the page number onto two lines)."""
    if MONTH.regex.fullmatch(period["label"]):
        return period["label"]
    first, last = fmt.local(period["start"]).date(), fmt.last_date(period["end"])
    return f"{first.isoformat()}–{last.isoformat()}"


def credit_rows(statement: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each of the statement's credit lines with the fine or the ticket it credits (None for the others),
    for the Credits table to name its bug and occurrence or its ticket: the JSON's lines say so only in
    their English description. The lines are the fines with an amount, then the tickets with a breach
    credit, each in the statement's order (calculators/statement.py `credit_lines`); lines that do not
    match those (no statement of ours) name nothing rather than another line's bug or ticket."""
    def credited(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [item for item in items if item.get(key) is not None and Decimal(item[key])]

    lines = statement.get("lines") or []
    subjects = {"repeat_bug_fine": credited(((statement.get("repeat_bug_fines") or {}).get("items") or []), "amount"),
                "ticket_breach_credit": credited(((statement.get("tickets") or {}).get("items") or []),
                                                 "breach_credit")}
    for kind, items in subjects.items():
        if len(items) != sum(line["kind"] == kind for line in lines):
            subjects[kind] = []
    taken = {kind: iter(items) for kind, items in subjects.items()}
    return [(line, next(taken[line["kind"]], None) if line["kind"] in taken else None) for line in lines]


TIME_KINDS = ("business_hours", "after_hours")


class _Case(NamedTuple):
    lines: list[dict[str, Any]]  # its support lines, consecutive in the statement (calculators/support.py)
    span: int | None  # seconds from its start to its end; None when its lines do not say
    billed: int  # seconds billed on its time lines
    business: bool  # whether it has a business-hours line


def _support_cases(statement: dict[str, Any]) -> list[_Case]:
    """The statement's support lines grouped by case, with what support_rows, free_minutes and
    minimum_minutes read of each: its span and the time billed for it."""
    groups: list[list[dict[str, Any]]] = []
    for line in (statement.get("support") or {}).get("lines") or []:
        if groups and groups[-1][0]["case_id"] == line["case_id"]:
            groups[-1].append(line)
        else:
            groups.append([line])
    cases = []
    for lines in groups:
        first = lines[0]
        span = epoch(datetime.fromisoformat(first["ended_at"])) - epoch(datetime.fromisoformat(first["started_at"])) \
            if first.get("started_at") and first.get("ended_at") else None
        times = [line for line in lines if line["kind"] in TIME_KINDS]
        cases.append(_Case(lines, span, sum(int(line["seconds"]) for line in times),
                           any(line["kind"] == "business_hours" for line in times)))
    return cases


def support_rows(statement: dict[str, Any], contract: dict[str, Any]) -> list[tuple[dict[str, Any], bool, bool]]:
    """Each support line as (line, first, part): `first` when it is its case's first line, the one row
    that prints the case's span (every line printed the whole 15:30-16:30, so the business-hours and the
    after-hours line read as the same hour billed twice); `part` when it is a time line of a case whose
    time is split between the rate classes, printed as that class's part of the case. Only the case's
    span is in the statement, not where the business-hours edges cut it (a case may cross several), so
    no line prints a clock interval of its own.

    A case is split when it has both time lines, or, under an agreement (which deducts only business
    time and tops up nothing), when its after-hours line is shorter than its span: the business time it
    had was all free."""
    agreement = bool(contract.get("support_agreement"))
    rows = []
    for case in _support_cases(statement):
        kinds = {line["kind"] for line in case.lines}
        # topped up to the minimum (minimum_minutes): 15:55-16:02 billed 13 min of business time, no part of
        # a 7-minute case; its lines are the classes billed, which the minimum note explains
        topped_up = case.span is not None and case.billed > case.span
        for index, line in enumerate(case.lines):
            part = not topped_up and line["kind"] in TIME_KINDS and (
                set(TIME_KINDS) <= kinds or
                (agreement and line["kind"] == "after_hours" and case.span is not None and line["seconds"] < case.span))
            rows.append((line, index == 0, part))
    return rows


def free_minutes(statement: dict[str, Any], contract: dict[str, Any]) -> int | None:
    """The minutes of business-hours time per case the contract's support agreement gives free (rules.md
    §6), as the statement shows it was billed with them: a case with a business-hours line was billed its
    span less exactly those minutes (its business time less them, and all its after-hours time). None
    without an agreement, when no case shows them (each case's business time was all free), or when cases
    disagree. Never read from the policy: a note's contract names its template, which a later release may
    change, and a number its figures were not billed with must not stand beside them."""
    if not contract.get("support_agreement") or not statement.get("support"):
        return None
    shown = {case.span - case.billed for case in _support_cases(statement) if case.span is not None and case.business}
    if len(shown) != 1:
        return None
    free = shown.pop()
    return free // 60 if free > 0 and free % 60 == 0 else None


def minimum_minutes(statement: dict[str, Any]) -> int | None:
    """The minutes each case was billed at least (rules.md §6: without an agreement, `minimum_minutes`), as
    the statement shows them: the time billed for every case billed longer than it lasted, when those
    cases agree on whole minutes. None when no case was topped up: a 10:00-10:07 case billed 15 min with
    no word why read as an error, and a note printed beside no such case would explain nothing."""
    topped_up = {case.billed for case in _support_cases(statement) if case.span is not None and case.billed > case.span}
    if len(topped_up) != 1:
        return None
    billed = topped_up.pop()
    return billed // 60 if billed % 60 == 0 else None


def render_pdf(statement: dict[str, Any], contract: dict[str, Any], locale: str, *,
               seller: dict[str, Any] | None = None, note: dict[str, Any] | None = None,
               fetcher: AssetFetcher | None = None, as_of: datetime | None = None,
               history: dict[str, Any] | None = None,
               observe: Callable[[float, float], None] | None = None) -> bytes:
    """A statement (or, with `note`, a credit note) as PDF/A-3b with its JSON attached.

    `statement` is the statement JSON exactly as served; `contract` the contract document; `as_of` the
    instant a preview was computed as of, which a provisional one prints by its status (the JSON does
    not hold it: a note's frozen statement must not change with the day it is recomputed). `history` is
    a note's `credit_notes.document_history`: when a void note was voided, and the note a correction
    voids with the difference it makes; printed, never attached, as the attachment is the note's JSON
    as served, which holds neither. `observe`, if given, is told (seconds rendering, seconds waiting
    for the process's render lock) when done: under load the wait can be the larger, and a render time
    that held it told of neither.
    """
    began = perf_counter()
    fonts, stylesheet = _font_config()
    fetcher = fetcher or AssetFetcher()
    fmt = Formatter(locale, statement["currency"], contract["timezone"], html=True)
    template = environment(locale).get_template("credit_note.html" if note else "statement.html")
    with localcontext(Context(prec=100)):  # Babel formats in the current context: 28 digits would round
        html = template.render(s=statement, contract=contract, customer=contract.get("customer") or {},
                               seller=seller or {}, note=note, fmt=fmt, locale=locale, as_of=as_of,
                               voided_at=(history or {}).get("voided_at"),
                               corrects=(history or {}).get("corrects"),
                               applied=credit_application(statement), credit_rows=credit_rows(statement),
                               support_rows=support_rows(statement, contract),
                               free_minutes=free_minutes(statement, contract),
                               minimum_minutes=minimum_minutes(statement),
                               support_figure_chars=SUPPORT_FIGURE_CHARS,
                               term=term_in_period(contract, statement["period"], fmt),
                               document_number=(note or {}).get("number") or
                               f"{statement['contract_id']} {period_label(statement['period'], fmt)}")
    attached = json.dumps({**statement, **(note or {})}, ensure_ascii=False, indent=2)
    # A note's file is dated when the note was issued, not when it is downloaded (base.html names the
    # date as dcterms.created and modified): the same note is then the same bytes every time, /ID
    # being their hash. A statement preview is dated now.
    issued = datetime.fromisoformat(note["issued_at"]) if note and note.get("issued_at") else None
    asked = perf_counter()
    with _render_lock:
        locked = perf_counter()
        document = _Document(string=html, base_url=ASSET_SCHEME, url_fetcher=fetcher)
        pdf = document.write_pdf(
            stylesheets=[stylesheet], font_config=fonts, pdf_variant="pdf/a-3b",
            attachments=[Attachment(string=attached, name="statement.json", relationship="Data",
                                    description="The statement JSON these figures come from",
                                    url_fetcher=fetcher, base_url=ASSET_SCHEME, created=issued, modified=issued)],
            uncompressed_pdf=False, custom_metadata=True,
        )
    if observe is not None:
        done = perf_counter()
        observe((asked - began) + (done - locked), locked - asked)
    return pdf


def pdf_filename(statement: dict[str, Any], contract: dict[str, Any], note: dict[str, Any] | None = None,
                 locale: str | None = None) -> str:
    """The note's number, or the statement's contract and period as the document names it: an explicit
    period's file said its instants, 2026-01-01T000000+0700_2026-07-01T000000+0700, whose end is a day
    the period does not cover. Its dates are parted by "_", as a header's filename is ASCII. A void note's
    file says so (CN-2026-000001-void.pdf): it is another document than the one first delivered under
    that number, which a download of it replaced in the accountant's folder. So does a document in another
    language than the contract's (CN-2026-000001-en.pdf): both languages of one note, saved side by side
    under one name, kept only the second."""
    other = f"-{locale}" if locale and locale != pick_locale(contract.get("locale", "en")) else ""
    if note:
        return f"{note['number']}{'-void' if note.get('status') == 'void' else ''}{other}.pdf"
    label = period_label(statement["period"], Formatter("en", statement["currency"], contract["timezone"]))
    return f"statement-{statement['contract_id']}-{label.replace('–', '_')}{other}.pdf"
