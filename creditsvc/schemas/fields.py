"""Marshmallow fields that keep numbers exact and times unambiguous on the wire.

- `StrictDecimal` accepts a JSON number (parsed as Decimal, never float) or a string written as
  openapi.yaml's pattern says (DECIMAL_TEXT); a Python float, a bool, NaN or Infinity is refused. It
  dumps as a string without exponent. Amounts, percentages and the other decimals are all StrictDecimal.
- `StrictInteger` refuses bools, floats and decimals with a fraction.
- `Timestamp` is RFC 3339 with an offset: a naive timestamp is refused (rules.md §2), sub-second
  precision is refused (durations are exact seconds), and values leave as UTC.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import available_timezones

import msgspec
from marshmallow import ValidationError, fields, validate

from ..calculators.money import decimal_str

# RFC 3339 (5.6) date-time; re.ASCII, or \d would take any script's digits. NAIVE names what a
# timestamp without its offset lacks. The offset's hour and minute are held to 23 and 59 here:
# fromisoformat read +05:80 as +06:20 (the date and time it checks itself).
_RFC3339 = re.compile(r"\d\d\d\d-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.(\d+))?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
                      re.ASCII).fullmatch
_NAIVE = re.compile(r"\d\d\d\d-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?", re.ASCII).fullmatch

# Timestamps outside this range are refused: they are typos, and far years overflow date arithmetic.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc)


def decimal_places(number: Decimal) -> int:
    """Significant decimal places, exactly (normalize() would round to the context's precision)."""
    _, digits, exp = number.as_tuple()
    text = "".join(map(str, digits))
    return max(0, -(exp + len(text) - len(text.rstrip("0")))) if text.strip("0") else 0


# A decimal written as a string, as openapi.yaml states it (the pattern of every amount, percentage and
# other decimal, sent or returned). re.ASCII: Python's \d takes any script's digits, JSON Schema's
# (ECMA-262) only 0-9.
DECIMAL_TEXT = r"^-?\d+(\.\d+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT, re.ASCII).fullmatch


class StrictDecimal(fields.Field):
    """An exact number: a JSON number (rules.md §1: read as a number, exponent and all) or a string
    matching DECIMAL_TEXT. Decimal() also took " 100", "+100", "1e5", "100." and ".5", which the spec's
    pattern refuses: first for amounts, now for every decimal (percentages, hours, the multiplier, km).
    A document stored before the rule is read through `legacy_decimal` (policies.load_stored_policy,
    a PUT repeating stored terms)."""

    # what a string off the pattern is told: an amount's says amount (Amount), any other decimal's number
    TEXT_ERROR = 'Not a valid number: digits with an optional decimal part, such as "99.8".'

    def __init__(self, *, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
                 places: int | None = None, exclusive_minimum: bool = False, **kwargs):
        kwargs["metadata"] = {"pattern": DECIMAL_TEXT, **kwargs.get("metadata", {})}  # PercentString: its own
        super().__init__(**kwargs)
        self.minimum = None if minimum is None else Decimal(minimum)
        self.maximum = None if maximum is None else Decimal(maximum)
        self.places = places
        self.exclusive_minimum = exclusive_minimum

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, float):
            raise ValidationError("Floats are not accepted: send the number as a string or an exact JSON number.")
        # the pattern's ASCII digits only: Decimal() read any script's digits, "1_000" as 1000 (Python's
        # digit grouping), and text around the number
        if isinstance(value, str):
            if _DECIMAL_TEXT(value) is None:
                raise ValidationError(self.TEXT_ERROR)
        elif isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise ValidationError("Not a valid number.")
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            raise ValidationError("Not a valid number.") from None
        if not number.is_finite():
            raise ValidationError("Not a valid number.")
        if self.places is not None and decimal_places(number) > self.places:
            raise ValidationError(f"At most {self.places} decimal places.")
        if self.minimum is not None and (number <= self.minimum if self.exclusive_minimum else number < self.minimum):
            raise ValidationError(f"Must be {'greater than' if self.exclusive_minimum else 'at least'} "
                                  f"{decimal_str(self.minimum)}.")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"Must be at most {decimal_str(self.maximum)}.")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else decimal_str(Decimal(value))


