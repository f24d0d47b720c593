"""Policies as data: templates reproduce their seeds, overrides merge deeply, errors name the field,
and a float anywhere is refused."""
import copy
import re
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditsvc.calculators.policy import Band
from creditsvc.policies import TEMPLATE_NAMES, PolicyError, deep_merge, load_policy, resolve, template_document
from creditsvc.schemas.calculation import CalculationRequestSchema
from marshmallow import ValidationError
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX

SEED_OF = {"1office": "000", "3cx-vn": "001", "hvn": "002", "oneoffice-dk": "003", "phanmemvang": "004"}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_builtin_template_loads_and_cites_its_seed_document(name):
    document, policy = resolve({"template": name})
    assert policy.name == name
    text = resources.files("creditsvc.policies").joinpath("templates", f"{name}.toml").read_text("utf-8")
    assert f"seeds/{SEED_OF[name]}" in text
    # every section of the template carries a comment citing its seed clause
    sections = re.split(r"^\[", text, flags=re.M)[1:]
    for section in sections:
        if not section.startswith("ticket_targets]"):
            assert "seed" in section, f"section [{section.splitlines()[0]} has no seed citation"


def test_the_3cx_template_has_the_six_bands_of_seed_001_with_termination_below_95_5():
    policy = resolve({"template": "3cx-vn"})[1]
    assert policy.uptime.commitment_percent == Decimal("99.8")
    assert sorted(policy.uptime.bands, key=lambda b: b.from_percent) == [
        Band(Decimal("0"), Decimal("25"), True), Band(Decimal("94.5"), Decimal("10"), True),
        Band(Decimal("95.5"), Decimal("6"), False), Band(Decimal("96.5"), Decimal("5"), False),
        Band(Decimal("97.5"), Decimal("3"), False), Band(Decimal("98.5"), Decimal("2"), False)]
    assert policy.uptime.excluded_causes == {"third_party", "customer"}
    assert policy.application.mode == "next_quarter" and policy.application.refund_days_on_termination == 5
    assert policy.ticket_targets.priorities["P4"].clock == "business"


def test_the_hvn_template_has_the_bands_and_exclusions_of_seed_002():
    policy = resolve({"template": "hvn"})[1]
    assert policy.uptime.commitment_percent == Decimal("99.9")
    assert {(b.from_percent, b.credit_percent) for b in policy.uptime.bands} == {
        (Decimal(0), Decimal(100)), (Decimal(95), Decimal(50)), (Decimal(99), Decimal(25))}
    assert policy.uptime.excluded_causes == {"maintenance", "force_majeure", "isp"}
    assert policy.application.mode == "account_credit" and policy.application.claim_window_months == 3


def test_the_oneoffice_template_has_the_danish_prices_of_seed_003():
    policy = resolve({"template": "oneoffice-dk"})[1]
    billing = policy.support_billing
    assert billing.rates == {"1": Decimal("800.00"), "2": Decimal("1095.00")}
    assert (billing.minimum_minutes, billing.free_minutes_with_agreement) == (15, 15)
    assert billing.mileage_rate == Decimal("3.52") and billing.vat_percent == Decimal(25)
    assert policy.business_hours.holidays == "DK"
    assert set(policy.ticket_targets.priorities) == {"high", "medium", "normal", "low"}


def test_the_1office_template_has_the_outage_and_fine_rules_of_seed_000():
    policy = resolve({"template": "1office"})[1]
    assert policy.outage_credit.block_hours == 2 and policy.outage_credit.days_per_block == Decimal("0.5")
    assert policy.repeat_bug_fines.base_amount == 500000 and policy.repeat_bug_fines.multiplier == 2
    assert policy.ticket_targets.clock_starts == "confirmed"
    assert policy.uptime is None


def test_overrides_merge_deeply_replace_lists_and_null_removes_a_section():
    document, policy = resolve({"template": "3cx-vn", "overrides": {
        "uptime": {"commitment_percent": "99.5", "bands": [{"from_percent": "0", "credit_percent": "7"}]},
        "ticket_targets": None}})
    assert policy.uptime.commitment_percent == Decimal("99.5")
    assert policy.uptime.bands == (Band(Decimal(0), Decimal(7), False),)
    assert policy.uptime.excluded_causes == {"third_party", "customer"}  # kept from the template
    assert policy.ticket_targets is None and "ticket_targets" not in document


