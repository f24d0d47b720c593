"""OpenAPI helpers: the problem schema and the error responses each operation documents."""
from __future__ import annotations

import flask_smorest
from marshmallow import Schema, fields

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
    415: "The body is not application/json",
    422: "The request does not validate; `errors` names each field",
    503: "A dependency (the database) does not answer",
}


_documenter = flask_smorest.Blueprint("problems", __name__)


def problems(*codes: int):
    """Document problem responses (application/problem+json) on a view function."""

    def decorator(view):
        for code in codes:
            view = _documenter.alt_response(code, schema=ProblemSchema, description=DESCRIPTIONS[code],
                                            content_type=PROBLEM_TYPE)(view)
        return view

    return decorator
