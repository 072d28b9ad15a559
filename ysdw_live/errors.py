"""Domain errors and how they map onto HTTP statuses and socket refusals.

A message may be a lazy translation (``lazy_gettext`` at import time): :attr:`DomainError.message`
and :meth:`DomainError.to_dict` turn it into text when read, so it is in the language of the
request that shows it, and JSON bodies, pages and socket acks always get a plain str.
"""

from __future__ import annotations


class DomainError(Exception):
    """A failure the caller can understand and fix; never a bug."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self._message = message
        if code:
            self.code = code
        self._fields: dict[str, str] = dict(fields or {})
        if field:
            self._fields.setdefault(field, message)

    @property
    def message(self) -> str:
        """The message for people, as text in the current request's language."""
        return str(self._message)

    @message.setter
    def message(self, value: str) -> None:
        self._message = value

    @property
    def fields(self) -> dict[str, str]:
        """The fields at fault, each with its message as text (a copy)."""
        return {name: str(text) for name, text in self._fields.items()}

    @fields.setter
    def fields(self, value: dict[str, str]) -> None:
        self._fields = dict(value)

    def to_dict(self) -> dict[str, object]:
        """Return the JSON error object of the public API."""
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self._fields:
            error["fields"] = self.fields
        return {"error": error}


class ValidationError(DomainError):
    """Bad input: a missing, malformed, too long or unknown value."""

    status = 400
    code = "invalid"


class NotAuthenticated(DomainError):
    """The caller must log in (or join the meeting) first."""

    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """The thing asked for does not exist (or is not the caller's to see)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The thing is in the wrong state for this request (e.g. the meeting is closed)."""

    status = 409
    code = "conflict"


class TooLarge(DomainError):
    """The request body is bigger than the server accepts."""

    status = 413
    code = "too_large"


class RateLimited(DomainError):
    """Too many requests in a short time."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 1, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
