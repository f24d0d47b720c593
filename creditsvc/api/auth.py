"""Bearer API keys and the roles of api.md: 401 without a known key, 403 without the role."""
from __future__ import annotations

from copy import deepcopy
from functools import wraps

from flask import current_app, g, request

from .. import db
from ..services.auth import KeyCache, authenticate
from .docs import problems
from ..policies import flatten_errors
from .errors import problem, validation_problem


def init_app(app) -> None:
    app.extensions["creditsvc_keys"] = KeyCache()


def requires(*roles: str):
    """Let admin and the named roles through; the check runs before the body is read, and a body that
    is not JSON is refused (415) only after it."""

    def decorator(view):
        schemas = query_schemas(view)
        allowed = frozenset(field.data_key or name for schema in schemas for name, field in schema.load_fields.items())

        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            caller = None
            if scheme.lower() == "bearer" and key.strip():
                caller = authenticate(db.session, key.strip(), current_app.extensions["creditsvc_keys"])
            if caller is None:
                return problem(401, "Unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'.",
                               headers={"WWW-Authenticate": 'Bearer realm="creditsvc"'})
            if caller.role != "admin" and caller.role not in roles:
                return problem(403, "Forbidden", f"The {caller.role} role may not do this; it needs "
                                                 f"{' or '.join(('admin',) + roles)}.")
            g.caller = caller
            # Only a caller who may write learns what the body must be (401, 403, then 415).
            if request.method in ("POST", "PUT", "PATCH"):
                # application/json itself: werkzeug's is_json also takes every application/*+json, and a
                # merge patch (RFC 7396), which leaves out what it keeps, was read as the whole document.
                if request.mimetype != "application/json":
                    return problem(415, "Unsupported Media Type", "Send the body as application/json.")
                # A compressed body (Content-Encoding: gzip) was read as its compressed bytes: 400 "not valid
                # JSON", which named the wrong fault. RFC 9110 §15.5.16: 415, and say what is accepted.
                coding = request.headers.get("Content-Encoding", "identity").strip().lower()
                if coding not in ("", "identity"):
                    return problem(415, "Unsupported Media Type",
                                   f"Send the body without Content-Encoding (it says {coding[:40]}).",
                                   headers={"Accept-Encoding": "identity"})
                # JSON between systems is UTF-8 (RFC 8259 §8.1), and the body is read so: one that declares
                # another charset would have had its text read as other characters than were meant.
                # ASCII is UTF-8 as long as the bytes are ASCII.
                charset = request.mimetype_params.get("charset", "utf-8").lower()
                if charset not in ("utf-8", "utf8") and not (
                        charset in ("us-ascii", "ascii") and request.get_data(cache=True).isascii()):
                    return problem(415, "Unsupported Media Type",
                                   f"Send JSON as UTF-8: the body declares charset={charset[:40]}.")
            # A parameter the endpoint does not take is refused, not ignored: `?asof=` (for `?as_of=`) would
            # have computed the statement as of now, and `?format=pdf` where there is no PDF given JSON.
            unknown = sorted(name for name in request.args if name not in allowed)
            if unknown:
                errors = {f"query.{name[:60]}": ["Unknown field."] for name in unknown[:20]}
                # and what is wrong with the ones it takes: `?lang=de&zz=1` named only zz, so a client
                # mended one fault per request
                known = {name: request.args.get(name) for name in request.args if name in allowed}
                for schema in schemas:
                    for field, texts in flatten_errors(schema.validate(known), "query").items():
                        errors.setdefault(field, []).extend(texts)
                return validation_problem(errors, "request")
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        manual["x-roles"] = ["admin", *roles]  # api.md's table, for a client that reads only the spec
        # 503: every keyed request reads the database; 422: a query parameter the endpoint does not take
        return problems(401, 403, 422, 503)(wrapper)

    return decorator


def query_schemas(view) -> list:
    """The schemas of the query parameters an endpoint declares (its `arguments` with location="query")."""
    schemas = []
    for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        if parameter["in"] == "query":
            schema = parameter["schema"]
            schemas.append(schema() if isinstance(schema, type) else schema)
    return schemas


ANY_ROLE = ("billing", "accounting", "sales")
