"""Content negotiation for documents: JSON by default, PDF for `Accept: application/pdf` or `?format=pdf`."""
from __future__ import annotations

from datetime import datetime

from flask import Response, after_this_request, current_app, request
from marshmallow import EXCLUDE, Schema, fields, validate

from .. import db, render
from ..services import credit_notes
from ..observability import observe_pdf_render
from ..schemas.compiled import CompiledLoad

# A document's 200, JSON or PDF, says what it varies by; a PDF also names its file and language (_pdf)
PDF_DOC = {"responses": {200: {"content": {render.PDF_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
                               "headers": {"Vary": "Vary", "Content-Disposition": "Content-Disposition",
                                           "Content-Language": "Content-Language"}}}}


class DocumentQuerySchema(CompiledLoad, Schema):
    class Meta:
        unknown = EXCLUDE  # what webargs asks of a query string anyway; then the compiled load takes it

    format = fields.String(validate=validate.OneOf(["json", "pdf"]), load_default=None,
                           metadata={"description": "pdf for a PDF (same as Accept: application/pdf)"})
    lang = fields.String(validate=validate.OneOf(render.LOCALES), load_default=None,
                         metadata={"description": "The PDF's language (default: Accept-Language, then the contract's)"})


def wants_pdf() -> bool:
    """Whether the client asked for the PDF. The response, JSON or PDF, then says what it varies by,
    so a shared cache never hands one client's PDF to another asking for JSON."""
    after_this_request(_vary_by_accept)
    if request.args.get("format") == "pdf":
        return True
    if request.args.get("format") == "json":
        return False
    # A client that names application/pdf gets it, unless it names JSON as high or ranks it higher through a
    # wildcard: `application/pdf, */*` is a PDF, `*/*` or `application/pdf;q=0.5, */*` is JSON.
    accept = request.accept_mimetypes
    pdf = _named_quality(accept, render.PDF_MIMETYPE)
    if not pdf:
        return False
    named_json = _named_quality(accept, "application/json")
    return pdf > named_json if named_json is not None else pdf >= accept["application/json"]


def _vary_by_accept(response: Response) -> Response:
    response.vary.update(("Accept", "Accept-Language"))
    return response


def _named_quality(accept, mimetype: str) -> float | None:
    """The quality the client gave this very type (not through a wildcard), or None."""
    qualities = [quality for value, quality in accept if value.split(";", 1)[0].strip().lower() == mimetype]
    return max(qualities) if qualities else None


def _locale(contract: dict) -> str:
    return render.pick_locale(contract.get("locale", "en"), request.args.get("lang"),
                              request.accept_languages if request.headers.get("Accept-Language") else None)


def _render(statement: dict, contract: dict, locale: str, note: dict | None, seller: dict | None,
            as_of: datetime | None = None, history: dict | None = None) -> bytes:
    db.end_transaction()  # nothing below reads the database; rendering takes a while
    return render.render_pdf(statement, contract, locale, note=note, observe=observe_pdf_render, as_of=as_of,
                             seller=seller if seller is not None else current_app.config["SELLER"],
                             history=history)


def _pdf(pdf: bytes, statement: dict, contract: dict, locale: str, note: dict | None) -> Response:
    response = Response(pdf, mimetype=render.PDF_MIMETYPE)
    filename = render.pdf_filename(statement, contract, note, locale)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Language"] = locale
    return response


def pdf_response(statement: dict, contract: dict, as_of: datetime) -> Response:
    """A statement's PDF as of `as_of`, rendered for this request (a preview: nothing is stored)."""
    locale = _locale(contract)
    return _pdf(_render(statement, contract, locale, None, None, as_of), statement, contract, locale, None)


def note_pdf_response(note) -> Response:
    """An issued note's PDF: the one first delivered in this language and the note's present status,
    byte for byte; rendered and kept only the first time."""
    # all read before rendering ends the transaction, which expires the note
    body, statement, inputs = credit_notes.note_json(note), note.statement, note.inputs
    number, status, locale = note.number, note.status, _locale(inputs["contract"])
    pdf = credit_notes.stored_document(db.session(), number, locale, status)
    if pdf is None:
        # read before the render ends the transaction, and only for a document not kept yet: one kept
        # stays the bytes first delivered
        history = credit_notes.document_history(db.session(), note)
        pdf = _render(statement, inputs["contract"], locale, body, inputs.get("seller") or {}, history=history)
        pdf = credit_notes.keep_document(db.session(), number, locale, status, pdf)
    return _pdf(pdf, statement, inputs["contract"], locale, body)
