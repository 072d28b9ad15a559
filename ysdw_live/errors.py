"""Domain errors and how they map onto HTTP statuses and socket refusals."""

from __future__ import annotations


class DomainError(Exception):
    """A failure the caller can understand and fix; never a bug."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields: dict[str, str] = dict(fields or {})
        if field:
            self.fields.setdefault(field, message)

    def to_dict(self) -> dict[str, object]:
        """Return the JSON error object of the public API."""
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.fields:
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
