"""Settings from the environment. Everything has a default that works on a fresh machine."""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATABASE = Path.cwd() / "creditsvc.sqlite3"


def from_environment() -> dict:
    return {
        "DATABASE_URL": os.environ.get("CREDITSVC_DATABASE_URL", f"sqlite:///{DEFAULT_DATABASE}"),
        # A body larger than this gets 413 before it is parsed.
        "MAX_CONTENT_LENGTH": int(os.environ.get("CREDITSVC_MAX_BODY_BYTES", 5 * 1024 * 1024)),
        # The seller printed on documents; frozen into each credit note when it is issued.
        "SELLER": {key: os.environ.get(f"CREDITSVC_SELLER_{key.upper()}") or None
                   for key in ("name", "address", "tax_id", "email")},
        "API_TITLE": "creditsvc",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": None,  # the spec is served from the committed openapi.yaml instead
    }