def test_deep_merge_does_not_change_the_template():
    before = template_document("hvn")
    deep_merge(before, {"uptime": {"commitment_percent": "1"}})
    assert template_document("hvn") == before


@pytest.mark.parametrize("spec, field", [
    ({"template": "3cx-vn", "overrides": {"uptime": {"credit_cap_percent": "150"}}}, "overrides.uptime.credit_cap_percent"),
    ({"template": "3cx-vn", "overrides": {"uptime": {"bands": [{"from_percent": "5", "credit_percent": "1"}]}}},
     "overrides.uptime.bands"),
    ({"template": "3cx-vn", "overrides": {"uptime": {"bands": [{"from_percent": "0", "credit_percent": "1"},
                                                             {"from_percent": "99.9", "credit_percent": "1"}]}}},
     "overrides.uptime.bands"),
    ({"template": "hvn", "extra": 1}, "extra"),
    ({"template": "hvn", "overrides": []}, "overrides"),  # falsy, but not an object: was taken as {}
    ({"template": "hvn", "overrides": 0}, "overrides"),
    ({"template": "hvn", "overrides": ""}, "overrides"),
    ({"template": "hvn", "overrides": False}, "overrides"),
    ({"template": "1office", "overrides": {"outage_credit": {"rounding": "sometimes"}}}, "overrides.outage_credit.rounding"),
    ({"template": "1office", "overrides": {"ticket_targets": {"priorities": {"critical": {"response": "soon"}}}}},
     "overrides.ticket_targets.priorities.critical.response"),  # the body's path: no marshmallow "value" level
    ({"template": "1office", "overrides": {"ticket_targets": {"priorities": {"bad key!": {"response": "1h"}}}}},
     "overrides.ticket_targets.priorities.bad key!"),
    ({"template": "1office", "overrides": {"ticket_targets": {"priorities": {"key": {"response": "soon"}}}}},
     "overrides.ticket_targets.priorities.key.response"),  # an entry called "key" keeps its name
    ({"name": "full", "ticket_targets": {"priorities": {"P1": {"response": "1h", "resolution": "4h",
                                                              "clock": "sundial"}}}},
     "ticket_targets.priorities.P1.clock"),
    ({"template": "oneoffice-dk", "overrides": {"business_hours": {"start": "17:00"}}}, "overrides.business_hours.end"),
    ({"template": "oneoffice-dk", "overrides": {"business_hours": {"holidays": "ATLANTIS"}}},
     "overrides.business_hours.holidays"),
    # int() read all of these as 08:00 (or 00:00): a time of day is two ASCII digits, a colon, two more
    *[({"template": "oneoffice-dk", "overrides": {"business_hours": {"start": start}}}, "overrides.business_hours.start")
      for start in ("+8:00", "-0:00", " 8:00", "8 :00", "\u0660\u0668:\u0660\u0660", "08:+0", "8:00", "08:0")],
    # date.fromisoformat read 2026-W01-1 as 29 December 2025
    *[({"template": "oneoffice-dk", "overrides": {"business_hours": {"extra_closed_dates": [day]}}},
       "overrides.business_hours.extra_closed_dates.0") for day in ("2026-W01-1", "20260101", "2026-001")],
    ({"name": "bare"}, None),
    ({"currency": "VND"}, "name"),
])
def test_invalid_policies_are_refused_naming_the_field(spec, field):
    if field is None:
        assert resolve(spec)[1].name == "bare"  # a policy with no sections is valid and computes nothing
        return
    with pytest.raises(PolicyError) as caught:
        resolve(spec)
    assert field in caught.value.errors, caught.value.errors
    assert not any(".value." in name or name.endswith(".key") for name in caught.value.errors), caught.value.errors


def _numeric_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numeric_paths(value, prefix + (index,))
    elif isinstance(node, (Decimal, int)) and not isinstance(node, bool):
        yield prefix
    elif isinstance(node, str) and re.fullmatch(r"\d+(\.\d+)?", node):
        yield prefix


TEMPLATE_LEAVES = [(name, path) for name in TEMPLATE_NAMES for path in _numeric_paths(template_document(name))]


