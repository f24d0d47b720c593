"""API keys: shown once, stored as SHA-256 only, looked up by hash and compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..db import read_only
from ..db.models import ApiKey

ROLES = ("admin", "billing", "accounting", "sales")
KEY_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Caller:
    name: str
    role: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str, role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key = "csk_" + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, role=role, key_hash=_hash(key), created_at=clock.now()))
    session.commit()
    return key


def list_api_keys(session: Session) -> list[tuple[str, str, datetime]]:
    """(name, role, created_at) of every key, by name: never the key, nor its hash."""
    return [tuple(row) for row in session.execute(
        select(ApiKey.name, ApiKey.role, ApiKey.created_at).order_by(ApiKey.name)).all()]


def revoke_api_key(session: Session, name: str) -> str | None:
    """Delete the key of that name; its role, or None when no key has the name. A worker that saw the
    key in the last KEY_CACHE_SECONDS still takes it until its cache entry expires."""
    row = session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none()
    if row is None:
        session.rollback()
        return None
    role = row.role
    session.delete(row)
    session.commit()
    return role


class KeyCache:
    """Recently seen keys, so a busy caller does not cost a query per request."""

    def __init__(self):
        self._entries: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Caller | None:
        with self._lock:
            entry = self._entries.get(key_hash)
        if entry and entry[1] > time.monotonic():
            return entry[0]
        return None

    def put(self, key_hash: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (caller, time.monotonic() + KEY_CACHE_SECONDS)


def authenticate(session: Session | Callable[[], Session], key: str, cache: KeyCache | None = None) -> Caller | None:
    """The caller a key belongs to, or None. `session` may be a function that returns one, so that a
    key the cache knows costs no session at all."""
    key_hash = _hash(key)
    if cache is not None and (caller := cache.get(key_hash)):
        return caller
    session = read_only(session() if callable(session) else session)
    row = session.execute(select(ApiKey.name, ApiKey.role, ApiKey.key_hash)
                          .where(ApiKey.key_hash == key_hash)).one_or_none()
    session.rollback()  # a read: on SQLite the transaction would hold the write lock for the whole request
    if row is None or not hmac.compare_digest(row.key_hash, key_hash):
        return None
    caller = Caller(row.name, row.role)
    if cache is not None:
        cache.put(key_hash, caller)
    return caller
