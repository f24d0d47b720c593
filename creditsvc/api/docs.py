"""OpenAPI helpers: the problem schema and the error responses each operation documents."""
from __future__ import annotations

import http

import flask_smorest
from flask_smorest.utils import prepare_response
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
    415: "The body is not application/json, declares a charset other than UTF-8, or has a Content-Encoding",
    422: "The request does not validate; `errors` names each field",
    503: "A dependency (the database) does not answer",
}


_documenter = flask_smorest.Blueprint("problems", __name__)


def _header(description: str) -> dict:
    return {"description": description, "schema": {"type": "string"}}


# The headers a problem of that status carries (api/auth.py, api/errors.py)
HEADERS = {401: {"WWW-Authenticate": _header('Bearer realm="creditsvc"')},
           503: {"Retry-After": _header("Seconds to wait before trying again, when the database is expected back")}}


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

    def _register_responses(self):
        for status in http.HTTPStatus:  # lazily, as smorest does: only those an operation names appear
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error (such as 405 or 503), as a problem", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
