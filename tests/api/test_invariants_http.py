"""Invariants over HTTP (rules.md §2-§7): the same records, listed in any order and with their
timestamps written in any offset, give the same statement - calculated, or stored and read back."""
import copy
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from typical_month import calculation_body  # noqa: E402  (the body only: no benchmark runs)

RECORD_KINDS = ("incidents", "support_cases", "tickets", "bug_occurrences")
TIMESTAMP_KEYS = {"started_at", "ended_at", "notice_given_at", "occurred_at", "opened_at", "confirmed_at",
                  "first_response_at", "resolved_at", "start", "end"}


def written_in(text, minutes, utc_as_z):
    moment = datetime.fromisoformat(text).astimezone(timezone(timedelta(minutes=minutes)))
    out = moment.isoformat()
    return out.replace("+00:00", "Z") if utc_as_z and minutes == 0 else out


def rewrite(node, draw_minutes, utc_as_z):
    """Every timestamp of the records, written again in an offset `draw_minutes()` picks."""
    if isinstance(node, dict):
        return {k: (written_in(v, draw_minutes(), utc_as_z) if k in TIMESTAMP_KEYS and isinstance(v, str)
                    else rewrite(v, draw_minutes, utc_as_z)) for k, v in node.items()}
    if isinstance(node, list):
        return [rewrite(v, draw_minutes, utc_as_z) for v in node]
    return node


def reordered(body, seed, offsets, utc_as_z):
    rnd = random.Random(seed)
    out = copy.deepcopy(body)
    for kind in RECORD_KINDS:
        items = [rewrite(item, lambda: rnd.choice(offsets), utc_as_z) for item in out[kind]]
        rnd.shuffle(items)
        for item in items:
            if "pauses" in item:
                rnd.shuffle(item["pauses"])
        out[kind] = items
    return out


offset_lists = st.lists(st.integers(-23 * 60 - 59, 23 * 60 + 59) | st.sampled_from([0, 420, 345, -600]),
                        min_size=1, max_size=4)
HTTP = settings(max_examples=15, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HTTP
@given(seed=st.integers(0, 2**32), offsets=offset_lists, utc_as_z=st.booleans())
def test_rules_2_a_calculation_does_not_depend_on_the_order_of_its_records_nor_the_offsets_they_are_written_in(
        client, seed, offsets, utc_as_z):
    body = calculation_body()
    expected = client.post("/v1/calculations", json=body)
    assert expected.status_code == 200, expected.json
    response = client.post("/v1/calculations", json=reordered(body, seed, offsets, utc_as_z))
    assert response.status_code == 200, response.json
    assert response.json == expected.json


@HTTP
@given(seed=st.integers(0, 2**32), offsets=offset_lists)
def test_rules_2_stored_records_posted_in_any_order_and_offset_give_the_statement_the_calculation_gives(
        client, seed, offsets):
    body = calculation_body()
    contract_id = f"inv-{seed}-{len(offsets)}-{offsets[0]}"
    body["contract"]["id"] = contract_id
    if client.get(f"/v1/contracts/{contract_id}").status_code == 200:
        return  # this example ran already against this database
    assert client.put(f"/v1/contracts/{contract_id}", json=body["contract"]).status_code == 201
    sent = reordered(body, seed, offsets, True)
    rnd = random.Random(seed)
    for kind in rnd.sample(RECORD_KINDS, len(RECORD_KINDS)):
        url = f"/v1/contracts/{contract_id}/{kind.replace('_', '-')}"
        for item in sent[kind]:  # one at a time, in the shuffled order
            response = client.post(url, json=item)
            assert response.status_code == 201, (kind, response.json)
    calculated = client.post("/v1/calculations", json=body).json
    stored = client.get(f"/v1/contracts/{contract_id}/statements/2026-09?as_of={body['as_of']}").json
    assert stored == calculated
