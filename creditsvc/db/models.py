"""SQLAlchemy 2 models. Records keep the client's id; (contract_id, id) is the key that makes
writes idempotent and concurrent duplicates impossible."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import Money, UTCDateTime


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the key; the key is never stored
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the contract as the client sent it (wire form)
    policy_document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the resolved full policy
    policy_version: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical policy document
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordMixin:
    contract_id: Mapped[str] = mapped_column(String(64), ForeignKey("contracts.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical record
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Incident(RecordMixin, Base):
    __tablename__ = "incidents"

    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    severity: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(20))
    notice_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_incidents_contract_started", "contract_id", "started_at"),)


class BugOccurrence(RecordMixin, Base):
    __tablename__ = "bug_occurrences"

    bug_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (Index("ix_bug_occurrences_contract_bug", "contract_id", "bug_id", "occurred_at"),)


class SupportCase(RecordMixin, Base):
    __tablename__ = "support_cases"

    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    level: Mapped[str] = mapped_column(String(1))
    km: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_support_cases_contract_started", "contract_id", "started_at"),)


class Ticket(RecordMixin, Base):
    __tablename__ = "tickets"

    priority: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pauses: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)

    __table_args__ = (Index("ix_tickets_contract_opened", "contract_id", "opened_at"),)


class NumberSeries(Base):
    """The last credit-note number issued in a year. Incremented in the issuing transaction, so a
    failed issue rolls its number back and the series stays unbroken."""

    __tablename__ = "number_series"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class CreditNote(Base):
    __tablename__ = "credit_notes"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)  # CN-YYYY-NNNNNN
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    contract_id: Mapped[str] = mapped_column(String(64), ForeignKey("contracts.id"))
    period: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))  # issued | void
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    supersedes: Mapped[str | None] = mapped_column(String(20), nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    credit_total: Mapped[Decimal] = mapped_column(Money)
    policy_version: Mapped[str] = mapped_column(String(64))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)  # frozen: never updated after issue
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # the contract, policy and records it used

    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_credit_notes_year_sequence"),
        # one live note per contract and period; void notes stay readable beside it
        Index("uq_credit_notes_live_period", "contract_id", "period", unique=True,
              postgresql_where=text("status = 'issued'"), sqlite_where=text("status = 'issued'")),
        # a contract's notes in issue order, void ones too (GET /v1/contracts/{id}/credit-notes)
        Index("ix_credit_notes_contract_number", "contract_id", "year", "sequence"),
    )


class CreditNoteDocument(Base):
    """A note's PDF as first delivered, per language and status: what an accountant downloaded stays
    the same bytes whatever a later release changes in the templates, fonts or Babel. A note that is
    voided gets its VOID document beside the one issued."""
    __tablename__ = "credit_note_documents"

    number: Mapped[str] = mapped_column(String(20), ForeignKey("credit_notes.number"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)  # the note's, when it was rendered
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime)


RECORD_MODELS = {
    "incidents": Incident,
    "bug_occurrences": BugOccurrence,
    "support_cases": SupportCase,
    "tickets": Ticket,
}
