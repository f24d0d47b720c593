from __future__ import annotations

from marshmallow import Schema, fields

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import db, observability
from .blueprint import Blueprint
from .docs import problems
from .errors import RETRY, problem

blp = Blueprint("health", __name__, description="Liveness, readiness and metrics")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Liveness: answers without touching the database."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@problems(503)
def readyz():
    """Readiness: the database answers a read of the schema version, within seconds."""
    try:
        versions = db.versions_in(current_app.extensions["db_probe"])
    except (SQLAlchemyError, OSError):
        return problem(503, "Service Unavailable", "The database does not answer.", headers=RETRY)
    if versions is None:  # connecting would have created an empty one
        return problem(503, "Service Unavailable", "The database file does not exist.", headers=RETRY)
    # An empty version table (a downgrade to base, a restore that lost the schema) answered "ready"
    # while every request failed.
    behind = db.schema_behind(versions)
    if behind:
        return problem(503, "Service Unavailable", behind, headers=RETRY)
    return {"status": "ready"}


@blp.route("/metrics")
@blp.doc(responses={"200": {"description": "Prometheus metrics in its text format (every worker added up)",
                            "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics():
    """Prometheus metrics: request counts and latencies per endpoint, notes issued, PDF render time.

    Needs no key, as /healthz and /readyz need none."""
    return observability.metrics_response()
