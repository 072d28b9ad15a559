"""The API's token objects: the request for a staff token and the answer, declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ysdw_live.errors import ValidationError
from ysdw_live.schema import Body, Reply, custom, optional


def _credential(value: Any, field: str) -> str:
    """Return a non-empty e-mail address or password, or refuse it as the login form does."""
    if not isinstance(value, str) or not value:
        raise ValidationError("Enter your e-mail address and password.", field=field)
    return value


def _label(value: Any, _field: str) -> str:
    """Return the token's label; anything but text is labelled "API"."""
    return value if isinstance(value, str) else "API"


Credential = custom(str, _credential, {"type": "string", "minLength": 1})
Label = custom(str, _label, {"type": "string", "maxLength": 120})


class TokenRequest(Body):
    """An e-mail address and password, exchanged for a bearer token."""

    email: Credential
    password: Credential
    label: Label = optional("What the token is for (shown to its owner); API by default")


class Token(Reply):
    """A secret shown once: send it as ``Authorization: Bearer <token>`` until ``expires_at``.

    A password change or deactivation revokes every token of the account.
    """

    token: str
    expires_at: datetime
