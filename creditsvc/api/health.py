from __future__ import annotations

from marshmallow import Schema, fields

from .blueprint import Blueprint

blp = Blueprint("health", __name__, description="Liveness")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Liveness: answers without touching the database."""
    return {"status": "ok"}
