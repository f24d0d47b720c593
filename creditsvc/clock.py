"""The service's one clock. Every "now" - a statement's default as_of, an open incident's end so far,
issued_at, stored_at, the claim window and which termination rights are still open - is `now()`,
so the tests run on a fixed day instead of on whatever day they run."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """This instant in UTC, in whole seconds (durations are exact seconds, rules.md §2)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
