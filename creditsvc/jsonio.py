"""JSON in and out without floats: numbers parse as Decimal, NaN and Infinity are refused."""
from __future__ import annotations

import json
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not a number JSON allows", name, 0)


def loads(text: str | bytes):
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


class DecimalJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False  # UTF-8 out: "Công ty Đồng Tâm", not \u escapes

    def loads(self, s, **kwargs):
        return loads(s)
