"""creditsvc: SLA service credits, fines and support billing as JSON and PDF credit notes.

The package root imports nothing heavy: `creditsvc.calculators` must load without Flask or
SQLAlchemy, so the web app is built inside `create_app`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """The app factory: settings from the environment, overridden by `config` (tests)."""
    from flask import Flask, Response

    from . import db, observability, policies
    from .api import auth, body_limit, calculations, contracts, errors, health, policy_templates
    from .api.docs import ProblemApi
    from .config import from_environment
    from .jsonio import DecimalJSONProvider
    from .schemas.fields import OPENAPI_TYPES, TIMESTAMP_SCHEMA, openapi_bounds

    app = Flask(__name__, static_folder=None)  # it serves no files: no /static/<path> route outside the spec
    # A repeated slash is another URL, a 404 like a trailing slash: werkzeug's merging answered it with a
    # 308 and an HTML page, the one response that was neither JSON nor a problem. (Before any route.)
    app.url_map.merge_slashes = False
    app.json = DecimalJSONProvider(app)
    app.config.update(from_environment())
    if config:
        app.config.update(config)

    observability.init_app(app)  # first: its request timer and id wrap everything else
    db.init_app(app)
    body_limit.init_app(app)
    auth.init_app(app)
    api = ProblemApi(app, spec_kwargs={"info": {"description": "SLA service credits, fines and support billing. "
                                                               "Amounts and percentages are strings."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for field, openapi_type in OPENAPI_TYPES.items():
        api.register_field(field, *openapi_type)
    api.ma_plugin.converter.add_attribute_function(openapi_bounds)
    api.spec.components.schema("Timestamp", TIMESTAMP_SCHEMA)
    policies.document_in(api.spec)
    for blueprint in (health.blp, calculations.blp, policy_templates.blp, contracts.blp, contracts.credit_note_blp):
        api.register_blueprint(blueprint)
    errors.init_app(app)  # after Api: our problem+json handlers replace smorest's

    @app.get("/openapi.yaml")
    def openapi_yaml():
        return Response(openapi_document(app), mimetype="application/yaml")

    app.extensions["creditsvc_api"] = api
    return app


def openapi_document(app: Flask) -> str:
    """The OpenAPI document generated from the marshmallow schemas (committed as openapi.yaml), each value
    written out where it stands: YAML's anchors (&id001, *id001) for values the schemas share are not
    what every client's spec reader follows."""
    import yaml

    class WrittenOut(yaml.Dumper):
        def ignore_aliases(self, data):
            return True

    return app.extensions["creditsvc_api"].spec.to_yaml({"Dumper": WrittenOut})
