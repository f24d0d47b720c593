"""creditsvc: SLA service credits, fines and support billing as JSON and PDF credit notes."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api

from .config import from_environment
from .jsonio import DecimalJSONProvider


def create_app(config: dict | None = None) -> Flask:
    """The app factory: settings from the environment, overridden by `config` (tests)."""
    app = Flask(__name__)
    app.json = DecimalJSONProvider(app)
    app.config.update(from_environment())
    if config:
        app.config.update(config)

    api = Api(app)
    from .api import calculations, errors, health, policy_templates

    for module in (health, calculations, policy_templates):
        api.register_blueprint(module.blp)
    errors.init_app(app)  # after Api: our problem+json handlers replace smorest's

    @app.before_request
    def json_bodies_only():
        if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
            from .api.errors import problem
            return problem(415, "Unsupported Media Type", "Send the body as application/json.")

    app.extensions["creditsvc_api"] = api
    return app