class Amount(StrictDecimal):
    """A money amount: non-negative, at most 4 decimals, below 10^15 (anything larger is a typo). A
    string is written as DECIMAL_TEXT says (StrictDecimal)."""

    TEXT_ERROR = 'Not a valid amount: digits with an optional decimal part, such as "1095.50".'

    def __init__(self, **kwargs):
        kwargs.setdefault("minimum", 0)
        kwargs.setdefault("maximum", Decimal("999999999999999"))
        kwargs.setdefault("places", 4)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value, "f")


class TermsAmount(Amount):
    """An amount of a contract's terms, such as its fee. It leaves in one form however it was written
    ("20000000.00", 2E+7 and "20000000" are "20000000"), so the same terms are one stored document.
    A statement's amounts are Amount: they keep the currency's digits ("140.80")."""

    _serialize = StrictDecimal._serialize


def legacy_decimal(value):
    """A decimal's string as StrictDecimal read it before its text had to match DECIMAL_TEXT (Decimal()
    of it, stripped: " 100", "+100", "1e5", "100."), as that number: for documents stored then, which
    keep what was sent. Any other value is returned as it is, for the field to read or refuse."""
    if isinstance(value, str) and _DECIMAL_TEXT(value) is None and value.isascii() and "_" not in value:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        if number.is_finite():
            return number
    return value


class AsReadBefore:
    """Field mixin: a decimal read as an earlier release read it (legacy_decimal), then as the field
    reads it. Only for telling whether a request repeats what was stored before the rule: a PUT of
    stored terms (StoredTermsAmount), a support case sent again (schemas/records.py)."""

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        return super()._deserialize(legacy_decimal(value), attr, data, **kwargs)


class StoredTermsAmount(AsReadBefore, TermsAmount):
    """TermsAmount as an earlier release read it."""


class StoredDecimal(AsReadBefore, StrictDecimal):
    """StrictDecimal as an earlier release read it."""


class Percent(StrictDecimal):
    def __init__(self, **kwargs):
        kwargs.setdefault("minimum", 0)
        kwargs.setdefault("maximum", 100)
        kwargs.setdefault("places", 6)
        super().__init__(**kwargs)


