"""Domain errors: an exception with a stable code and the field it concerns.

The HTTP layer turns every DomainError into one RFC 9457 problem response (422 unless said otherwise).
"""
from __future__ import annotations


class DomainError(Exception):
    code = "invalid"
    status = 422

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors  # several fields at once; else `field` is the one
        if code is not None:
            self.code = code
