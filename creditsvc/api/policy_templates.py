from __future__ import annotations

from marshmallow import Schema, fields

from .. import policies
from .auth import ANY_ROLE, requires
from .blueprint import Blueprint

blp = Blueprint("policy_templates", __name__, url_prefix="/v1", description="Built-in policy templates")


class PolicyTemplateSchema(Schema):
    name = fields.String()
    description = fields.String()
    policy = fields.Dict(metadata={"description": "A full policy document (rules.md §9)",
                                   "allOf": [{"$ref": "#/components/schemas/Policy"}]})


@blp.route("/policy-templates")
@requires(*ANY_ROLE)
@blp.response(200, PolicyTemplateSchema(many=True))
def list_templates():
    """The built-in templates, each reproducing one seed SLA document."""
    return policies.templates()
