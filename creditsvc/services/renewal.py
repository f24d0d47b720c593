"""What sales needs at renewal: deductions, licence days and open termination rights from issued notes."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calculators.money import decimal_str, sum_money
from ..db.models import CreditNote
from .contracts import get_contract_row


def _delivery_split(statement: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """(renewal deduction, licence-extension days, credited otherwise) of a note.

    seed 000: outage credits become licence days or a deduction at renewal, as delivered; other
    credits (fines, uptime, breach credits) are money, deducted at renewal when the policy applies
    credits at renewal, and otherwise already applied by the policy's mode (next quarter, account).
    """
    deduction, days, elsewhere = Decimal(0), Decimal(0), Decimal(0)
    mode = (statement.get("application") or {}).get("mode")
    for line in statement["lines"]:
        amount = Decimal(line["amount"])
        if line["kind"] == "outage_credit" and statement["outage_credit"]["delivery"] == "license_extension":
            days += Decimal(statement["outage_credit"]["credit_days"])
        elif line["kind"] == "outage_credit" or mode in ("renewal_deduction", "license_extension"):
            deduction += amount
        else:
            elsewhere += amount
    return deduction, days, elsewhere


def renewal_summary(session: Session, contract_id: str, now: datetime) -> dict[str, Any]:
    """`now` decides which termination rights are still open, on the contract's own calendar."""
    row = get_contract_row(session, contract_id)
    today = now.astimezone(ZoneInfo(row.timezone)).date()
    notes = session.execute(select(CreditNote).where(CreditNote.contract_id == contract_id,
                                                     CreditNote.status == "issued")
                            .order_by(CreditNote.period)).scalars().all()
    currency = row.document["currency"]  # every live note's too: a contract with live notes keeps its currency
    items, deductions, others, total_days, rights = [], [], [], Decimal(0), []
    for note in notes:
        deduction, days, elsewhere = _delivery_split(note.statement)
        deductions.append(deduction)
        others.append(elsewhere)
        total_days += days
        items.append({"number": note.number, "period": note.period, "credit_total": note.statement["credit_total"],
                      "renewal_deduction": format(sum_money([deduction], note.currency), "f"),
                      "license_extension_days": decimal_str(days),
                      "credited_otherwise": format(sum_money([elsewhere], note.currency), "f"),
                      "application_mode": (note.statement.get("application") or {}).get("mode")})
        uptime = note.statement.get("uptime") or {}
        deadline = uptime.get("termination_notice_deadline")
        if uptime.get("termination_right") and deadline and date.fromisoformat(deadline) >= today:
            rights.append({"period": note.period, "credit_note": note.number, "notice_deadline": deadline})
    ends_on = row.document.get("ends_on")
    extended = None
    if ends_on:
        # a part day of extension still gives the customer the whole day
        extended = (date.fromisoformat(ends_on) + timedelta(days=math.ceil(total_days))).isoformat()
    return {
        "contract_id": contract_id,
        "currency": currency,
        "ends_on": ends_on,
        "license_extension_days": decimal_str(total_days),
        "license_ends_on": extended,
        "renewal_deduction_total": format(sum_money(deductions, currency), "f"),
        "credited_otherwise_total": format(sum_money(others, currency), "f"),
        "credit_notes": items,
        "termination_rights": rights,
    }
