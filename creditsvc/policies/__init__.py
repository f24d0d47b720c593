"""Policies as data: validation, the built-in templates, and `template` + `overrides` (rules.md §9).

A contract names either a full policy document or `{"template": NAME, "overrides": {...}}`. Overrides
merge deeply into the template: objects merge key by key, lists and values replace. `null` removes an
object (`{"uptime": null}` switches a section off, `{"priorities": {"P1": null}}` drops a priority)
and sets any other value to null (`{"business_hours": {"holidays": null}}`: no public holidays).
"""
from __future__ import annotations

import copy
import threading
import tomllib
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from marshmallow import ValidationError, fields

from ..calculators.errors import DomainError
from ..calculators.policy import Policy
from ..canonical import canonical_json
from ..calculators.money import CURRENCY_EXPONENTS
from ..schemas.fields import MAX_INTEGER_DIGITS, decimal_places, legacy_decimal
from .schema import PolicySchema

TEMPLATE_NAMES = ("1office", "3cx-vn", "hvn", "oneoffice-dk", "phanmemvang")


class PolicyError(DomainError):
    """A policy document that does not validate; `errors` maps dotted field paths to messages."""

    code = "invalid_policy"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("the policy is not valid: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict as {"uptime.bands.2.credit_percent": [...]}."""
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        # A Dict field's errors are {entry: {"key": ..., "value": ...}}: "key" (the entry's key is bad)
        # and "value" (its value is) both name the entry itself, `priorities.P1`, whatever it is called.
        # A key's errors are a list of messages, which tells an entry called "key" from them.
        dict_field = bool(messages) and all(isinstance(v, Mapping) and v and set(v) <= {"key", "value"}
                                            and isinstance(v.get("key", []), list) for v in messages.values())
        for key, value in messages.items():
            # "_schema" is marshmallow's key for a schema's own errors, but among a Dict's entries it is an
            # entry's name (a priority may be called "_schema"), to be kept in the path
            own = key == "_schema" and not dict_field
            path = prefix if own else (f"{prefix}.{key}" if prefix else str(key))
            for part in (value.values() if dict_field else (value,)):
                for field, texts in flatten_errors(part, path).items():
                    out.setdefault(field, []).extend(texts)
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_": list(messages)}
    if isinstance(messages, list):
        out = {}
        for value in messages:
            for field, texts in flatten_errors(value, prefix).items():
                out.setdefault(field, []).extend(texts)
        return out
    return {prefix or "_": [str(messages)]}


@lru_cache(maxsize=None)
def _template_text(name: str) -> str:
    return resources.files(__package__).joinpath("templates", f"{name}.toml").read_text("utf-8")


def template_document(name: str) -> dict[str, Any]:
    """A built-in template as a fresh policy document (numbers as Decimal, never float)."""
    if name not in TEMPLATE_NAMES:
        raise PolicyError({"template": [f"Unknown template {name!r}; one of {', '.join(TEMPLATE_NAMES)}."]})
    return tomllib.loads(_template_text(name), parse_float=Decimal)


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if value is None and isinstance(merged.get(key), Mapping):
            merged.pop(key)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_policy(document: Mapping[str, Any]) -> Policy:
    """Validate a full policy document; PolicyError names every offending field."""
    if not isinstance(document, Mapping):
        raise PolicyError({"_": ["A policy is an object."]})
    try:
        return PolicySchema().load(document)
    except ValidationError as error:
        raise PolicyError(flatten_errors(error.messages)) from None


def load_stored_policy(document: Mapping[str, Any]) -> Policy:
    """A policy document as stored with a contract. Before policies took only JSON true and false,
    marshmallow's Boolean took "yes", 1, "on" ... and the document kept them as sent: such a stored
    document reads them as that Boolean did, so a stored contract never becomes unreadable. So too
    the business hours' times and dates, read by int() and fromisoformat before they had to be
    written HH:MM and YYYY-MM-DD, and the decimals (amounts, percentages, hours, the multiplier),
    read by Decimal() before their text had to match the spec's pattern (" 800", "1e5", "+99.8")."""
    return load_policy(_legacy_decimals(_legacy_business_hours(_legacy_booleans(document))))


# Where a policy has decimals (schema.py's StrictDecimal fields: Amount, Percent and the others); "*" is
# any priority's name or any band of the list.
DECIMAL_PATHS: tuple[tuple[str, ...], ...] = (
    ("uptime", "commitment_percent"), ("uptime", "maintenance_notice_hours"), ("uptime", "credit_cap_percent"),
    ("uptime", "bands", "*", "from_percent"), ("uptime", "bands", "*", "credit_percent"),
    ("outage_credit", "block_hours"), ("outage_credit", "days_per_block"),
    ("outage_credit", "maintenance_notice_hours"),
    ("repeat_bug_fines", "base_amount"), ("repeat_bug_fines", "multiplier"), ("repeat_bug_fines", "max_fine"),
    ("support_billing", "rates", "1"), ("support_billing", "rates", "2"),
    ("support_billing", "agreement_discounts", "GOD"), ("support_billing", "agreement_discounts", "BEDRE"),
    ("support_billing", "agreement_discounts", "BEDST"), ("support_billing", "after_hours_surcharge_percent"),
    ("support_billing", "mileage_rate"), ("support_billing", "vat_percent"),
    ("ticket_targets", "priorities", "*", "breach_credit"),
)


def _legacy_decimals(document: Mapping[str, Any]) -> Mapping[str, Any]:
    def rewrite(node: Any, path: tuple[str, ...]) -> Any:
        if not path:
            return legacy_decimal(node)
        if isinstance(node, list) and path[0] == "*":
            return [rewrite(item, path[1:]) for item in node]
        if not isinstance(node, Mapping):
            return node
        names = list(node) if path[0] == "*" else [path[0]] if path[0] in node else []
        return {**node, **{name: rewrite(node[name], path[1:]) for name in names}} if names else node

    for path in DECIMAL_PATHS:
        document = rewrite(document, path)
    return document


def _legacy_business_hours(document: Mapping[str, Any]) -> Mapping[str, Any]:
    hours = document.get("business_hours")
    if not isinstance(hours, Mapping):
        return document

    def clock(value: Any) -> Any:  # as ClockTime read it: two parts of two characters, int() each
        try:
            hour, minute = value.split(":")
            if len(hour) != 2 or len(minute) != 2:
                return value
            return time(int(hour), int(minute)).strftime("%H:%M")
        except (AttributeError, ValueError):
            return value

    def day(value: Any) -> Any:  # as marshmallow's Date read it
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            return value

    hours = {**hours, **{key: clock(hours[key]) for key in ("start", "end") if key in hours}}
    if isinstance(hours.get("extra_closed_dates"), list):
        hours["extra_closed_dates"] = [day(value) for value in hours["extra_closed_dates"]]
    return {**document, "business_hours": hours}


def _legacy_booleans(document: Mapping[str, Any]) -> Mapping[str, Any]:
    def flag(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return value
        text = value.lower() if isinstance(value, str) else value
        return True if text in fields.Boolean.truthy else False if text in fields.Boolean.falsy else value

    document = dict(document)
    application = document.get("application")
    if isinstance(application, Mapping) and "cash_refund" in application:
        document["application"] = {**application, "cash_refund": flag(application["cash_refund"])}
    uptime = document.get("uptime")
    if isinstance(uptime, Mapping) and isinstance(uptime.get("bands"), list):
        bands = [{**band, "termination_right": flag(band["termination_right"])}
                 if isinstance(band, Mapping) and "termination_right" in band else band for band in uptime["bands"]]
        document["uptime"] = {**uptime, "bands": bands}
    return document


def resolve(spec: Mapping[str, Any]) -> tuple[dict[str, Any], Policy]:
    """A contract's `policy` value -> (the full policy document, the validated Policy).

    Errors name fields relative to the contract's policy value: `overrides.uptime.bands`, `template`.
    Contracts repeat a handful of policies, so results are cached by the spec's canonical JSON.
    Policy is immutable; the document is the cache's own, shared by every caller of the same spec,
    so read it and never change it (storing it goes through canonical.plain, a copy). Copying it
    for each caller cost a tenth of a calculation request.
    """
    if not isinstance(spec, Mapping):
        raise PolicyError({"_": ["A policy is an object: a full policy or {template, overrides}."]})
    try:
        key = canonical_json(_typed(spec))
    except TypeError:  # a float, or something that is not JSON: refused by the validation, naming it
        return _resolve(spec)
    except RecursionError:  # JSON may nest ~1,000 deep; no policy nests more than four
        raise PolicyError({"_": ["The policy is nested too deeply."]}) from None
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None:
        document, policy = _resolve(spec)
        if len(key) > _CACHED_SPEC_CHARS:
            # A spec this large is no repeated template: kept, 512 of them (4 MiB of extra_closed_dates
            # each, ~31 MiB with its copy and Policy) held 16 GB per worker, from POST /v1/calculations alone.
            return document, policy
        hit = (copy.deepcopy(document), policy)  # shares nothing with the caller's spec
        with _cache_lock:
            if len(_cache) >= 512:
                _cache.clear()
            _cache[key] = hit
    return hit


_cache: dict[str, tuple[dict[str, Any], Policy]] = {}
_CACHED_SPEC_CHARS = 64 * 1024  # every template with overrides of rates, bands and targets is under 8 KiB
_cache_lock = threading.Lock()


def _typed(value: Any) -> Any:
    """The spec as JSON whose numbers and booleans keep their type, for a cache key: 12.5 and "12.5",
    or 1 and true, validate differently and must not share an entry."""
    if isinstance(value, Mapping):
        return {str(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value if not isinstance(value, bool) else {"$bool": value}
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, Decimal):
        return {"$decimal": format(value, "f")}
    raise TypeError(type(value).__name__)


def resolve_as_stored(spec: Mapping[str, Any]) -> tuple[dict[str, Any], Policy]:
    """`resolve` without the rules only new input is held to (`_refuse_new_input`), reading the
    document as a stored one is read: for telling whether a PUT repeats the terms stored before them."""
    return _resolve(spec, load=load_stored_policy, refuse=lambda *_: None)


def _resolve(spec: Mapping[str, Any], load=load_policy, refuse=None) -> tuple[dict[str, Any], Policy]:
    # JSON may nest ~1,000 deep and each step below recurses: resolve's own check (_typed) did not cover
    # resolve_as_stored, whose RecursionError was a 500 for a PUT nesting 500 deep, nor a spec one
    # level short of its limit
    try:
        return _resolve_spec(spec, load, refuse or _refuse_new_input)
    except RecursionError:
        raise PolicyError({"_": ["The policy is nested too deeply."]}) from None


def _resolve_spec(spec: Mapping[str, Any], load, refuse) -> tuple[dict[str, Any], Policy]:
    if not isinstance(spec, Mapping):
        raise PolicyError({"_": ["A policy is an object: a full policy or {template, overrides}."]})
    if "template" not in spec:
        document = _whole_numbers_as_int(dict(spec))
        policy = load(document)
        refuse(document, policy, None, None)
        return document, policy
    unknown = set(spec) - {"template", "overrides"}
    if unknown:
        raise PolicyError({key: ["Unknown field."] for key in sorted(unknown)})
    overrides = spec.get("overrides")
    if overrides is None:  # absent or null: the template as it is; [] or 0 are not "no overrides"
        overrides = {}
    if not isinstance(spec["template"], str):
        raise PolicyError({"template": ["Not a valid string."]})
    if not isinstance(overrides, Mapping):
        raise PolicyError({"overrides": ["Overrides are an object."]})
    template = template_document(spec["template"])
    document = _whole_numbers_as_int(deep_merge(template, overrides))
    try:
        policy = load(document)
    except PolicyError as error:
        raise PolicyError({_origin(path, overrides): texts for path, texts in error.errors.items()}) from None
    refuse(document, policy, template, overrides)
    return document, policy


def _refuse_new_input(document: Mapping[str, Any], policy: Policy, template: Mapping[str, Any] | None,
                      overrides: Mapping[str, Any] | None) -> None:
    """Rules a policy sent to the service must keep that a stored one (load_stored_policy) is not held
    to, so a contract stored before them still reads. Errors name the field to state: under
    `overrides.` when the policy is a template's."""
    errors = _amounts_in_another_currency(document, template, overrides)
    errors.update(_amounts_past_minor_units(policy))
    errors.update(_edges_past_the_shown_uptime(policy))
    errors.update(_bands_that_give_back(policy))
    errors.update(_lists_past_their_bounds(document))
    if errors:
        prefix = "" if template is None else "overrides."
        raise PolicyError({prefix + path: texts for path, texts in errors.items()})


# The amounts of a policy and the currency each default is written in (rules.md §5: "500,000 VND";
# §6: "800 DKK and 1,095 DKK", "3.52 DKK/km"); None: no default.
AMOUNT_FIELDS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("repeat_bug_fines", "base_amount"), "VND"),
    (("repeat_bug_fines", "max_fine"), None),
    (("support_billing", "rates"), "DKK"),
    (("support_billing", "mileage_rate"), "DKK"),
)


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(node, Mapping) or node.get(part) is None:
            return None
        node = node[part]
    return node


def _amounts_in_another_currency(document: Mapping[str, Any], template: Mapping[str, Any] | None,
                                 overrides: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """An amount means what it says only in the currency it was written in. A default is in the
    seed's currency: the fines of a DKK policy defaulted to 500,000 DKK, the rates of a VND one to
    800 VND an hour. A template's amounts are in the template's currency: 1office with its currency
    overridden to DKK fined 500,000 DKK. Such an amount must be stated in the policy's currency."""
    currency = document.get("currency")
    errors: dict[str, list[str]] = {}
    for path, default_currency in AMOUNT_FIELDS:
        if not isinstance(document.get(path[0]), Mapping):
            continue  # the section is absent: nothing is computed
        name = ".".join(path)
        stated = _at(document, path)
        if stated is None:
            if default_currency is not None and currency != default_currency:
                errors[name] = [f"The default is in {default_currency}; a {currency} policy states its own."]
            continue
        template_currency = template.get("currency") if template is not None else currency
        for leaf in _leaves(stated, path):
            if template_currency != currency and _at(template, leaf) is not None and _at(overrides, leaf) is None:
                errors[".".join(leaf)] = [f"The template's amount is in {template_currency}; "
                                          f"a {currency} policy states its own."]
    return errors


def _amounts_past_minor_units(policy: Policy) -> dict[str, list[str]]:
    """A fine or breach credit is credited as it is: like a contract's fee, it has at most its
    currency's decimals. A max_fine of 100.5 VND let fines of 101 VND through (rounded half up), and a
    base_amount of 0.5 VND fined 1 VND."""
    if policy.currency not in CURRENCY_EXPONENTS:
        return {}
    places = CURRENCY_EXPONENTS[policy.currency]
    amounts = []
    if policy.repeat_bug_fines is not None:
        amounts += [("repeat_bug_fines.base_amount", policy.repeat_bug_fines.base_amount),
                    ("repeat_bug_fines.max_fine", policy.repeat_bug_fines.max_fine)]
    if policy.ticket_targets is not None:
        amounts += [(f"ticket_targets.priorities.{name}.breach_credit", target.breach_credit)
                    for name, target in policy.ticket_targets.priorities.items()]
    message = f"A {policy.currency} amount has at most {places} decimal places." if places else \
        f"A {policy.currency} amount is a whole number."
    return {path: [message] for path, amount in amounts if amount is not None and decimal_places(amount) > places}


UPTIME_PLACES = 4  # rules.md §1: uptime_percent is truncated to 4 decimals (schemas/statement.py)


def _edges_past_the_shown_uptime(policy: Policy) -> dict[str, list[str]]:
    """uptime_percent is shown truncated to 4 decimals so that it never contradicts its band (rules.md
    §1). An edge with more decimals could: 99.000077 % fell in a band from 99.00005 and showed 99.0000."""
    if policy.uptime is None:
        return {}
    message = ["At most 4 decimal places, the digits uptime_percent shows."]
    edges = [("uptime.commitment_percent", policy.uptime.commitment_percent)]
    edges += [(f"uptime.bands.{index}.from_percent", band.from_percent)
              for index, band in enumerate(policy.uptime.bands)]
    return {path: message for path, edge in edges if decimal_places(edge) > UPTIME_PLACES}


def _bands_that_give_back(policy: Policy) -> dict[str, list[str]]:
    """A lower band credits at least as much as the band above it and keeps its termination right:
    credit never decreases as downtime grows (design.md). Bands [{0: 2 %}, {95: 50 %}] credited
    10,000,000 of a 20,000,000 fee at 96.25 % uptime and 400,000 at 93.33 %, most likely two
    percentages typed in each other's place. Named by the band's place in the list as sent."""
    if policy.uptime is None:
        return {}
    errors: dict[str, list[str]] = {}
    order = sorted(range(len(policy.uptime.bands)), key=lambda index: policy.uptime.bands[index].from_percent)
    for lower, upper in zip(order, order[1:]):
        below, above = policy.uptime.bands[lower], policy.uptime.bands[upper]
        if below.credit_percent < above.credit_percent:
            errors[f"uptime.bands.{lower}.credit_percent"] = [
                f"Less than the {above.credit_percent} % of the band from {above.from_percent} %: a lower uptime "
                "never earns a smaller credit."]
        if above.termination_right and not below.termination_right:
            errors[f"uptime.bands.{lower}.termination_right"] = [
                f"The band from {above.from_percent} % grants a termination right: a lower uptime keeps it."]
    return errors


MAX_CLOSED_DATES = 1000


def _lists_past_their_bounds(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """A business calendar's own lists name each day once, and its closed dates are at most 1,000:
    with no bound, 300,000 dates (4 MB) were taken, and each contract holding them kept 12-15 MiB in
    the stored-policy cache and cost every statement ten times the time."""
    hours = document.get("business_hours")
    if not isinstance(hours, Mapping):
        return {}
    errors: dict[str, list[str]] = {}
    for name, most in (("extra_closed_dates", MAX_CLOSED_DATES), ("weekdays", None)):
        values = hours.get(name)
        if not isinstance(values, list):
            continue
        if most is not None and len(values) > most:
            errors[f"business_hours.{name}"] = [f"At most {most:,} dates."]
        elif len(set(map(str, values))) < len(values):
            twice = next(value for index, value in enumerate(values) if value in values[:index])
            errors[f"business_hours.{name}"] = [f"Each {'date' if most else 'day'} once: {str(twice)[:20]} is given twice."]
    return errors


def _leaves(value: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(value, Mapping):
        return [leaf for key, item in value.items() for leaf in _leaves(item, path + (str(key),))]
    return [path]


def _whole_numbers_as_int(value: Any) -> Any:
    """The document with JSON numbers such as 30.0 or 3E+1 as ints.

    A stored document keeps its Decimals as text ("30.0"), which a decimal field reads back but an
    integer field (minimum_minutes, claim_window_months) refuses: a contract stored with 30.0 could
    no longer be read. As an int it is stored as 30. A number too large for any field stays a
    Decimal, for the field to refuse without writing out its digits."""
    if isinstance(value, Mapping):
        return {key: _whole_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_int(item) for item in value]
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < MAX_INTEGER_DIGITS \
            and value == value.to_integral_value():
        return int(value)
    return value


def _origin(path: str, overrides: Mapping[str, Any]) -> str:
    """Name an error after the override that caused it when there is one."""
    node: Any = overrides
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return path if node is overrides else f"overrides.{path}"
    return f"overrides.{path}"


# What openapi.yaml says a contract's `policy` is (api.md): a template and its overrides, or a full policy.
POLICY_SPEC = {"oneOf": [{"$ref": "#/components/schemas/PolicyTemplateReference"},
                         {"$ref": "#/components/schemas/Policy"}]}


def document_in(spec) -> None:
    """Add the policy document (rules.md §9) to an apispec spec: `Policy`, from the schema that validates
    it, and `PolicyTemplateReference`. Without them openapi.yaml said a policy was any object."""
    from marshmallow import fields as marshmallow_fields

    from .schema import PolicySchema

    for plugin in spec.plugins:
        if hasattr(plugin, "converter") and plugin.converter is not None:
            plugin.converter.add_attribute_function(_map_bounds)

    def register(schema_class: type, name: str) -> None:
        # its parts first, each under a Policy name: the statement has schemas called Uptime and Fines too
        for field in schema_class._declared_fields.values():
            inner = getattr(field, "inner", None) or getattr(field, "value_field", None) or field
            if isinstance(inner, marshmallow_fields.Nested) and isinstance(inner.nested, type):
                part = inner.nested.__name__.removesuffix("Schema")
                if f"Policy{part}" not in spec.components.schemas:
                    register(inner.nested, f"Policy{part}")
        spec.components.schema(name, schema=schema_class)

    register(PolicySchema, "Policy")
    spec.components.schema("PolicyTemplateReference", {
        "type": "object", "required": ["template"], "additionalProperties": False,
        "properties": {
            "template": {"type": "string", "enum": list(TEMPLATE_NAMES)},
            "overrides": {"type": ["object", "null"], "description": "Parts of the template's policy to replace, "
                          "merged into it key by key; null removes a part (rules.md §9)"}}})


def _map_bounds(self, field, ret, **kwargs) -> dict:
    """A map's (fields.Dict) bounds as JSON Schema bounds an object: apispec wrote a Length on one as
    minLength/maxLength, which apply to strings, so the spec let through the {} and the 51 priorities
    the service refuses. Its keys' pattern, which apispec left out, is its propertyNames."""
    from marshmallow import fields as marshmallow_fields, validate as marshmallow_validate

    if not isinstance(field, marshmallow_fields.Dict):
        return {}
    out = {}
    for length, count in (("minLength", "minProperties"), ("maxLength", "maxProperties")):
        if length in ret:
            out[count] = ret.pop(length)
    keys = getattr(field, "key_field", None)
    patterns = [v.regex.pattern for v in getattr(keys, "validators", ()) if isinstance(v, marshmallow_validate.Regexp)]
    if patterns:
        out["propertyNames"] = {"pattern": patterns[0]}
    return out


def templates() -> list[dict[str, Any]]:
    """The built-in templates as served by GET /v1/policy-templates."""
    out = []
    for name in TEMPLATE_NAMES:
        document = template_document(name)
        out.append({"name": name, "description": document.get("description", ""), "policy": document})
    return out
