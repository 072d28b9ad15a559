"""/api/v1 endpoints of staff tokens: create one with a password, revoke the one in use."""

from __future__ import annotations

from flask import Response, current_app, request

from ysdw_live.api import created, endpoint
from ysdw_live.api.openapi import PUBLIC
from ysdw_live.auth import services as auth
from ysdw_live.auth.schemas import Token, TokenRequest
from ysdw_live.db import get_session
from ysdw_live.errors import Forbidden, NotAuthenticated
from ysdw_live.web import actor, address_key, bearer_token, keyed_hash, limiter


@endpoint(
    "POST",
    "/auth/token",
    summary="Exchange e-mail and password for a staff bearer token (it expires after YSDW_TOKEN_DAYS days)",
    body=TokenRequest,
    response=Token,
    status=201,
    errors=(401, 403, 429),
    security=PUBLIC,
)
def create_token(body: TokenRequest) -> tuple[Response, int]:
    """Exchange an e-mail and password for a bearer token."""
    user = auth.authenticate(
        get_session(), body.email, body.password, limiter=limiter(), address=address_key(), keyed=keyed_hash
    )
    if user.must_change_password:
        raise Forbidden(
            "Log in on the website and choose a new password before asking for a token.",
            code="password_change_required",
        )
    label = body.label if body.label is not None else "API"
    secret, token = auth.create_token(get_session(), user, label, days=current_app.config["TOKEN_DAYS"])
    return created({"token": secret, "expires_at": token.expires_at.isoformat()})


@endpoint(
    "DELETE",
    "/auth/token",
    summary="Revoke the bearer token sent with this request",
    status=204,
    errors=(401,),
)
def revoke_token() -> tuple[str, int]:
    """Revoke the bearer token this request carries."""
    token = bearer_token(request)
    user = actor().user
    if token is None or user is None or not auth.revoke_token(get_session(), user, token):
        raise NotAuthenticated("Send the token to revoke as Authorization: Bearer <token>.")
    return "", 204
