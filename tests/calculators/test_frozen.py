"""@frozen classes are the dataclasses dataclasses would make, built faster (calculators/frozen.py)."""
import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import creditsvc.calculators as calculators
from creditsvc.calculators.frozen import frozen
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX
from creditsvc.calculators.statement import compute_statement
from creditsvc.schemas.calculation import CalculationRequestSchema


def calculator_dataclasses():
    for module in pkgutil.iter_modules(calculators.__path__):
        namespace = vars(importlib.import_module(f"creditsvc.calculators.{module.name}"))
        for value in namespace.values():
            if inspect.isclass(value) and dataclasses.is_dataclass(value) and value.__module__ == namespace["__name__"]:
                yield value


def objects_of(statement, seen=None):
    """Every dataclass instance reachable from a statement."""
    seen = seen if seen is not None else []
    if dataclasses.is_dataclass(statement) and not isinstance(statement, type):
        seen.append(statement)
        for field in dataclasses.fields(statement):
            objects_of(getattr(statement, field.name), seen)
    elif isinstance(statement, (list, tuple)):
        for item in statement:
            objects_of(item, seen)
    elif isinstance(statement, dict):
        for item in statement.values():
            objects_of(item, seen)
    return seen


def reference(cls):
    """The class as dataclasses itself makes it, from the same fields and methods."""
    specs = []
    for f in dataclasses.fields(cls):
        options = {"init": f.init, "repr": f.repr, "compare": f.compare, "hash": f.hash}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    methods = {k: v for k, v in vars(cls).items() if k == "__post_init__" or isinstance(v, property)}
    return dataclasses.make_dataclass(cls.__name__, specs, namespace=methods, frozen=True)


def test_every_calculator_dataclass_is_frozen():
    classes = list(calculator_dataclasses())
    assert len(classes) > 25
    for cls in classes:
        assert cls.__dataclass_params__.frozen, cls


@pytest.mark.parametrize("body", [SEPTEMBER_3CX, OCTOBER_DK], ids=["3cx", "dk"])
def test_every_object_of_a_statement_equals_the_one_dataclasses_would_build(body):
    request = CalculationRequestSchema().load({**body, "as_of": "2026-11-01T00:00:00Z"})
    objects = objects_of(compute_statement(request)) + objects_of(request)
    assert len({type(o) for o in objects}) >= 10
    for obj in objects:
        cls = type(obj)
        values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
        rebuilt, theirs = cls(**values), reference(cls)(**values)
        assert rebuilt == obj
        try:
            expected = hash(theirs)
        except TypeError:  # a field holds a dict: unhashable, ours as much as theirs
            with pytest.raises(TypeError):
                hash(rebuilt)
        else:
            assert hash(rebuilt) == expected
        assert vars(rebuilt) == vars(theirs) and repr(rebuilt) == repr(theirs).replace(type(theirs).__qualname__,
                                                                                        cls.__qualname__)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(rebuilt, dataclasses.fields(obj)[0].name, None)


def test_defaults_factories_post_init_and_positional_calls_behave_as_in_dataclasses():
    calls = []

    def definition():
        class Thing:
            a: int
            b: str = "b"
            c: list = dataclasses.field(default_factory=lambda: ["fresh"])
            d: int = dataclasses.field(default=4, init=False)
            e: list = dataclasses.field(default_factory=list, init=False)

            def __post_init__(self):
                calls.append(self.a)
                if self.a < 0:
                    raise ValueError("negative")

        return Thing

    ours, theirs = frozen(definition()), dataclasses.dataclass(frozen=True)(definition())
    for args, kwargs in (((1,), {}), ((1, "x"), {}), ((1,), {"c": [2]}), ((), {"a": 3, "b": "y", "c": []})):
        assert vars(ours(*args, **kwargs)) == vars(theirs(*args, **kwargs))
    assert ours(1).c is not ours(1).c  # a new list from the factory each time
    with pytest.raises(ValueError):
        ours(-1)
    with pytest.raises(TypeError):
        ours()
    with pytest.raises(TypeError):
        ours(1, d=5)
    assert calls.count(1) == 8 and calls.count(3) == 2 and -1 in calls


def test_fields_named_like_the_generated_code_or_self_and_descriptor_defaults_behave_as_in_dataclasses():
    class Doubling:
        def __set_name__(self, owner, name):
            self.name = "_" + name

        def __get__(self, obj, owner=None):
            return 10 if obj is None else getattr(obj, self.name)

        def __set__(self, obj, value):
            object.__setattr__(obj, self.name, value * 2)

    def definitions():
        class Values:
            self: str
            values: tuple = ()
            _frozen_no_value: int = 0

        class Described:
            n: Doubling = Doubling()

        return Values, Described

    (values, described), (their_values, their_described) = (
        map(frozen, definitions()), map(dataclasses.dataclass(frozen=True), definitions()))
    assert vars(values("x", (1, 2))) == vars(their_values("x", (1, 2))) == {
        "self": "x", "values": (1, 2), "_frozen_no_value": 0}
    for args in ((), (3,)):
        assert vars(described(*args)) == vars(their_described(*args))