# Integers written as decimals (30.0, 1E+5) are made ints only below this many digits: past it,
# int() would write out a 1E+1000000 digit by digit, and no integer field takes such a number.
MAX_INTEGER_DIGITS = 18


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, (bool, float)):
            raise self.make_error("invalid")
        if isinstance(value, Decimal):
            if value != value.to_integral_value():
                raise self.make_error("invalid")
            if value.adjusted() >= MAX_INTEGER_DIGITS:  # int(Decimal("1E+1000000")) alone took a worker 21 s
                raise self.make_error("too_large")
            value = int(value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false, nothing else: marshmallow's Boolean also takes "yes", "on", 1 and "0"."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class Timestamp(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise ValidationError("Not a valid RFC 3339 timestamp.")
        return Timestamp.parse(value)

    @staticmethod
    def parse(text: str) -> datetime:
        """A timestamp's text as the service takes it (in UTC), or the ValidationError that refuses it.
        schemas/fastload.py calls this too, on the strings msgspec decodes."""
        # RFC 3339's form only: fromisoformat alone also took ISO 8601's others (2026-W37-4T09:00:00Z,
        # 20260910T090000Z, +0700, +07, no seconds) and text around it.
        form = _RFC3339(text)
        if form is None:
            if _NAIVE(text):
                raise ValidationError("A timestamp needs a UTC offset, e.g. 2026-09-10T09:00:00+07:00.")
            raise ValidationError("Not a valid RFC 3339 timestamp.")
        try:  # RFC 3339 allows a lowercase t and z, which fromisoformat refuses (ASCII: the form said so)
            moment = datetime.fromisoformat(text if text[10] == "T" and text[-1] != "z" else text.upper())
        except ValueError:  # a 30th of February, an hour 25
            raise ValidationError("Not a valid RFC 3339 timestamp.") from None
        # the fraction's own digits: fromisoformat drops those past the 6th (.0000009 read as 0)
        if form[1] and form[1].strip("0"):
            raise ValidationError("Sub-second precision is not supported: durations are whole seconds.")
        # The year first: far years would overflow astimezone. Then the range in UTC: comparing datetimes
        # of two zones costs 1.5 µs, of one zone 0.1 µs.
        if 1969 <= moment.year <= 2200:
            moment = moment.astimezone(timezone.utc)
            if EARLIEST <= moment < LATEST:
                return moment
        raise ValidationError("Timestamps must lie between 1970 and 2200.")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else utc_text(value)


class QueryTimestamp(Timestamp):
    """A timestamp in a URL's query (?as_of=), where a '+' that is not sent as %2B arrives as a space: the
    offset of 2026-10-01T00:00:00+07:00 then reads " 07:00", refused as no timestamp at all with no word
    why, though it is the commonest way to send one."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as refused:
            if not (isinstance(value, str) and " " in value and _RFC3339(value.replace(" ", "+"))):
                raise
            try:  # the advice only where it helps: 2026-02-30T00:00:00+07:00 is no day either way
                super()._deserialize(value.replace(" ", "+"), attr, data, **kwargs)
            except ValidationError:
                raise refused from None
            raise ValidationError("A '+' in a URL's query reads as a space: send the offset's + as %2B "
                                  "(2026-10-01T00:00:00%2B07:00).") from None


_encode = msgspec.json.encode


def utc_text(moment: datetime) -> str:
    """A timestamp as it leaves: RFC 3339 in UTC with a Z, "2026-09-01T03:00:00Z" - what
    `astimezone(utc).isoformat()` writes with "+00:00" as "Z", at a fifth of its cost (isoformat of
    an aware datetime costs 2 µs; a statement has some 90 timestamps)."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return _encode(moment)[1:-1].decode()


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


class Day(fields.Date):
    """A calendar date, YYYY-MM-DD, within the same years as timestamps."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        # fromisoformat, underneath, also took ISO 8601's week and basic forms: 2026-W01-1 was stored
        # as 29 December 2025, and 20260101 taken as a date
        if isinstance(value, str) and _DAY(value) is None:
            raise ValidationError("Not a valid date: dates are written YYYY-MM-DD.")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST.date() <= day < LATEST.date():
            raise ValidationError("Dates must lie between 1970 and 2200.")
        return day


class Pattern(validate.Regexp):
    """Regexp that must match the whole value: `$` alone would let a trailing newline through."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class MonthLabel(Pattern):
    """YYYY-MM in the years a timestamp may take."""

    def __call__(self, value):
        super().__call__(value)
        if not "1970" <= value[:4] < "2200":
            raise ValidationError("Periods must lie between 1970 and 2200.")
        return value


# [0-9], not \d: Python's \d takes any script's digits, and "20２6-10" would be a second label of October
# 2026 that int() reads alike - a second credit note for one month.
MONTH = MonthLabel(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="A period is written YYYY-MM.")


# The spec's type of the fields above where a request carries them; without it openapi.yaml said
# nothing ({}) of every timestamp and number a client sends. A dump schema's metadata still wins.
OPENAPI_TYPES = {Timestamp: ("string", "date-time"), StrictDecimal: (["string", "number"], None)}

# What the spec states of them (openapi_bounds): the forms and ranges `Timestamp.parse`, `Day` and `MONTH`
# take, as patterns where a pattern can say it. The year range is checked on the instant in UTC, so
# within a day of its edges an offset moves a timestamp across it (1970-01-01T00:30:00+01:00 is refused,
# 1969-12-31T23:30:00-01:00 taken); the pattern holds the local year to 1970-2199.
_YEARS = "(19[7-9][0-9]|2[01][0-9]{2})"
TIMESTAMP_PATTERN = (f"^{_YEARS}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(\\.0+)?"
                     "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
TIMESTAMP_RULE = ("RFC 3339 with a UTC offset (Z, or +HH:MM or -HH:MM up to 23:59), in whole seconds: a fraction other "
                  "than zeros (.5, .000001) is refused, as is an instant before 1970-01-01T00:00:00Z or from "
                  "2200-01-01T00:00:00Z on (422); the pattern holds the year as written to 1970-2199")
# components/schemas/Timestamp: every request timestamp refers to it, so the rule is written once
TIMESTAMP_SCHEMA = {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN,
                    "description": TIMESTAMP_RULE, "example": "2026-09-10T09:00:00+07:00"}
TIMESTAMP_REF = {"$ref": "#/components/schemas/Timestamp"}
DAY_PATTERN = f"^{_YEARS}-[0-9]{{2}}-[0-9]{{2}}$"
DAY_RULE = "YYYY-MM-DD in ASCII digits, from 1970-01-01 to 2199-12-31"
MONTH_PATTERN = f"^{_YEARS}-(0[1-9]|1[0-2])$"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def openapi_bounds(self, field, ret, **kwargs) -> dict:
    """An apispec attribute function: the bounds a request's Timestamp, Day, month label and StrictDecimal
    are held to, which openapi.yaml did not say, so a client checking its request by the spec learned of
    them only from a 422. A field whose metadata names its type (a dump schema's) is left as it says."""
    if "type" in field.metadata:
        return {}
    out: dict = {}
    own = ret.get("description")
    if isinstance(field, Timestamp):  # a reference to the one Timestamp schema (or null, where it may be)
        nullable = "null" in ret.pop("type", ())
        ret.pop("format", None)
        return {"anyOf": [TIMESTAMP_REF, {"type": "null"}]} if nullable else dict(TIMESTAMP_REF)
    if isinstance(field, Day):
        out = {"pattern": DAY_PATTERN, "description": DAY_RULE}
    elif any(isinstance(validator, MonthLabel) for validator in field.validators):
        out = {"pattern": MONTH_PATTERN}
    elif isinstance(field, StrictDecimal):
        if field.minimum is not None:
            out["exclusiveMinimum" if field.exclusive_minimum else "minimum"] = _number(field.minimum)
        if field.maximum is not None:
            out["maximum"] = _number(field.maximum)
        # minimum and maximum hold a JSON number only; the string form is held to them too
        bounds = [f"{'more than' if field.exclusive_minimum else 'at least'} {decimal_str(field.minimum)}"
                  if field.minimum is not None else None,
                  f"at most {decimal_str(field.maximum)}" if field.maximum is not None else None,
                  f"at most {field.places} decimal places" if field.places is not None else None]
        out["description"] = "A number or a numeric string, " + ", ".join(b for b in bounds if b)
    if "description" in out and own:
        out["description"] = f"{own}. {out['description']}"
    return out


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # "localtime" is whatever zone the host is set to, not a zone of the contract's; "Factory" is the
    # tz database's "zone unknown" placeholder (abbreviation -00), which would be read as UTC
    return frozenset(available_timezones() - {"localtime", "Factory"})


class TimeZone(fields.String):
    """An IANA time zone name."""

    def __init__(self, **kwargs):
        # No enum: the zone list depends on the machine's tz database, and the spec must not.
        kwargs.setdefault("metadata", {"example": "Asia/Ho_Chi_Minh", "description": "An IANA time zone"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        # available_timezones, not whatever ZoneInfo opens: it would also open "posix/Asia/Saigon",
        # "right/UTC" (leap seconds) and "localtime", which depend on the host's files
        if name not in _zone_names():
            raise ValidationError(f"Unknown IANA time zone {name[:64]!r}.")
        return name
