"""The JSON API under /api/v1: one blueprint, JSON errors, CSRF for cookie callers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited
from ysdw_live.web import check_api_csrf

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_content_type",
    429: "rate_limited",
}


@api_blueprint.before_request
def _protect() -> None:
    """Refuse cross-site state-changing calls that rely on cookies."""
    check_api_csrf()


def error_response(error: DomainError) -> tuple[Response, int]:
    """Return the JSON error object and status for ``error``; nothing half-done is kept."""
    get_session().rollback()
    response = jsonify(error.to_dict())
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response, error.status


@api_blueprint.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[Response, int]:
    """Turn a domain error into the API's JSON error object."""
    return error_response(error)


def http_error_response(error: HTTPException) -> tuple[Response, int]:
    """Turn a werkzeug HTTP error (404, 405, 413…) into the API's JSON error object."""
    status = error.code or 500
    message = {
        404: "There is nothing at this address.",
        405: "This address does not accept that method.",
        413: "The request body is too large.",
    }.get(status, error.description or "The request could not be handled.")
    return jsonify({"error": {"code": HTTP_CODES.get(status, "error"), "message": message}}), status


@api_blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[Response, int]:
    """JSON errors for routing and size problems inside the API."""
    return http_error_response(error)


def created(payload: dict[str, Any]) -> tuple[Response, int]:
    """Return ``payload`` with status 201."""
    return jsonify(payload), 201