def _put(node, path, value):
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@settings(max_examples=100, deadline=None)
@given(leaf=st.sampled_from(TEMPLATE_LEAVES), value=st.floats(0, 100, allow_nan=False))
def test_a_float_at_any_numeric_field_of_a_policy_is_refused_naming_that_field(leaf, value):
    name, path = leaf
    document = template_document(name)
    _put(document, path, value)
    with pytest.raises(PolicyError) as caught:
        load_policy(document)
    assert ".".join(map(str, path)) in caught.value.errors


REQUEST_LEAVES = [(body, path) for body in (SEPTEMBER_3CX, OCTOBER_DK) for path in _numeric_paths(body)]


@settings(max_examples=60, deadline=None)
@given(leaf=st.sampled_from(REQUEST_LEAVES), value=st.floats(0, 1000, allow_nan=False))
def test_a_float_at_any_numeric_field_of_a_calculation_request_is_refused(leaf, value):
    body, path = leaf
    body = copy.deepcopy(body)
    _put(body, path, value)
    with pytest.raises(ValidationError) as caught:
        CalculationRequestSchema().load(body)
    # refused at that field, not for some other reason elsewhere in the body
    node = caught.value.messages
    for key in path:
        assert key in node, (path, caught.value.messages)
        node = node[key]
    assert node, (path, caught.value.messages)


def test_a_null_override_on_a_value_sets_it_to_null_while_on_an_object_it_removes_it():
    policy = resolve({"template": "3cx-vn", "overrides": {"business_hours": {"holidays": None}}})[1]
    assert policy.business_hours.holidays is None  # no public holidays, not the DK default
    policy = resolve({"template": "3cx-vn", "overrides": {"ticket_targets": {"priorities": {"P1": None}}}})[1]
    assert "P1" not in policy.ticket_targets.priorities and "P2" in policy.ticket_targets.priorities


@pytest.mark.parametrize("section", [{"repeat_bug_fines": {}}, {"support_billing": {}},
                                     {"ticket_targets": {"priorities": {"P1": {"response": "1h",
                                                                               "breach_credit": "5"}}}}])
def test_a_policy_stating_amounts_must_name_its_currency(section):
    with pytest.raises(PolicyError) as caught:
        load_policy({"name": "mine", **section})
    assert "currency" in caught.value.errors
    assert load_policy({"name": "mine", "currency": "DKK", **section}).currency == "DKK"


def test_absent_or_null_overrides_are_the_template_as_it_is():
    assert resolve({"template": "hvn"})[1] == resolve({"template": "hvn", "overrides": None})[1] == \
        resolve({"template": "hvn", "overrides": {}})[1]


@pytest.mark.parametrize("spec, field", [
    ({"name": "mine", "currency": "DKK", "repeat_bug_fines": {}}, "repeat_bug_fines.base_amount"),
    ({"template": "oneoffice-dk", "overrides": {"repeat_bug_fines": {}}}, "overrides.repeat_bug_fines.base_amount"),
    ({"template": "3cx-vn", "overrides": {"support_billing": {}}}, "overrides.support_billing.rates"),
    ({"template": "3cx-vn", "overrides": {"support_billing": {"rates": {"1": "300000", "2": "450000"}}}},
     "overrides.support_billing.mileage_rate"),
])
def test_a_default_amount_is_refused_in_another_currency_than_its_own(spec, field):
    # rules.md §5 and §6: the defaults are 500,000 VND, 800 and 1,095 DKK and 3.52 DKK/km; a DKK policy
    # fined 500,000 DKK and a VND one billed 800 VND an hour
    with pytest.raises(PolicyError) as caught:
        resolve(spec)
    assert field in caught.value.errors


@pytest.mark.parametrize("template, currency, fields", [
    ("1office", "DKK", {"overrides.repeat_bug_fines.base_amount"}),
    ("oneoffice-dk", "EUR", {"overrides.support_billing.rates.1", "overrides.support_billing.rates.2",
                             "overrides.support_billing.mileage_rate"}),
])
def test_a_templates_amounts_are_refused_under_another_currency_until_restated(template, currency, fields):
    with pytest.raises(PolicyError) as caught:
        resolve({"template": template, "overrides": {"currency": currency}})
    assert set(caught.value.errors) == fields
    restated = {"repeat_bug_fines": {"base_amount": "70"}} if template == "1office" else \
        {"support_billing": {"rates": {"1": "100", "2": "150"}, "mileage_rate": "0.5"}}
    assert resolve({"template": template, "overrides": {"currency": currency, **restated}})[1].currency == currency


