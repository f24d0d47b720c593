"""A marshmallow schema's dump and load, compiled once into plain loops over its own fields.

`Schema.dump` spends about 1.5 µs a value on lookups, hooks and bookkeeping a dump of our result
objects never needs; a statement has some 600 values. `compile_dump(schema)` reads the schema's
declared fields once and returns a function that builds the same dict: each value still goes through
its field's own `_serialize`, except where that method is known to be the identity or `int`/`str`, or
is one of creditsvc's own (Timestamp, Amount, StrictDecimal), whose body is written out in its place.
The schema stays the single description of the wire format (and of openapi.yaml).

Only what dumping plain result objects needs is supported; a schema with dump hooks, `dump_default`s,
`only`/`exclude` or `many` is refused at compile time rather than dumped differently.
tests/api/test_compiled_dump.py proves the output equal to `schema.dump` on random statements.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, fields
from marshmallow.utils import missing

from .fastload import HandOver, compile_json_load
from .fields import Amount, StrictDecimal, Timestamp, decimal_str, utc_text

_ABSENT = object()


def _is(field: fields.Field, base: type, method: str = "_serialize") -> bool:
    return isinstance(field, base) and getattr(type(field), method) is getattr(base, method)


def _expression(field: fields.Field, var: str, names: dict[str, Any]) -> str:
    """Python source of the wire value of `var` (not None) for a field; `obj` is the dumped object.
    What the expression calls is put into `names`."""
    if field.dump_default is not missing:
        raise TypeError(f"compile_dump does not support dump_default ({field!r})")
    label = f"_{len(names)}"
    if isinstance(field, fields.Nested):
        nested = field.schema
        if nested.only or nested.exclude:
            raise TypeError(f"compile_dump does not support only/exclude ({field!r})")
        names[f"dump{label}"] = compile_dump(type(nested)() if nested.many else nested)
        if field.many or nested.many:
            return f"[dump{label}(item{label}) for item{label} in {var}]"
        return f"dump{label}({var})"
    if isinstance(field, fields.List) and type(field)._serialize is fields.List._serialize:
        item = f"item{label}"
        inner = _expression(field.inner, item, names)
        return f"[None if {item} is None else {inner} for {item} in {var}]"
    if _is(field, fields.Dict) or _is(field, fields.Mapping):
        key, value = f"key{label}", f"value{label}"
        keys = _expression(field.key_field, key, names) if field.key_field is not None else key
        values = _expression(field.value_field, value, names) if field.value_field is not None else value
        return (f"{{None if {key} is None else {keys}: None if {value} is None else {values} "
                f"for {key}, {value} in {var}.items()}}")
    if _is(field, fields.Integer, "_format_num") and type(field)._serialize is fields.Number._serialize:
        return f"str(int({var}))" if field.as_string else f"int({var})"
    if _is(field, fields.String):
        return f"({var} if {var}.__class__ is str else str({var}))"
    if type(field)._serialize is fields.Field._serialize:  # Boolean and plain Field: the value itself
        return var
    # creditsvc's own fields, written out: a bound method called with three arguments costs as much
    if type(field)._serialize is Timestamp._serialize:
        names["utc_text"] = utc_text
        return f"utc_text({var})"
    if type(field)._serialize is Amount._serialize:
        return f'format({var}, "f")'
    if type(field)._serialize is StrictDecimal._serialize:
        names["decimal_str"], names["Decimal"] = decimal_str, Decimal
        return f"decimal_str({var} if {var}.__class__ is Decimal else Decimal({var}))"
    names[f"serialize{label}"] = field._serialize
    return f"serialize{label}({var}, None, obj)"


def _steps(schema_fields: Mapping[str, fields.Field], compile_field: Callable) -> list[tuple[str, str, Any]]:
    """(wire key, attribute, compiled field) for each field."""
    steps = []
    for name, field in schema_fields.items():
        attribute = field.attribute or name
        if "." in attribute:
            raise TypeError(f"compiled schemas do not support dotted attributes ({attribute})")
        steps.append((field.data_key or name, attribute, compile_field(field)))
    return steps


def compile_dump(schema: Schema) -> Callable[[Any], dict]:
    """A function equal to `schema.dump` for one object (not many): the schema's fields written out
    as one function per schema (a loop over them, calling a converter per value, cost twice as much)."""
    if schema.many or schema.only or schema.exclude:
        raise TypeError("compile_dump compiles a whole schema for one object")
    if schema._hooks.get("pre_dump") or schema._hooks.get("post_dump"):
        raise TypeError(f"compile_dump does not support dump hooks ({type(schema).__name__})")
    names: dict[str, Any] = {"ABSENT": _ABSENT}
    steps = _steps(schema.dump_fields, lambda field: _expression(field, "value", names))
    source = []
    for kind, fetch in (("mapping", "obj.get({attribute!r}, ABSENT)"), ("object", "getattr(obj, {attribute!r}, ABSENT)")):
        source.append(f"def from_{kind}(obj):\n    out = {{}}")
        for key, attribute, expression in steps:
            source.append(f"    value = {fetch.format(attribute=attribute)}\n"
                          f"    if value is not ABSENT:\n"
                          f"        out[{key!r}] = None if value is None else {expression}")
        source.append("    return out")
    exec(compile("\n".join(source), f"<compiled dump {type(schema).__name__}>", "exec"), names)  # noqa: S102
    from_mapping, from_object = names["from_mapping"], names["from_object"]
    kinds: dict[type, Callable[[Any], dict]] = {}

    def dump(obj: Any) -> dict:
        road = kinds.get(obj.__class__)
        if road is None:  # isinstance of an ABC costs more than the dump of a small object: once a type
            road = kinds[obj.__class__] = from_mapping if isinstance(obj, Mapping) else from_object
        return road(obj)

    return dump


class _HandOver(Exception):
    """The compiled load met something it leaves to marshmallow."""


def _field_loader(field: fields.Field) -> Callable[[Any, str, Mapping], Any]:
    """(raw value or `missing`, key, raw mapping) -> loaded value; ValidationError or _HandOver on doubt."""
    if field.pre_load or field.post_load:
        raise TypeError(f"compile_load does not support field processors ({field!r})")
    if isinstance(field, fields.Nested) and type(field)._deserialize is fields.Nested._deserialize:
        if field.many or field.schema.many or field.schema.only or field.schema.exclude:
            raise TypeError(f"compile_load does not support many/only/exclude on Nested ({field!r})")
        inner = _compile_load(field.schema, field.unknown or field.schema.unknown)

        def load_nested(value, key, data):
            if value is missing or value is None:
                return field.deserialize(value, key, data)  # load_default, required, allow_none
            result = inner(value)
            field._validate(result)
            return result

        return load_nested
    if isinstance(field, fields.List) and type(field)._deserialize is fields.List._deserialize:
        item = _field_loader(field.inner)

        def load_list(value, key, data):
            if value is missing or value is None:
                return field.deserialize(value, key, data)
            if type(value) is not list:
                raise _HandOver
            result = [item(each, key, data) for each in value]
            field._validate(result)
            return result

        return load_list
    deserialize, validators = field._deserialize, tuple(field.validators)

    def load_value(value, key, data):
        # Field.deserialize without building an And() of the validators per value (a third of its cost)
        if value is missing or value is None:
            return field.deserialize(value, key, data)  # load_default, required, allow_none
        result = deserialize(value, key, data)
        for validator in validators:
            validator(result)  # marshmallow 4: a validator raises; what it returns is ignored
        return result

    return load_value


def _compile_load(schema: Schema, unknown: str) -> Callable[[Any], Any]:
    hooks = schema._hooks
    if hooks.get("pre_load") or hooks.get("validates"):
        raise TypeError(f"compile_load does not support pre_load or field validators ({type(schema).__name__})")
    if unknown == INCLUDE:
        raise TypeError(f"compile_load does not support unknown=INCLUDE ({type(schema).__name__})")
    for tag in ("validates_schema", "post_load"):
        if any(many for _, many, _ in hooks.get(tag, ())):
            raise TypeError(f"compile_load does not support pass_collection hooks ({type(schema).__name__})")
    validators = [(getattr(schema, name), options.get("pass_original", False))
                  for name, _, options in hooks.get("validates_schema", ())]
    processors = [(getattr(schema, name), options.get("pass_original", False))
                  for name, _, options in hooks.get("post_load", ())]
    steps = _steps(schema.load_fields, _field_loader)
    known = frozenset(key for key, _, _ in steps)
    refuse_unknown = unknown != EXCLUDE
    dict_class = schema.dict_class

    def load(data):
        if not isinstance(data, Mapping) or (refuse_unknown and not known.issuperset(data)):
            raise _HandOver
        result = dict_class()
        for key, attribute, load_value in steps:
            value = load_value(data.get(key, missing), key, data)
            if value is not missing:
                result[attribute] = value
        for validator, original in validators:
            if original:
                validator(result, data, partial=None, many=False, unknown=unknown)
            else:
                validator(result, partial=None, many=False, unknown=unknown)
        for processor, original in processors:
            if original:
                result = processor(result, data, many=False, partial=None, unknown=unknown)
            else:
                result = processor(result, many=False, partial=None, unknown=unknown)
        return result

    return load


def compile_load(schema: Schema) -> Callable[[Any], Any]:
    """A function that loads one object as `schema.load` does, or raises (ValidationError or its own
    exception) where it leaves the work to `schema.load`. Use it through `CompiledLoad`."""
    if schema.many or schema.only or schema.exclude or schema.partial:
        raise TypeError("compile_load compiles a whole schema for one object")
    return _compile_load(schema, schema.unknown)


class CompiledLoad:
    """Schema mixin: `load(data)` takes the compiled road and hands over to marshmallow on doubt."""

    def load(self, data, *, many=None, partial=None, unknown=None):
        if many is None and partial is None and unknown in (None, self.unknown):
            compiled = self.__dict__.get("_compiled_load")
            if compiled is None:
                compiled = self.__dict__["_compiled_load"] = compile_load(self)
            try:
                return compiled(data)
            except Exception:  # noqa: BLE001 - a ValidationError, a _HandOver or a surprise: marshmallow decides
                pass
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def load_body(self, body: bytes):
        """What `load(jsonio.loads(body))` returns, by msgspec's road (fastload.py); HandOver where
        that road is unsure. Only for a schema that refuses unknown fields, as request bodies do."""
        compiled = self.__dict__.get("_body_load")
        if compiled is None:
            try:
                compiled = compile_json_load(self)
            except TypeError:  # a schema that road cannot load alike (unknown=EXCLUDE, hooks, ...)
                compiled = _NOT_COMPILED
            self.__dict__["_body_load"] = compiled
        if compiled is _NOT_COMPILED:
            raise HandOver
        return compiled(body)


_NOT_COMPILED = object()  # a schema compile_json_load refuses takes the ordinary road, every time
