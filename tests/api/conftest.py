import copy

import pytest

CONTRACT_3CX = {
    "id": "acme-3cx",
    "customer": {"name": "Công ty Cổ phần Đồng Tâm", "address": "968 Đường 3 tháng 2, Quận 11"},
    "currency": "VND",
    "locale": "vi",
    "timezone": "Asia/Ho_Chi_Minh",
    "fee": {"amount": "20000000", "per": "month"},
    "starts_on": "2026-01-01",
    "policy": {"template": "3cx-vn"},
}

# rules.md §3 worked example
SEPTEMBER_3CX = {
    "contract": CONTRACT_3CX,
    "period": "2026-09",
    "as_of": "2026-11-01T00:00:00Z",
    "incidents": [
        {"id": "inc-1", "started_at": "2026-09-10T09:00:00+07:00", "ended_at": "2026-09-10T11:30:00+07:00",
         "severity": "critical", "cause": "provider"},
        {"id": "inc-2", "started_at": "2026-09-12T01:00:00+07:00", "ended_at": "2026-09-12T03:00:00+07:00",
         "severity": "critical", "cause": "third_party", "description": "Datacenter outage"},
    ],
    "tickets": [
        {"id": "t-1", "priority": "P1", "opened_at": "2026-09-10T09:05:00+07:00",
         "resolved_at": "2026-09-10T09:30:00+07:00"},
    ],
}

CONTRACT_DK = {
    "id": "dk-support",
    "customer": {"name": "Ærø Økologiske Æbler ApS", "tax_id": "DK12345678"},
    "currency": "DKK",
    "locale": "da",
    "timezone": "Europe/Copenhagen",
    "fee": {"amount": "0", "per": "month"},
    "starts_on": "2026-01-01",
    "policy": {"template": "oneoffice-dk"},
}

# rules.md §6 worked examples, Tuesday 6 October 2026
OCTOBER_DK = {
    "contract": CONTRACT_DK,
    "period": "2026-10",
    "as_of": "2026-11-01T00:00:00Z",
    "support_cases": [
        {"id": "case-1", "started_at": "2026-10-06T10:00:00+02:00", "ended_at": "2026-10-06T10:07:00+02:00",
         "level": 1},
        {"id": "case-2", "started_at": "2026-10-06T15:30:00+02:00", "ended_at": "2026-10-06T16:30:00+02:00",
         "level": 2, "km": 40},
    ],
}


@pytest.fixture
def body_3cx():
    return copy.deepcopy(SEPTEMBER_3CX)


@pytest.fixture
def body_dk():
    return copy.deepcopy(OCTOBER_DK)
