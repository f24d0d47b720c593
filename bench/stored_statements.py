"""Statements of 10,000 stored contracts x 10 incidents on PostgreSQL (issue 3). Prints; asserts nothing.

    python bench/stored_statements.py [postgresql+psycopg://postgres@127.0.0.1:5432/creditsvc_bench]

The database is emptied and filled by this script: never point it at one that matters.
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from creditsvc import db
from creditsvc.canonical import digest, plain
from creditsvc.db import models
from creditsvc.policies import resolve

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/creditsvc_bench"
CONTRACTS, INCIDENTS = 10_000, 10


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def fill(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as connection:
        for table in reversed(models.Base.metadata.sorted_tables):
            connection.execute(table.delete())
    document, _ = resolve({"template": "3cx-vn"})
    policy_document = plain(document)
    now = datetime.now(timezone.utc)
    contracts, incidents = [], []
    for k in range(CONTRACTS):
        cid = f"bench-{k:05d}"
        contracts.append(dict(
            id=cid, created_at=now, updated_at=now, currency="VND", timezone="Asia/Ho_Chi_Minh",
            policy_document=policy_document, policy_version=digest(policy_document),
            document={"id": cid, "customer": {"name": f"Khách hàng {k}", "address": None, "tax_id": None,
                                              "email": None},
                      "currency": "VND", "locale": "vi", "timezone": "Asia/Ho_Chi_Minh",
                      "fee": {"amount": "20000000", "per": "month"}, "starts_on": "2026-01-01", "ends_on": None,
                      "support_agreement": None, "delivery": None, "policy": {"template": "3cx-vn"}}))
        for j in range(INCIDENTS):
            start = datetime(2026, 9, 1 + j * 2, 2, tzinfo=timezone.utc) + timedelta(minutes=k % 300)
            incidents.append(dict(contract_id=cid, id=f"i{j}", started_at=start,
                                  ended_at=start + timedelta(minutes=20 + (k + j) % 90), severity="major",
                                  cause=("provider", "third_party", "isp")[j % 3], notice_given_at=None,
                                  description="", content_hash="bench", created_at=now, updated_at=now))
    with Session(engine) as session:
        session.execute(insert(models.Contract), contracts)
        for first in range(0, len(incidents), 20_000):
            session.execute(insert(models.Incident), incidents[first:first + 20_000])
        session.commit()
    engine.dispose()


def main(url: str = DEFAULT_URL) -> float:
    ensure_database(url)
    db.upgrade(url)
    fill(url)
    from creditsvc.services.statements import statements_for_period

    engine = db.make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        totals = [statement.credit_total for _, statement in
                  statements_for_period(session, "2026-09", datetime(2026, 11, 1, tzinfo=timezone.utc))
                  if not isinstance(statement, Exception)]
        elapsed = time.perf_counter() - started
    engine.dispose()
    assert len(totals) == CONTRACTS
    print(f"statements of {CONTRACTS:,} stored contracts x {INCIDENTS} incidents on PostgreSQL: {elapsed:.1f} s "
          f"({CONTRACTS / elapsed:,.0f}/s; target <= 60 s); {sum(1 for t in totals if t)} owe a credit")
    return elapsed


if __name__ == "__main__":
    main(*sys.argv[1:])
