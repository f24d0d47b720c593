from __future__ import annotations

from ..calculators.errors import DomainError


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str = "conflict", errors: dict | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)
        self.errors = errors
