"""JSON in and out without floats: numbers parse as Decimal, NaN and Infinity are refused.

Anything the parser cannot turn into clean data is a JSONDecodeError (a 400), never a 500: an
integer literal too long for Python, nesting too deep, and text that is not valid Unicode (lone
surrogates, which cannot be stored or hashed, and NUL, which PostgreSQL text refuses).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal

import msgspec
from flask import Response
from flask.json.provider import DefaultJSONProvider

_SUSPECT_ESCAPE = re.compile(rb"\\u(d[89a-f]|0000)", re.IGNORECASE)


class Unreadable(json.JSONDecodeError):
    """A body refused for what it holds, not for where its text breaks: its message says why, and its
    position (0) means nothing, so a problem's detail names the reason alone (api/errors.py)."""


def reason(error: Exception) -> str | None:
    """Why a body could not be read, in words (a 400's detail, `creditsvc calculate`'s message), or None
    for an error that says nothing of it. An Unreadable's position means nothing and is left out."""
    if isinstance(error, Unreadable):
        return error.msg
    if isinstance(error, json.JSONDecodeError):
        # json's own messages may end in "at" ("Unterminated string starting at"): "at at line 1" otherwise
        return f"{error.msg.removesuffix(' at')} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 ({error.reason} at byte {error.start})"
    return None


def _refuse_constant(name: str):
    raise Unreadable(f"{name} is not a number JSON allows", name, 0)


# webargs reads a JSONDecodeError whose document is "" as "no body"; ours name the body.
def _clean(value) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise Unreadable("text may not contain NUL (\\u0000)", "<body>", 0)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Unreadable("text contains a lone surrogate, which is not Unicode", "<body>", 0) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key)
            _clean(item)
    elif isinstance(value, list):
        for item in value:
            _clean(item)


def loads(text: str | bytes):
    if isinstance(text, (bytes, bytearray)):
        raw = bytes(text)
        # JSON between systems is UTF-8 (RFC 8259 §8.1). json.loads would also guess UTF-16 and UTF-32,
        # and decode surrogates written as raw bytes, which nothing can store: both 400 here.
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Unreadable(f"the body is not UTF-8 ({error.reason} at byte {error.start})", "<body>", 0) from None
    else:
        raw = text.encode("utf-8", "surrogatepass")
    if not text.strip(" \t\r\n"):  # JSON's whitespace only: json's "Expecting value" named no value
        raise Unreadable("the body is empty", "<empty body>", 0)
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:  # 100,000 '[': said in words, a 400's detail named the exception's class
        raise Unreadable("it is nested too deeply", "<body>", 0) from None
    except ValueError:  # what int() refuses: an integer of over 4,300 digits
        raise Unreadable("a number in it has too many digits", "<body>", 0) from None
    if needs_cleaning(raw) or "\x00" in text:
        _clean(value)  # only bodies that escape a surrogate or NUL pay for the walk
    return value


def needs_cleaning(raw: bytes) -> bool:
    """Whether a body escapes a lone surrogate or a NUL, which `loads` then looks for and refuses."""
    return b"\\u" in raw and _SUSPECT_ESCAPE.search(raw) is not None


class DecimalJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False  # UTF-8 out: "Công ty Đồng Tâm", not \\u escapes

    def loads(self, s, **kwargs):
        return loads(s)


_ENCODER = msgspec.json.Encoder()


def json_response(data) -> Response:
    """A 200 of data a schema has dumped (strings, ints, bools, None, lists, dicts), as jsonify writes
    it, but encoded by msgspec: a typical month's 12 kB statement in ~15 µs instead of ~115 µs.
    Only for such data: msgspec writes a Decimal or a date its own way, not the provider's."""
    return Response(_ENCODER.encode(data) + b"\n", mimetype="application/json")
