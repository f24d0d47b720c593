"""Canonical JSON: one byte string per value, for content hashes and policy versions."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any


def _default(value: Any):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """A value with Decimals as strings, so it can be stored in a JSON column."""
    return json.loads(canonical_json(value))
