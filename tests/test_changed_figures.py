"""credit_notes.changed_figures: the one question close-period's out-of-date check and a correction's
re-issue both ask of a note's frozen statement and the statement computed now."""
import copy

import pytest
from hypothesis import given, settings, strategies as st

from creditsvc.calculators.statement import compute_statement
from creditsvc.schemas.calculation import CalculationRequestSchema
from creditsvc.schemas.statement import dump_statement
from creditsvc.services.credit_notes import changed_figures
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX


def statement_of(body) -> dict:
    return dump_statement(compute_statement(CalculationRequestSchema().load(body)))


def leaves(value, path=()):
    """Every (path, value) of a JSON document's scalars."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))
    else:
        yield path, value


def ignored(path, statement) -> bool:
    """What `changed_figures` leaves out on purpose: the lines' descriptions, `uptime.capped`, and the
    running clock of a ticket target not met."""
    if path[0] == "lines" and path[-1] == "description" or path[:2] == ("uptime", "capped"):
        return True
    if path[0] == "tickets" and path[-1] == "elapsed_seconds":
        return statement["tickets"]["items"][path[2]][path[3]]["status"] != "met"
    return False


def copy_to(statement: dict, path: tuple) -> tuple[dict, dict | list]:
    """A deep copy of a statement, and in it the object or list that holds `path`'s last step."""
    copied = copy.deepcopy(statement)
    target = copied
    for key in path[:-1]:
        target = target[key]
    return copied, target


STATEMENTS = [statement_of(SEPTEMBER_3CX), statement_of(OCTOBER_DK)]
PATHS = [(k, path) for k, statement in enumerate(STATEMENTS) for path, value in leaves(statement)
         if path and value is not None]
OF_TYPE = {str: st.text(max_size=5), int: st.integers(), bool: st.booleans()}


@pytest.mark.parametrize("statement", STATEMENTS, ids=["3cx", "dk"])
def test_a_statement_has_no_changed_figures_against_itself(statement):
    assert changed_figures(statement, copy.deepcopy(statement)) == []


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), st.data())
def test_one_changed_value_names_its_part_unless_it_is_left_out_on_purpose(where, data):
    # a value changed for another of its type: a statement computed now has the frozen one's shape
    k, path = where
    frozen = STATEMENTS[k]
    now, target = copy_to(frozen, path)
    old = target[path[-1]]
    target[path[-1]] = value = data.draw(OF_TYPE[type(old)])
    expected = [] if value == old or ignored(path, frozen) else [path[0]]
    assert changed_figures(frozen, now) == expected
    assert changed_figures(now, frozen) == expected  # either way round


def entries(value, path=()):
    """Every path to a key of a JSON document's objects, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,)
            yield from entries(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from entries(item, path + (index,))


KEYS = [(k, path) for k, statement in enumerate(STATEMENTS) for path in entries(statement)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KEYS))
def test_a_field_a_later_release_added_is_no_changed_figure_of_a_note_frozen_without_it(where):
    # Notes frozen before uptime's band_from_percent / band_to_percent, or a support line's description,
    # existed were called out of date by every close, and their correction re-issued the same figures.
    k, path = where
    now = STATEMENTS[k]
    older, target = copy_to(now, path)
    del target[path[-1]]
    assert changed_figures(older, now) == [], path
    # the other way round a field is missing now that the note has: that is a change
    assert changed_figures(now, older) == ([] if ignored(path, now) else [path[0]])
