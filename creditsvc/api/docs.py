"""OpenAPI helpers: the problem schema and the error responses each operation documents."""
from __future__ import annotations

import http

import flask_smorest
from apispec import BasePlugin
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from ..observability import REQUEST_ID

PROBLEM_TYPE = "application/problem+json"


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)  # api.md: every problem has one
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Each bad field (a dotted path) and its messages"})


DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No API key, or an unknown one",
    403: "The key's role may not do this",
    404: "Not found",
    409: "Conflicts with what is stored",
    413: "The body is larger than the service accepts",
    415: "The body is not application/json, declares a charset other than UTF-8, or has a Content-Encoding",
    422: "The request does not validate; `errors` names each field",
    503: "A dependency (the database) does not answer",
}


_documenter = flask_smorest.Blueprint("problems", __name__)


# Every header the service sends beyond Content-Type and Content-Length, written once (components/headers)
# and named on each response that carries it. Without them a client correlating its logs with ours could
# not know a response names its request, nor a cache that it varies by Accept.
RESPONSE_HEADERS = {
    "X-Request-ID": {  # observability.py, after every request (errors too)
        "description": "The request's id, as the service logged it: the request's own X-Request-ID when it is "
                       "1-128 characters of A-Z a-z 0-9 . _ -, otherwise a new one (32 hex digits)",
        "required": True, "schema": {"type": "string", "pattern": REQUEST_ID.pattern}},
    "Vary": {  # api/documents.py: wants_pdf
        "description": "Accept, Accept-Language: the body (JSON or PDF) and the PDF's language depend on them, "
                       "so a shared cache keeps one per value",
        "required": True, "schema": {"type": "string", "example": "Accept, Accept-Language"}},
    "Content-Disposition": {
        "description": "A PDF only: attachment, with the file's name (the statement's contract and period, or "
                       "the note's number, then -void for a void note, then the language, -en, when it is not "
                       "the contract's)",
        "schema": {"type": "string", "pattern": '^attachment; filename="[^"]+\\.pdf"$',
                   "example": 'attachment; filename="CN-2026-000001.pdf"'}},
    "Content-Language": {
        "description": "A PDF only: the language it is written in (?lang=, else Accept-Language, else the "
                       "contract's locale)",
        "schema": {"type": "string", "enum": ["vi", "da", "en"]}},
    "Allow": {  # werkzeug, on a 405 (and the methods the path takes)
        "description": "On a 405: the methods the path takes", "schema": {"type": "string", "example": "OPTIONS, POST"}},
    "Accept-Encoding": {  # api/auth.py
        "description": "identity, when the body was refused for its Content-Encoding (a compressed body)",
        "schema": {"type": "string", "enum": ["identity"]}},
    "WWW-Authenticate": {"description": 'Bearer realm="creditsvc"', "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again, when the database is expected back",
                    "schema": {"type": "string"}},
    "Location": {"description": "The note's own URL, /v1/credit-notes/{number}", "schema": {"type": "string"}},
}

# The X-Request-ID a request may send (observability.py reads it; it is never a reason to refuse one)
REQUEST_ID_PARAMETER = {
    "in": "header", "name": "X-Request-ID", "required": False, "schema": {"type": "string"},
    "description": "An id to log the request under and echo in the response's X-Request-ID, when it is "
                   "1-128 characters of A-Z a-z 0-9 . _ -; any other value is replaced by a new id, not refused"}

# The headers a problem of that status carries (api/auth.py, api/errors.py)
HEADERS = {401: {"WWW-Authenticate": "WWW-Authenticate"}, 415: {"Accept-Encoding": "Accept-Encoding"},
           503: {"Retry-After": "Retry-After"}}


class RequestIdPlugin(BasePlugin):
    """Every operation reads X-Request-ID and every response sends it: each operation names the
    parameter and each of its responses the header (a response by reference names it in its component)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            operation.setdefault("parameters", []).append("X-Request-ID")
            for response in operation.get("responses", {}).values():
                if isinstance(response, dict):
                    response.setdefault("headers", {})["X-Request-ID"] = "X-Request-ID"


def problems(*codes: int):
    """Document problem responses (application/problem+json) on a view function."""

    def decorator(view):
        for code in codes:
            view = _documenter.alt_response(code, schema=ProblemSchema, description=DESCRIPTIONS[code],
                                            content_type=PROBLEM_TYPE, headers=HEADERS.get(code))(view)
        return view

    return decorator


class ProblemApi(flask_smorest.Api):
    """flask-smorest's Api, whose error responses in the spec are what api/errors.py sends: a problem
    (RFC 9457) as application/problem+json. Its own `DEFAULT_ERROR`, which every operation names for
    a status it does not list (a 405, a 503), described smorest's `Error` body (code, status, message)
    as application/json, which the service never sends."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *, extra_plugins=None, **options):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), RequestIdPlugin()], **options)

    def _register_pagination_header(self):
        """Nothing: no endpoint pages (a listing is whole), and smorest's header brought its
        PaginationMetadata schema into openapi.yaml, describing a header the service never sends."""

    def _register_responses(self):
        for name, header in RESPONSE_HEADERS.items():
            self.spec.components.header(name, header, lazy=True)
        self.spec.components.parameter("X-Request-ID", "header", REQUEST_ID_PARAMETER, lazy=True)
        for status in http.HTTPStatus:  # lazily, as smorest does: only those an operation names appear
            response = {"description": status.phrase, "headers": {"X-Request-ID": "X-Request-ID"}}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error (such as 405 or 503), as a problem", "schema": ProblemSchema,
                    "headers": {"X-Request-ID": "X-Request-ID", "Allow": "Allow"}}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
