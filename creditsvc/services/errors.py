from __future__ import annotations

from ..calculators.errors import DomainError


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
