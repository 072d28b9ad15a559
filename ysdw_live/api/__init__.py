"""The JSON API under /api/v1: the blueprint, JSON errors, body parsing and ``endpoint``.

Plumbing only: this package imports no domain. Each domain's ``api.py`` declares its routes
with :func:`endpoint`; the composition root imports those modules, then calls :func:`init_app`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, jsonify, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

from ysdw_live import validation
from ysdw_live.api.openapi import OPERATIONS, Operation, Security, openapi_document
from ysdw_live.db import get_session
from ysdw_live.errors import DomainError, RateLimited, ValidationError
from ysdw_live.schema import parse
from ysdw_live.web import STATE_CHANGING, check_api_csrf

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

View = TypeVar("View", bound=Callable[..., Any])


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


def json_body() -> dict[str, Any]:
    """Return the request's JSON object, refusing other content types and malformed JSON."""
    if not request.is_json:
        raise ValidationError(
            "Send the body as JSON with Content-Type: application/json.", code="unsupported_content_type"
        )
    try:
        payload = validation.json_loads(request.get_data(cache=True))
    except validation.JSONTooDeep:
        raise ValidationError(
            f"The body is nested too deeply (at most {validation.JSON_DEPTH_MAX} levels).", code="malformed_json"
        ) from None
    except ValueError:
        raise ValidationError("The body is not valid JSON.", code="malformed_json") from None
    if not isinstance(payload, dict):
        raise ValidationError("The body must be a JSON object.", code="malformed_json")
    # JSON can spell half a UTF-16 pair ("\\ud800"), which no database, hash or page can encode.
    validation.refuse_lone_surrogates(payload)
    return payload


def endpoint(
    method: str,
    rule: str,
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    media_type: str = "application/json",
    errors: tuple[int, ...] = (),
    security: Security = None,
    description: str | None = None,
) -> Callable[[View], View]:
    """Register a /api/v1 route and its OpenAPI operation in one step, so no route is undocumented.

    The view receives the path values, plus ``body`` (a validated ``body`` model) and ``query``
    (a validated ``query`` model) when those are declared. A body also documents 400 and 413; a
    state-changing method documents 403 (a cookie-authenticated call from another site).
    """
    if method in STATE_CHANGING:
        errors = (*errors, 403)
    if body is not None:
        errors = (*errors, 400, 413)
    if query is not None:
        errors = (*errors, 400)

    def register(view: View) -> View:
        @functools.wraps(view)
        def handle(**path_values: Any) -> Any:
            if body is not None:
                path_values["body"] = parse(body, json_body())
            if query is not None:
                path_values["query"] = parse(query, request.args.to_dict())
            return view(**path_values)

        # No merging of "//": a path with an empty segment is a documented 404, not a redirect elsewhere.
        api_blueprint.add_url_rule(rule, view.__name__, handle, methods=[method], merge_slashes=False)
        OPERATIONS.append(
            Operation(
                method=method,
                rule=rule,
                summary=summary,
                description=description,
                body=body,
                query=query,
                response=response,
                status=status,
                media_type=media_type,
                errors=errors,
                security=security,
            )
        )
        return view

    return register


def init_app(app: Flask) -> None:
    """Register the API blueprint and the document at /api/openapi.json (after the domains' api modules)."""
    app.register_blueprint(api_blueprint)

    @app.get("/api/openapi.json")
    def openapi() -> Response:
        """The OpenAPI 3.1 document describing /api/v1."""
        return jsonify(openapi_document())