def test_a_stored_policy_with_a_default_amount_in_another_currency_still_reads():
    from creditsvc.policies import load_stored_policy
    assert load_stored_policy({"name": "mine", "currency": "DKK", "repeat_bug_fines": {}}).repeat_bug_fines \
        .base_amount == Decimal(500000)


@pytest.mark.parametrize("overrides, field", [
    ({"repeat_bug_fines": {"max_fine": "100.5"}}, "overrides.repeat_bug_fines.max_fine"),
    ({"repeat_bug_fines": {"base_amount": "0.5"}}, "overrides.repeat_bug_fines.base_amount"),
    ({"ticket_targets": {"priorities": {"critical": {"breach_credit": "1000.5"}}}},
     "overrides.ticket_targets.priorities.critical.breach_credit"),
])
def test_a_credited_amount_has_at_most_its_currencys_decimals(overrides, field):
    # as a contract's fee: a max_fine of 100.5 VND let fines of 101 VND through, rounded half up
    with pytest.raises(PolicyError) as caught:
        resolve({"template": "1office", "overrides": overrides})
    assert set(caught.value.errors) == {field}
    dkk = resolve({"template": "oneoffice-dk", "overrides": {"repeat_bug_fines": {"base_amount": "10.50",
                                                                                   "max_fine": "100.5000"}}})[1]
    assert dkk.repeat_bug_fines.max_fine == Decimal("100.5")


def test_a_band_edge_or_commitment_has_at_most_the_four_decimals_uptime_percent_shows():
    # rules.md §1: the shown uptime never contradicts its band. 99.000077 % fell in a band from
    # 99.00005 and showed "99.0000", below the band it was credited by.
    bands = [{"from_percent": "0", "credit_percent": "25"}, {"from_percent": "99.00005", "credit_percent": "2"}]
    with pytest.raises(PolicyError) as caught:
        resolve({"template": "3cx-vn", "overrides": {"uptime": {"bands": bands, "commitment_percent": "99.80005"}}})
    assert set(caught.value.errors) == {"overrides.uptime.bands.1.from_percent", "overrides.uptime.commitment_percent"}
    bands[1]["from_percent"], bands[0]["credit_percent"] = "99.0001", "25.123456"  # a credit may have 6
    assert resolve({"template": "3cx-vn", "overrides": {"uptime": {"bands": bands}}})[1].uptime.bands[1] \
        .from_percent == Decimal("99.0001")


def test_an_error_of_a_priority_called_schema_names_that_priority():
    # marshmallow keys a schema's own errors "_schema"; a priority of that name lost its name in the path
    with pytest.raises(PolicyError) as caught:
        resolve({"template": "3cx-vn",
                 "overrides": {"ticket_targets": {"priorities": {"_schema": {"resolution": "1x"}}}}})
    assert set(caught.value.errors) == {"overrides.ticket_targets.priorities._schema.resolution"}


def test_a_lower_band_credits_no_less_and_keeps_the_termination_right_of_the_band_above():
    # design.md: credit never decreases as downtime grows. Bands [{0: 2 %}, {95: 50 %}] credited half the
    # fee at 96.25 % uptime and 2 % at 93.33 %.
    bands = [{"from_percent": "95", "credit_percent": "50", "termination_right": True},
             {"from_percent": "0", "credit_percent": "2"}]
    with pytest.raises(PolicyError) as caught:
        resolve({"template": "3cx-vn", "overrides": {"uptime": {"bands": bands}}})
    assert set(caught.value.errors) == {"overrides.uptime.bands.1.credit_percent",
                                        "overrides.uptime.bands.1.termination_right"}
    bands[1].update(credit_percent="50", termination_right=True)  # equal credits and rights are fine
    assert [band.credit_percent for band in resolve({"name": "full", "currency": "VND", "uptime": {
        "commitment_percent": "99", "bands": bands}})[1].uptime.bands] == [Decimal(50), Decimal(50)]


