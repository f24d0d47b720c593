"""The body size limit (MAX_CONTENT_LENGTH) for bodies sent without a Content-Length.

Werkzeug refuses a Content-Length over the limit with a 413. A chunked body has no Content-Length:
werkzeug then reads it through a stream that stops at the limit without a word, so a valid record
followed by megabytes of anything was stored from its first bytes and the rest never looked at.
Such a body is read here, before any view, and refused when there is more of it than the limit.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge


def init_app(app: Flask) -> None:
    app.before_request(_refuse_an_unbounded_body_over_the_limit)


def _refuse_an_unbounded_body_over_the_limit() -> None:
    # Every request passes here (GET /healthz too): only a chunked body is read, nothing else is.
    if "chunked" not in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return  # a Content-Length is checked by werkzeug
    limit = request.max_content_length
    if limit is None or "wsgi.input_terminated" not in request.environ:
        return  # without the flag werkzeug reads no chunked body at all
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
