from __future__ import annotations

import os

from marshmallow import Schema, fields

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .blueprint import Blueprint
from .docs import problems
from .errors import problem

blp = Blueprint("health", __name__, description="Liveness")


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
    probe = current_app.extensions["db_probe"]
    database = probe.url.database
    if probe.url.get_backend_name() == "sqlite" and database and database != ":memory:" and \
            not os.path.exists(database):  # connecting would create an empty one
        return problem(503, "Service Unavailable", "The database file does not exist.")
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except (SQLAlchemyError, OSError):
        return problem(503, "Service Unavailable", "The database does not answer.")
    return {"status": "ready"}
