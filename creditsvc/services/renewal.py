"""What sales needs at renewal: deductions, licence days and open termination rights from issued notes."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calculators.money import decimal_str, sum_money
from ..calculators.records import zone_named
from ..db.models import CreditNote
from ..schemas.statement import credit_application
from .contracts import get_contract_row


def renewal_summary(session: Session, contract_id: str, now: datetime) -> dict[str, Any]:
    """`now` decides which termination rights are still open, on the contract's own calendar."""
    row = get_contract_row(session, contract_id)
    today = now.astimezone(zone_named(row.timezone)).date()
    notes = session.execute(select(CreditNote).where(CreditNote.contract_id == contract_id,
                                                     CreditNote.status == "issued")
                            .order_by(CreditNote.period)).scalars().all()
    currency = row.document["currency"]  # every live note's too: a contract with live notes keeps its currency
    items, deductions, others, total_days, rights = [], [], [], Decimal(0), []
    for note in notes:
        applied = credit_application(note.statement)
        deduction, days, elsewhere = (applied[key] for key in ("renewal_deduction", "license_extension_days",
                                                               "credited_otherwise"))
        deductions.append(deduction)
        others.append(elsewhere)
        total_days += days
        items.append({"number": note.number, "period": note.period, "credit_total": note.statement["credit_total"],
                      "renewal_deduction": format(sum_money([deduction], note.currency), "f"),
                      "license_extension_days": decimal_str(days),
                      "credited_otherwise": format(sum_money([elsewhere], note.currency), "f"),
                      "application_mode": (note.statement.get("application") or {}).get("mode"),
                      "cash_refund": bool((note.statement.get("application") or {}).get("cash_refund"))})
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
