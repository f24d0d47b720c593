"""A marshmallow schema's dump, compiled once into plain loops over its own fields.

`Schema.dump` spends about 1.5 µs a value on lookups, hooks and bookkeeping a dump of our result
objects never needs; a statement has some 600 values. `compile_dump(schema)` reads the schema's
declared fields once and returns a function that builds the same dict: each value still goes through
its field's own `_serialize`, except where that method is known to be the identity or `int`/`str`.
The schema stays the single description of the wire format (and of openapi.yaml).

Only what dumping plain result objects needs is supported; a schema with dump hooks, `dump_default`s,
`only`/`exclude` or `many` is refused at compile time rather than dumped differently.
tests/api/test_compiled_dump.py proves the output equal to `schema.dump` on random statements.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

_ABSENT = object()


def _is(field: fields.Field, base: type, method: str = "_serialize") -> bool:
    return isinstance(field, base) and getattr(type(field), method) is getattr(base, method)


def _converter(field: fields.Field) -> Callable[[Any, Any], Any]:
    """value, obj -> wire value, for a value that is not None."""
    if field.dump_default is not missing:
        raise TypeError(f"compile_dump does not support dump_default ({field!r})")
    if isinstance(field, fields.Nested):
        nested = field.schema
        if nested.only or nested.exclude:
            raise TypeError(f"compile_dump does not support only/exclude ({field!r})")
        dump = compile_dump(type(nested)() if nested.many else nested)
        if field.many or nested.many:
            return lambda value, obj: [dump(item) for item in value]
        return lambda value, obj: dump(value)
    if isinstance(field, fields.List) and type(field)._serialize is fields.List._serialize:
        inner = _converter(field.inner)
        return lambda value, obj: [None if item is None else inner(item, obj) for item in value]
    if _is(field, fields.Dict) or _is(field, fields.Mapping):
        keys = _converter(field.key_field) if field.key_field is not None else (lambda value, obj: value)
        values = _converter(field.value_field) if field.value_field is not None else (lambda value, obj: value)
        return lambda value, obj: {None if k is None else keys(k, obj): None if v is None else values(v, obj)
                                   for k, v in value.items()}
    if _is(field, fields.Integer, "_format_num") and type(field)._serialize is fields.Number._serialize:
        return (lambda value, obj: str(int(value))) if field.as_string else (lambda value, obj: int(value))
    if _is(field, fields.String):
        return lambda value, obj: value if type(value) is str else str(value)
    if type(field)._serialize is fields.Field._serialize:  # Boolean and plain Field: the value itself
        return lambda value, obj: value
    serialize = field._serialize
    return lambda value, obj: serialize(value, None, obj)


def compile_dump(schema: Schema) -> Callable[[Any], dict]:
    """A function equal to `schema.dump` for one object (not many)."""
    if schema.many or schema.only or schema.exclude:
        raise TypeError("compile_dump compiles a whole schema for one object")
    if schema._hooks.get("pre_dump") or schema._hooks.get("post_dump"):
        raise TypeError(f"compile_dump does not support dump hooks ({type(schema).__name__})")
    steps = []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        if "." in attribute:
            raise TypeError(f"compile_dump does not support dotted attributes ({attribute})")
        steps.append((field.data_key or name, attribute, _converter(field)))

    def dump(obj: Any) -> dict:
        out = {}
        mapping = isinstance(obj, Mapping)
        for key, attribute, convert in steps:
            value = obj.get(attribute, _ABSENT) if mapping else getattr(obj, attribute, _ABSENT)
            if value is _ABSENT:
                continue
            out[key] = None if value is None else convert(value, obj)
        return out

    return dump
