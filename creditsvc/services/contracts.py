"""Contracts: create or replace terms idempotently, and read them back as calculator inputs."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..calculators import records
from ..calculators.records import zone_named
from ..canonical import canonical_json, digest, plain
from ..calculators.errors import DomainError
from ..calculators.money import AmountOverflow
from ..db.models import Contract as ContractRow
from ..db.models import CreditNote, Ticket
from ..policies import load_stored_policy
from ..schemas.contract import CONTRACT_ID, ContractSchema
from .errors import Conflict, NotFound
from .fine_limits import months_too_large


def _document(loaded: dict[str, Any]) -> dict[str, Any]:
    """A loaded contract as it is stored (and returned): what two PUTs are compared by."""
    return plain(ContractSchema().dump(loaded))


def stored_unchanged(session: Session, loaded: dict[str, Any]) -> ContractRow | None:
    """The stored contract when `loaded` repeats its terms exactly; None when it is not stored or differs."""
    row = session.get(ContractRow, loaded["id"]) if CONTRACT_ID.regex.fullmatch(loaded["id"]) else None
    return row if row is not None and canonical_json(row.document) == canonical_json(_document(loaded)) else None


def put_contract(session: Session, loaded: dict[str, Any]) -> tuple[ContractRow, bool, bool]:
    """Store a validated contract. Returns (row, created, changed)."""
    document = _document(loaded)
    policy_document = plain(loaded["policy"]["document"])
    now = clock.now()
    row = session.get(ContractRow, loaded["id"], with_for_update=True)
    if row is not None and canonical_json(row.document) == canonical_json(document):
        session.rollback()
        return row, False, False
    _check_stored_tickets(session, loaded)
    _check_stored_fines(session, loaded)
    if row is not None and row.currency != loaded["currency"]:
        _check_no_live_notes(session, row)
    created = row is None
    if created:
        row = ContractRow(id=loaded["id"], created_at=now)
        session.add(row)
    row.document = document
    row.policy_document = policy_document
    row.policy_version = digest(policy_document)
    row.currency = loaded["currency"]
    row.timezone = loaded["timezone"]
    row.updated_at = now
    try:
        session.commit()
    except IntegrityError:  # a concurrent PUT created it first: compare with theirs
        session.rollback()
        return put_contract(session, loaded)
    return row, created, True


def get_contract_row(session: Session, contract_id: str, *, lock: bool = False) -> ContractRow:
    """The contract's row; `lock` holds it (FOR UPDATE) until the transaction ends, so writing records
    and issuing a note for one contract never interleave (rules.md §11). A locked row is read afresh:
    the session may hold it from before the lock, as it was before a PUT that committed since."""
    # An id no contract can have (say with a NUL, which PostgreSQL refuses to compare) is not looked up.
    row = session.get(ContractRow, contract_id, with_for_update=lock, populate_existing=lock) \
        if CONTRACT_ID.regex.fullmatch(contract_id) else None
    if row is None:
        raise NotFound(f"no contract {contract_id!r}", code="contract_not_found")
    return row


@lru_cache(maxsize=1024)
def _policy(version: str, document_json: str):
    from ..jsonio import loads

    return load_stored_policy(loads(document_json))


def contract_from_row(row: ContractRow) -> records.Contract:
    """The calculators' Contract from a stored row; policies are parsed once per version."""
    doc = row.document
    customer = doc.get("customer") or {}
    zone_named(doc["timezone"])  # a zone this host lacks is a DomainError here, not a 500 where it is used
    return records.Contract(
        id=row.id,
        currency=doc["currency"],
        timezone=doc["timezone"],
        fee=records.Fee(Decimal(doc["fee"]["amount"]), doc["fee"]["per"]),
        starts_on=date.fromisoformat(doc["starts_on"]),
        ends_on=date.fromisoformat(doc["ends_on"]) if doc.get("ends_on") else None,
        policy=_policy(row.policy_version, canonical_json(row.policy_document)),
        support_agreement=doc.get("support_agreement"),
        delivery=doc.get("delivery"),
        locale=doc["locale"],
        customer=records.Customer(name=customer.get("name", ""), address=customer.get("address"),
                                  tax_id=customer.get("tax_id"), email=customer.get("email")),
    )


def _check_no_live_notes(session: Session, row: ContractRow) -> None:
    """Issued notes are in the contract's currency; another currency would mix them in one renewal summary."""
    live = session.execute(select(CreditNote.number).where(CreditNote.contract_id == row.id,
                                                           CreditNote.status == "issued")).scalars().first()
    if live is not None:
        session.rollback()
        raise Conflict(f"The contract has issued credit notes in {row.currency} ({live}); a contract in another "
                       "currency needs an id of its own.", code="currency_locked", field="currency")


def _check_stored_fines(session: Session, loaded: dict[str, Any]) -> None:
    """New terms may not make a month's fines of stored bug occurrences too large to store."""
    too_large = months_too_large(session, loaded["id"], loaded["policy"]["policy"], loaded["currency"],
                                 loaded["timezone"])
    if too_large:
        session.rollback()
        raise AmountOverflow("Under the new policy the repeat-bug fines of stored occurrences would be too "
                             f"large to store: {'; '.join(text for text, _ in too_large.values())}.", field="policy")


def _check_stored_tickets(session: Session, loaded: dict[str, Any]) -> None:
    """New terms may not orphan stored tickets: every stored priority must stay defined."""
    targets = loaded["policy"]["policy"].ticket_targets
    if targets is None:
        return
    stored = set(session.execute(select(Ticket.priority).where(Ticket.contract_id == loaded["id"]).distinct()).scalars())
    missing = sorted(stored - set(targets.priorities))
    if missing:
        session.rollback()
        raise DomainError(f"Stored tickets have priorities the new policy does not define: {', '.join(missing)}.",
                          field="policy", code="policy_orphans_records")