def test_every_template_credits_more_as_uptime_falls():
    for name in TEMPLATE_NAMES:
        uptime = resolve({"template": name})[1].uptime
        if uptime is None:
            continue
        bands = sorted(uptime.bands, key=lambda band: band.from_percent)
        assert all(low.credit_percent >= high.credit_percent for low, high in zip(bands, bands[1:])), name


def test_a_policy_nested_as_deep_as_python_recurses_is_a_policy_error_as_sent_and_as_stored():
    # resolve_as_stored (a PUT that might repeat stored terms) had no guard: its RecursionError was a 500
    # for every PUT whose policy nested ~500 deep; resolve's guard (_typed) missed a spec one level short.
    import sys

    from creditsvc.policies import resolve_as_stored

    def nested(depth):
        value = {"x": 1}
        for _ in range(depth):
            value = {"a": value}
        return value

    half = sys.getrecursionlimit() // 2
    for depth in range(half - 150, half + 10):  # wherever this test's stack puts the limit
        for spec in ({"template": "3cx-vn", "overrides": {"uptime": nested(depth)}}, {"name": "x", "uptime": nested(depth)}):
            for road in (resolve, resolve_as_stored):
                with pytest.raises(PolicyError):
                    road(spec)


def test_a_large_spec_resolves_alike_and_is_not_kept(monkeypatch):
    """A spec over 64 KiB is resolved as any other, and not cached: 512 such, ~31 MiB each with the copy
    and the Policy (300,000 closed dates, before they were held to 1,000), held 16 GB per worker. The
    limit is lowered here to what 1,000 closed dates take."""
    from creditsvc import policies

    monkeypatch.setattr(policies, "_CACHED_SPEC_CHARS", 8 * 1024)
    days = [(date(2000, 1, 1) + timedelta(days=k)).isoformat() for k in range(1_000)]
    spec = {"template": "oneoffice-dk", "overrides": {"business_hours": {"extra_closed_dates": days}}}
    small = {"template": "oneoffice-dk", "overrides": {"business_hours": {"extra_closed_dates": days[:3]}}}
    before = len(policies._cache)
    document, policy = policies.resolve(spec)
    assert len(policies._cache) == before
    assert policies.resolve(spec) == (document, policy)
    assert document["business_hours"]["extra_closed_dates"] == days
    assert policy.business_hours.extra_closed_dates == frozenset(date.fromisoformat(d) for d in days)
    assert policies._resolve(spec) == (document, policy)  # what the cache would have held
    policies.resolve(small)
    assert len(policies._cache) == before + 1 or before >= 511


def _closed(count: int, start: date = date(2026, 1, 1)) -> list[str]:
    return [(start + timedelta(days=k)).isoformat() for k in range(count)]


def test_a_calendar_names_at_most_1000_closed_dates_and_each_date_and_day_once():
    # 300,000 dates (4 MB) were taken: each contract holding them kept 12-15 MiB in the stored-policy
    # cache and cost every statement ten times the time
    from creditsvc.policies import load_stored_policy, resolve_as_stored

    def refused(hours):
        with pytest.raises(PolicyError) as caught:
            resolve({"template": "oneoffice-dk", "overrides": {"business_hours": hours}})
        return caught.value.errors

    assert len(resolve({"template": "oneoffice-dk", "overrides": {"business_hours": {
        "extra_closed_dates": _closed(1000)}}})[1].business_hours.extra_closed_dates) == 1000
    assert refused({"extra_closed_dates": _closed(1001)}) == {
        "overrides.business_hours.extra_closed_dates": ["At most 1,000 dates."]}
    assert refused({"extra_closed_dates": ["2026-12-24", "2026-12-31", "2026-12-24"]}) == {
        "overrides.business_hours.extra_closed_dates": ["Each date once: 2026-12-24 is given twice."]}
    assert refused({"weekdays": ["mon", "tue", "mon"]}) == {
        "overrides.business_hours.weekdays": ["Each day once: mon is given twice."]}
    # a policy stored before the rule still reads, and still repeats as stored
    stored = {**template_document("oneoffice-dk"), "business_hours": {"extra_closed_dates": _closed(1001) + ["2026-01-01"]}}
    assert len(load_stored_policy(stored).business_hours.extra_closed_dates) == 1001
    assert len(resolve_as_stored(stored)[1].business_hours.extra_closed_dates) == 1001
