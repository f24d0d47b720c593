"""The calculation core: pure Python (stdlib, decimal, zoneinfo, holidays). No Flask, no SQLAlchemy, no I/O.

Frozen dataclasses in (`records`, `policy`), a frozen `Statement` out (`statement.compute_statement`).
"""
from .errors import DomainError
from .statement import Statement, StatementRequest, compute_statement

__all__ = ["DomainError", "Statement", "StatementRequest", "compute_statement"]
