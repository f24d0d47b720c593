"""`@frozen`: the calculators' frozen dataclass, with an __init__ that fills the instance's __dict__.

`dataclass(frozen=True)` sets every field in __init__ through `object.__setattr__`, to get past the
frozen `__setattr__`: building one then costs five times what a plain class costs, ~1.6 µs for ten
fields, and a typical month's statement builds some 160 of them. The class `frozen` returns is the
dataclass exactly as `dataclass(frozen=True)` makes it - the same fields, signature, defaults and
default factories, __post_init__, eq, hash and repr, and setting an attribute still raises
FrozenInstanceError - except that its __init__ stores the values in `self.__dict__` directly.
tests/calculators/test_frozen.py builds each calculator class both ways and compares.
"""
from __future__ import annotations

import dataclasses


def frozen(cls: type) -> type:
    cls = dataclasses.dataclass(frozen=True)(cls)
    fields = dataclasses.fields(cls)
    if any(field.kw_only for field in fields) or "__slots__" in cls.__dict__:
        raise TypeError(f"@frozen does not support keyword-only fields or slots ({cls.__name__})")
    if any(field.name.startswith("_frozen_") or hasattr(type(cls.__dict__.get(field.name)), "__set__")
           for field in fields):
        return cls  # a name the generated code uses, or a descriptor field: dataclasses' own __init__
    names: dict[str, object] = {"_frozen_no_value": object()}
    params, stores, factories = [], [], []
    for index, field in enumerate(fields):
        if field.default is not dataclasses.MISSING:
            names[f"_frozen_default{index}"] = field.default
            value = f"_frozen_default{index}"
        elif field.default_factory is not dataclasses.MISSING:
            names[f"_frozen_factory{index}"] = field.default_factory
            value = "_frozen_no_value"
            factories.append(f"    if {field.name} is _frozen_no_value: {field.name} = _frozen_factory{index}()"
                             if field.init else f"    {field.name} = _frozen_factory{index}()")
        else:
            value = None
        if field.init:
            params.append(field.name if value is None else f"{field.name}={value}")
        elif value != "_frozen_no_value":
            continue  # dataclasses leave it to the class attribute, and so does this
        stores.append(f"    _frozen_values[{field.name!r}] = {field.name}")
    lines = [f"def __init__(_frozen_self, {', '.join(params)}):", *factories,
             "    _frozen_values = _frozen_self.__dict__", *stores]
    if hasattr(cls, "__post_init__"):
        lines.append("    _frozen_self.__post_init__()")
    exec("\n".join(lines), names)  # noqa: S102 - the class's own field names only
    init = names["__init__"]
    init.__qualname__, init.__module__ = f"{cls.__qualname__}.__init__", cls.__module__
    if _call(init) != _call(cls.__init__):  # the same call as dataclasses' own, or none at all
        raise TypeError(f"@frozen would change how {cls.__name__} is called")
    cls.__init__ = init
    return cls


def _call(init) -> tuple[tuple[str, ...], int]:
    """The parameter names of an __init__ after `self`, and how many of them have a default."""
    code = init.__code__
    return code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount], len(init.__defaults__ or ())
