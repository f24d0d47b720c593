"""Every file in examples/ (the README's tour) is accepted, and gives the statement it is there to show."""
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {
    # template: (period, {dotted path in the statement: value})
    "3cx-vn": ("2026-09", {"uptime.uptime_percent": "99.6527", "credit_total": "400000"}),
    "1office": ("2026-09", {"outage_credit.credit_amount": "400000", "repeat_bug_fines.total": "1500000",
                            "credit_total": "1900000"}),
    "hvn": ("2026-10", {"uptime.credit_percent": "25", "credit_total": "300000", "uptime.excluded_seconds": 7200}),
    "oneoffice-dk": ("2026-10", {"support.subtotal": "1983.30", "support.total": "2479.13"}),
    "phanmemvang": ("2026-09", {"tickets.compliance.incident": "100"}),
}


def test_there_is_one_example_per_builtin_template():
    from creditsvc.policies import TEMPLATE_NAMES

    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == sorted(TEMPLATE_NAMES)


@pytest.mark.parametrize("template", sorted(EXPECTED))
def test_each_example_loads_through_the_api_and_gives_its_statement(client, template):
    folder = EXAMPLES / template
    contract = json.loads((folder / "contract.json").read_text("utf-8"))
    assert contract["policy"]["template"] == template
    assert client.put(f"/v1/contracts/{contract['id']}", json=contract).status_code == 201
    for records in sorted(folder.glob("*.json")):
        if records.name != "contract.json":
            response = client.post(f"/v1/contracts/{contract['id']}/{records.stem}",
                                   json=json.loads(records.read_text("utf-8")))
            assert response.status_code == 201, (records, response.json)
    period, expected = EXPECTED[template]
    statement = client.get(f"/v1/contracts/{contract['id']}/statements/{period}").json
    for path, value in expected.items():
        node = statement
        for key in path.split("."):
            node = node[key]
        assert node == value, path
