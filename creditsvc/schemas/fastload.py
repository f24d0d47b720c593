"""A marshmallow schema's load straight from the JSON bytes of a request, with msgspec doing the
structural work in C.

A typical month's calculation request carries some 80 objects and 450 values; marshmallow spends
about 3 µs on each value (1.4 ms a request), the compiled dict load (compiled.py) half of that.
`compile_json_load(schema)` derives, once, a msgspec Struct type for the schema and each schema it
nests, from their declared fields:

- a plain `String` becomes `str`, its `OneOf` a `Literal` and its `Length` msgspec's own lengths
  (any other validator runs in Python, as marshmallow runs it);
- a `Timestamp` becomes `str`, parsed by `Timestamp.parse` as marshmallow's load parses it;
- `Nested` and `List` become the derived Struct and a list of the inner type;
- every other field is decoded untyped (a number with a fraction as Decimal, as creditsvc.jsonio
  reads it) and goes through the field's own `_deserialize` and validators.

The schemas' own `validates_schema` and `post_load` hooks then run as marshmallow runs them. The
schema stays the one description of the wire format, of its errors and of openapi.yaml.

Only the road of valid requests is fast. At any doubt - a msgspec error, a refusal by a field or a
hook, a body jsonio reads specially (one that escapes a lone surrogate or NUL) - `HandOver` is
raised, and the caller parses the body the ordinary way, so marshmallow decides and every error
response is marshmallow's own. tests/api/test_fastload.py shows the result equal to marshmallow's,
on valid requests and on any corruption of one.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from marshmallow import RAISE, Schema, fields, validate
from marshmallow.utils import missing

from ..jsonio import needs_cleaning
from .fields import Timestamp


class HandOver(Exception):
    """The fast load met something it leaves to marshmallow."""


Convert = Callable[[Any], Any] | None  # wire value (not None) -> loaded value; None: the value itself


def _string_type(field: fields.String) -> tuple[Any, list[validate.Validator]]:
    """str narrowed by the validators msgspec checks alike (one OneOf of strings, or one Length);
    every other validator is left for Python."""
    rest = list(field.validators)
    for validator in rest:
        if type(validator) is validate.OneOf and validator.choices and all(type(c) is str for c in validator.choices):
            rest.remove(validator)
            return Literal[tuple(validator.choices)], rest
    for validator in rest:
        if type(validator) is validate.Length:
            rest.remove(validator)
            if validator.equal is not None:
                return Annotated[str, msgspec.Meta(min_length=validator.equal, max_length=validator.equal)], rest
            lengths = {k: v for k, v in (("min_length", validator.min), ("max_length", validator.max)) if v is not None}
            return Annotated[str, msgspec.Meta(**lengths)], rest
    return str, rest


def _run(validators: list, convert: Convert) -> Convert:
    if not validators:
        return convert

    def checked(value):
        value = convert(value) if convert else value
        for validator in validators:
            validator(value)  # marshmallow 4: a validator raises; what it returns is ignored
        return value

    return checked


def _field(field: fields.Field, key: str) -> tuple[Any, Convert]:
    """(msgspec type of a non-null wire value, its conversion to the loaded value)."""
    if field.pre_load or field.post_load:
        raise TypeError(f"compile_json_load does not support field processors ({field!r})")
    if isinstance(field, fields.Nested) and type(field)._deserialize is fields.Nested._deserialize:
        nested = field.schema
        if field.many or nested.many or nested.only or nested.exclude:
            raise TypeError(f"compile_json_load does not support many/only/exclude on Nested ({field!r})")
        struct, finish = _compile(nested, field.unknown or nested.unknown)
        return struct, _run(list(field.validators), finish)
    if isinstance(field, fields.List) and type(field)._deserialize is fields.List._deserialize:
        inner, convert = _field(field.inner, key)
        if field.inner.allow_none:
            raise TypeError(f"compile_json_load does not support nullable list items ({field!r})")
        whole = (lambda items: [convert(item) for item in items]) if convert else list
        return list[inner], _run(list(field.validators), whole)
    if type(field)._deserialize is fields.String._deserialize and isinstance(field, fields.String):
        kind, rest = _string_type(field)
        return kind, _run(rest, None)
    if type(field) is Timestamp:
        # As text, parsed by the same function as marshmallow's load: msgspec's own datetimes would
        # take a lowercase t or z, and round 7 fractional digits into a whole second.
        return str, _run(list(field.validators), Timestamp.parse)
    deserialize = field._deserialize
    return Any, _run(list(field.validators), lambda value: deserialize(value, key, None))


def _compile(schema: Schema, unknown: str) -> tuple[type, Callable[[Any], Any]]:
    hooks = schema._hooks
    if hooks.get("pre_load") or hooks.get("validates"):
        raise TypeError(f"compile_json_load does not support pre_load or field validators ({type(schema).__name__})")
    if unknown != RAISE:
        # msgspec would skip an unknown key without reading it as jsonio does (a 5,000-digit number,
        # invalid UTF-8): only schemas that refuse unknown fields, as request bodies do.
        raise TypeError(f"compile_json_load does not support unknown={unknown} ({type(schema).__name__})")
    for tag in ("validates_schema", "post_load"):
        if any(many for _, many, _ in hooks.get(tag, ())):
            raise TypeError(f"compile_json_load does not support pass_collection hooks ({type(schema).__name__})")
    for _, _, options in [*hooks.get("validates_schema", ()), *hooks.get("post_load", ())]:
        if options.get("pass_original"):
            raise TypeError(f"compile_json_load does not support pass_original ({type(schema).__name__})")
    validators = [getattr(schema, name) for name, _, _ in hooks.get("validates_schema", ())]
    processors = [getattr(schema, name) for name, _, _ in hooks.get("post_load", ())]

    struct_fields, steps = [], []
    for index, (name, field) in enumerate(schema.load_fields.items()):
        attribute, key = field.attribute or name, field.data_key or name
        if "." in attribute:
            raise TypeError(f"compile_json_load does not support dotted attributes ({attribute})")
        kind, convert = _field(field, key)
        slot = f"f{index}"
        # msgspec refuses a null where the type has no None; only an untyped field needs the check here
        may_be_none = field.allow_none or kind is not Any
        if field.allow_none and kind is not Any:
            kind = kind | None
        struct_fields.append((slot, kind) if field.required else (slot, kind, msgspec.UNSET))
        steps.append((slot, key, attribute, convert, may_be_none, field.load_default))
    struct = msgspec.defstruct(
        f"{type(schema).__name__}Wire", struct_fields, kw_only=True, forbid_unknown_fields=unknown == RAISE,
        rename={slot: key for slot, key, *_ in steps},
    )
    return struct, _finisher(type(schema).__name__, schema.dict_class, steps, validators, processors, unknown)


def _finisher(name: str, dict_class: type, steps: list, validators: list, processors: list, unknown: str):
    """decoded Struct -> what the schema's load returns: the steps written out as one function (a
    loop over them cost twice as much), then the schema's validators and post_load hooks."""
    names: dict[str, Any] = {"dict_class": dict_class, "UNSET": msgspec.UNSET, "HandOver": HandOver, "unknown": unknown}
    lines = [f"def finish_{name}(decoded):", "    result = dict_class()"]
    for index, (slot, _key, attribute, convert, may_be_none, default) in enumerate(steps):
        names[f"convert{index}"], names[f"default{index}"] = convert, default
        target = f"result[{attribute!r}]"
        lines.append(f"    value = decoded.{slot}")
        lines.append("    if value is UNSET:")
        if default is missing:
            lines.append("        pass")
        else:
            lines.append(f"        {target} = default{index}()" if callable(default) else f"        {target} = default{index}")
        lines.append("    elif value is None:")
        # msgspec refuses a null where the type has no None; an untyped field checks here
        lines.append(f"        {target} = None" if may_be_none else "        raise HandOver")
        lines.append("    else:")
        lines.append(f"        {target} = convert{index}(value)" if convert is not None else f"        {target} = value")
    for index, validator in enumerate(validators):
        names[f"validator{index}"] = validator
        lines.append(f"    validator{index}(result, partial=None, many=False, unknown=unknown)")
    for index, processor in enumerate(processors):
        names[f"processor{index}"] = processor
        lines.append(f"    result = processor{index}(result, many=False, partial=None, unknown=unknown)")
    lines.append("    return result")
    exec(compile("\n".join(lines), f"<fastload {name}>", "exec"), names)  # noqa: S102 - our own field names only
    return names[f"finish_{name}"]




def compile_json_load(schema: Schema) -> Callable[[bytes], Any]:
    """A function of a request body (bytes) that returns what `schema.load(jsonio.loads(body))`
    returns, or raises HandOver where it leaves the body to that road."""
    if schema.many or schema.only or schema.exclude or schema.partial:
        raise TypeError("compile_json_load compiles a whole schema for one object")
    struct, finish = _compile(schema, schema.unknown)
    decoder = msgspec.json.Decoder(struct, float_hook=Decimal)

    def load(body: bytes):
        if needs_cleaning(body):  # jsonio refuses what such a body escapes, naming it
            raise HandOver
        try:
            return finish(decoder.decode(body))
        except HandOver:
            raise
        except Exception:  # noqa: BLE001 - msgspec's errors, a ValidationError or a surprise: marshmallow decides
            raise HandOver from None

    return load
