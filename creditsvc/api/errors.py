"""Every error as an RFC 9457 problem response (application/problem+json), never an HTML page or a 500 body
that leaks internals. 422s carry `errors`: each bad field (a dotted path) mapped to its messages."""
from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .. import db
from ..calculators.errors import DomainError
from ..jsonio import reason
from ..policies import flatten_errors

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

try:  # what gunicorn raises while the app reads a body whose framing is broken (a chunk size of "zz")
    from gunicorn.http.errors import ParseException as MalformedFraming
except ImportError:  # pragma: no cover - gunicorn is a dependency; `--dev` and tests run without it serving
    MalformedFraming = None


# What every 503 tells a client to wait, in seconds (openapi.yaml documents it on each, api/docs.py)
RETRY = {"Retry-After": "5"}
RFC_9110_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def title(status: int) -> str:
    """A status's title as RFC 9110 names it. Python 3.11's HTTPStatus and werkzeug still call 413
    and 422 by their older names, which gave one status two titles."""
    if status in RFC_9110_TITLES:
        return RFC_9110_TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, title: str, detail: str | None = None, *, code: str | None = None,
            errors: dict | None = None, headers: dict | None = None):
    body = {"type": f"urn:creditsvc:problem:{code}" if code else "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_problem(errors: dict[str, list[str]], where: str = "body"):
    """The one 422 of a request that does not validate: each bad field (a dotted path) and its messages."""
    return problem(422, title(422), f"The {where} does not validate: see errors.", code="validation_error",
                   errors=errors)


def _validation_errors(messages) -> dict[str, list[str]]:
    # webargs nests messages under the location ("json"); the body is the document clients know.
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "view_args", "path"}:
        merged: dict[str, list[str]] = {}
        for location, inner in messages.items():
            prefix = "" if location == "json" else location
            for field, texts in flatten_errors(inner, prefix).items():
                merged.setdefault(field, []).extend(texts)
        return {("body" if k == "_" else k): v for k, v in merged.items()}
    return flatten_errors(messages)


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if error.code == 422 and messages is not None:
        # the query string too (?format=, ?as_of=): its fields are named "query.format"
        return validation_problem(_validation_errors(messages), "body" if set(messages) <= {"json"} else "request")
    if error.code == 400 and messages is not None:
        return malformed_json_problem(getattr(error, "exc", None))  # webargs keeps the parser's error
    headers = dict(error.get_headers()) if error.code in (405,) else None
    if headers:
        headers.pop("Content-Type", None)
    return problem(error.code or 500, title(error.code or 500), error.description, headers=headers)


def handle_domain_error(error: DomainError):
    errors = error.errors
    if errors is None and error.field:
        errors = {error.field: [error.message]}
    return problem(error.status, title(error.status), error.message, code=error.code, errors=errors)


def handle_validation_error(error: ValidationError):
    return validation_problem(_validation_errors(error.messages))


def malformed_json_problem(error: Exception | None):
    """The 400 of a body that cannot be read, saying why: it said "The body is not valid JSON." to a body
    that is JSON but holds a NUL (\\u0000) or a lone surrogate, and to one broken on its second line,
    without a word of which, though the parser and jsonio name it (jsonio.reason, as `creditsvc calculate` says it)."""
    why = reason(error) if error is not None else None
    if why is None:
        return problem(400, "Bad Request", "The body is not valid JSON.", code="malformed_json")
    return problem(400, "Bad Request", f"The body cannot be read as JSON: {why}.", code="malformed_json")


def handle_malformed_json(error: ValueError):
    return malformed_json_problem(error)


def handle_malformed_framing(error: Exception):
    # Reading the body failed on the request's own bytes (Transfer-Encoding: chunked with a bad chunk
    # size, a chunk without its CRLF, a bad trailer): the client's fault, not an unexpected error.
    return problem(400, "Bad Request", "The request body is not valid HTTP/1.1 framing (chunked encoding).")


def handle_database_unavailable(error: Exception):
    # Refused, timed out, gone away, or no schema yet: the client may retry; the database is the
    # service's fault, not the request's, and the error is logged once with its request id.
    reason = db.reason(error)
    log.warning("database unavailable: %s", reason)
    return problem(503, title(503), "The database does not answer; try again shortly.",
                   code="database_unavailable", headers=RETRY)


# PostgreSQL's "the schema is not there" (undefined_table, undefined_column): a database recreated or being
# restored under the running service. SQLite says the same as an OperationalError ("no such table").
SCHEMA_MISSING = {"42P01", "42703"}


def handle_programming_error(error: ProgrammingError):
    if getattr(error.orig, "sqlstate", None) in SCHEMA_MISSING:
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "An unexpected error occurred; it has been logged.")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(json.JSONDecodeError, handle_malformed_json)
    app.register_error_handler(UnicodeDecodeError, handle_malformed_json)
    if MalformedFraming is not None:
        app.register_error_handler(MalformedFraming, handle_malformed_framing)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(ProgrammingError, handle_programming_error)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
