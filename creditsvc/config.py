"""Settings from the environment. Everything has a default that works on a fresh machine."""
from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_DATABASE = "creditsvc.sqlite3"  # in the working directory


class SettingError(ValueError):
    """A setting in the environment that cannot be used; the CLI prints it and exits with 2."""


_WHOLE = re.compile(r"[+-]?[0-9]+")


def whole_number(text: str) -> int:
    """A whole number written in ASCII digits, or ValueError. int() alone also reads other scripts'
    digits ("８０００" is 8000) and Python's grouping ("8_000"), which no setting means."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def integer(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer setting; unset or empty is the default."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = whole_number(text)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {text[:40]!r}") from None
    if value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise SettingError(f"{name} must be at most {maximum}, not {value}")
    return value


def database_url() -> str:
    """CREDITSVC_DATABASE_URL (unset or empty: the SQLite file), checked to be a database URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = os.environ.get("CREDITSVC_DATABASE_URL", "").strip() or f"sqlite:///{Path.cwd() / DEFAULT_DATABASE}"
    try:
        parsed = make_url(url)
    except ArgumentError:  # the message would repeat the URL, password and all
        raise SettingError("CREDITSVC_DATABASE_URL is not a database URL "
                           "(e.g. sqlite:///creditsvc.sqlite3 or postgresql+psycopg://user@host:5432/name)") from None
    try:
        parsed.get_dialect().import_dbapi()  # an unknown dialect is NoSuchModuleError, which the CLI names
    except ImportError as error:  # mysql:// without mysqlclient: a traceback at the first connection
        raise SettingError(f"CREDITSVC_DATABASE_URL ({parsed.drivername}) needs the Python package "
                           f"{error.name!r}, which is not installed") from None
    return url


def seller() -> dict:
    """The seller printed on documents (CREDITSVC_SELLER_*), read alone: `calculate --pdf` uses no
    database and must not stop on a database setting."""
    return {key: os.environ.get(f"CREDITSVC_SELLER_{key.upper()}") or None
            for key in ("name", "address", "tax_id", "email")}


def from_environment() -> dict:
    return {
        "DATABASE_URL": database_url(),
        # A body larger than this gets 413 before it is parsed.
        "MAX_CONTENT_LENGTH": integer("CREDITSVC_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1),
        # The seller printed on documents; frozen into each credit note when it is issued.
        "SELLER": seller(),
        "API_TITLE": "creditsvc",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": None,  # the spec is served from the committed openapi.yaml instead
    }
