"""The OpenAPI 3.1 document of /api/v1; a test checks it against the real routes."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _error_responses(*statuses: int) -> dict[str, Any]:
    """Return the error responses for ``statuses``."""
    descriptions = {
        400: "Bad input",
        401: "Not logged in",
        403: "Wrong role or not yours",
        404: "Not found",
        409: "Wrong state",
        413: "Too large",
        429: "Too many requests",
    }
    return {
        str(s): {"description": descriptions[s], "content": {"application/json": {"schema": ERROR}}} for s in statuses
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    """Return a JSON response object."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def ref(name: str) -> dict[str, Any]:
    """Return a reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z2-9]{6}$"},
    "description": "Join code, any case",
}
SERIES_ID = {"name": "series_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "Topic": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "Series": {
        "type": "object",
        "required": ["id", "title", "description", "topics"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "topics": {"type": "array", "items": ref("Topic")},
        },
    },
    "SeriesInput": {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "maxLength": 2000},
            "topics": {"type": "array", "items": {"type": "string", "maxLength": 80}},
        },
    },
    "Meeting": {
        "type": "object",
        "required": [
            "code",
            "title",
            "series_id",
            "starts_at",
            "venue",
            "mode",
            "status",
            "moderation",
            "join_url",
            "version",
        ],
        "properties": {
            "code": {"type": "string"},
            "title": {"type": "string"},
            "series_id": {"type": "integer"},
            "starts_at": {"type": ["string", "null"], "format": "date-time"},
            "venue": {"type": "string"},
            "mode": {"enum": ["in_person", "online", "hybrid"]},
            "status": {"enum": ["draft", "live", "closed"]},
            "moderation": {"type": "boolean"},
            "join_url": {"type": "string", "format": "uri"},
            "version": {"type": "integer"},
        },
    },
    "MeetingInput": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "starts_at": {"type": ["string", "null"], "format": "date-time"},
            "venue": {"type": "string", "maxLength": 200},
            "mode": {"enum": ["in_person", "online", "hybrid"]},
            "moderation": {"type": "boolean"},
            "status": {"enum": ["draft", "live", "closed"]},
        },
    },
}

PATHS: dict[str, Any] = {
    "/auth/token": {
        "post": {
            "summary": "Exchange e-mail and password for a staff bearer token",
            "security": [],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["email", "password"],
                    "properties": {
                        "email": {"type": "string"},
                        "password": {"type": "string"},
                        "label": {"type": "string"},
                    },
                }
            ),
            "responses": {
                "201": _json({"type": "object", "properties": {"token": {"type": "string"}}}, "Created"),
                **_error_responses(400, 401, 429),
            },
        },
        "delete": {
            "summary": "Revoke the bearer token sent with this request",
            "responses": {"204": {"description": "Revoked"}, **_error_responses(401)},
        },
    },
    "/series": {
        "get": {
            "summary": "List series (staff)",
            "responses": {
                "200": _json({"type": "object", "properties": {"series": {"type": "array", "items": ref("Series")}}}),
                **_error_responses(401, 403),
            },
        },
        "post": {
            "summary": "Create a series (admin, facilitator)",
            "requestBody": _body(ref("SeriesInput")),
            "responses": {"201": _json(ref("Series"), "Created"), **_error_responses(400, 401, 403)},
        },
    },
    "/series/{series_id}": {
        "parameters": [SERIES_ID],
        "get": {
            "summary": "A series and its topics",
            "security": [],
            "responses": {"200": _json(ref("Series")), **_error_responses(404)},
        },
        "patch": {
            "summary": "Edit a series (admin, facilitator)",
            "requestBody": _body(ref("SeriesInput")),
            "responses": {"200": _json(ref("Series")), **_error_responses(400, 401, 403, 404)},
        },
    },
    "/series/{series_id}/meetings": {
        "parameters": [SERIES_ID],
        "get": {
            "summary": "A series' meetings (staff)",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"meetings": {"type": "array", "items": ref("Meeting")}}}
                ),
                **_error_responses(401, 403, 404),
            },
        },
        "post": {
            "summary": "Create a draft meeting (admin, facilitator)",
            "requestBody": _body(ref("MeetingInput")),
            "responses": {"201": _json(ref("Meeting"), "Created"), **_error_responses(400, 401, 403, 404)},
        },
    },
    "/meetings/{code}": {
        "parameters": [CODE],
        "get": {
            "summary": "A meeting by join code",
            "security": [],
            "responses": {"200": _json(ref("Meeting")), **_error_responses(404)},
        },
        "patch": {
            "summary": "Edit a meeting or change its status (admin, facilitator)",
            "requestBody": _body(ref("MeetingInput")),
            "responses": {"200": _json(ref("Meeting")), **_error_responses(400, 401, 403, 404, 409)},
        },
    },
    "/meetings/{code}/participants": {
        "parameters": [CODE],
        "post": {
            "summary": "Join anonymously; sets the participant cookie",
            "security": [],
            "responses": {
                "201": _json({"type": "object", "properties": {"token": {"type": "string"}}}, "Created"),
                **_error_responses(404),
            },
        },
    },
    "/meetings/{code}/qr.svg": {
        "parameters": [CODE],
        "get": {
            "summary": "QR code of the join URL (SVG)",
            "security": [],
            "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {}}}, **_error_responses(404)},
        },
    },
    "/meetings/{code}/qr.png": {
        "parameters": [CODE],
        "get": {
            "summary": "QR code of the join URL (PNG)",
            "security": [],
            "responses": {"200": {"description": "PNG", "content": {"image/png": {}}}, **_error_responses(404)},
        },
    },
}


def register_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Add a domain's paths (and schemas) to the document; each domain calls this once."""
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def openapi_document() -> dict[str, Any]:
    """Return the whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "YSWD Live API",
            "version": "1",
            "description": "Audience interaction for community meetings: concerns, votes, polls, "
            "surveys and the You Said, We Did action list.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Staff token from POST /auth/token"},
                "participant": {"type": "apiKey", "in": "header", "name": "X-Participant-Token"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "paths": PATHS,
    }
