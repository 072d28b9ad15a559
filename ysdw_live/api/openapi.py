"""The OpenAPI 3.1 document of /api/v1, assembled from the operations ``endpoint`` recorded.

Nothing here is written by hand per endpoint: paths come from the Flask rules, bodies, query
parameters and responses from the pydantic models in ``<domain>/schemas.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ysdw_live.db import MAX_DATABASE_ID
from ysdw_live.schema import CODE_PATTERN, Error, SchemaGenerator

REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"

# Who may call an operation, in OpenAPI's terms; None means the document's default (staff).
Security = list[dict[str, list[str]]] | None
PUBLIC: Security = []
PARTICIPANT: Security = [{"participant": []}, {"cookie": []}]
PARTICIPANT_OR_STAFF: Security = [{"participant": []}, {"cookie": []}, {"bearer": []}]

ERROR_DESCRIPTIONS = {
    400: "Bad input",
    401: "Not logged in (or not joined)",
    403: "Wrong role, not yours, or a cross-site request",
    404: "Not found",
    409: "Wrong state",
    413: "Too large",
    429: "Too many requests",
}

PATH_PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "code": {"type": "string", "pattern": CODE_PATTERN, "description": "Join code, any letter case"},
}
INTEGER_ID = {"type": "integer", "maximum": MAX_DATABASE_ID}


@dataclass(frozen=True)
class Operation:
    """One documented /api/v1 operation; ``endpoint`` records one per route it registers."""

    method: str
    rule: str
    summary: str
    description: str | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = JSON
    errors: tuple[int, ...] = ()
    security: Security = None
    extra_models: tuple[type[BaseModel], ...] = field(default=())

    @property
    def path(self) -> str:
        """The OpenAPI path: ``<int:concern_id>`` becomes ``{concern_id}``."""
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", self.rule)

    def path_parameters(self) -> list[dict[str, Any]]:
        """Return the path parameters, typed from the Flask converters."""
        parameters = []
        for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", self.rule):
            schema = INTEGER_ID if converter == "int" else PATH_PARAMETER_SCHEMAS.get(name, {"type": "string"})
            parameters.append({"name": name, "in": "path", "required": True, "schema": dict(schema)})
        return parameters


OPERATIONS: list[Operation] = []


def _models(operations: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Return every model the operations use, each once, with the mode its schema is wanted in."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for operation in operations:
        for model in (operation.body, operation.query):
            if model is not None:
                wanted[(model, "validation")] = None
        for model in (operation.response, *operation.extra_models):
            if model is not None:
                wanted[(model, "serialization")] = None
    return list(wanted)


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one query parameter per property of a query model's schema."""
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _ref(schema: dict[str, Any]) -> str:
    """Return the component name a generated ``$ref`` points at."""
    return schema["$ref"].rsplit("/", 1)[-1]


def _operation_object(
    operation: Operation, schemas: dict[tuple[type[BaseModel], JsonSchemaMode], Any], components: dict[str, Any]
) -> dict[str, Any]:
    """Return the OpenAPI operation object for ``operation``."""
    result: dict[str, Any] = {"summary": operation.summary, "operationId": operation_id(operation)}
    if operation.description:
        result["description"] = operation.description
    if operation.security is not None:
        result["security"] = operation.security
    parameters = operation.path_parameters()
    if operation.query is not None:
        parameters += _query_parameters(components[_ref(schemas[(operation.query, "validation")])])
    if parameters:
        result["parameters"] = parameters
    if operation.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": schemas[(operation.body, "validation")]}},
        }
    success: dict[str, Any] = {"description": "Created" if operation.status == 201 else "OK"}
    if operation.response is not None:
        success["content"] = {JSON: {"schema": schemas[(operation.response, "serialization")]}}
    elif operation.media_type != JSON:
        success["content"] = {operation.media_type: {}}
    else:
        success["description"] = "Done; no content"
    responses: dict[str, Any] = {str(operation.status): success}
    error = {JSON: {"schema": schemas[(Error, "serialization")]}}
    for status in sorted(set(operation.errors)):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status], "content": error}
    result["responses"] = responses
    return result


def operation_id(operation: Operation) -> str:
    """Return a stable operationId: the method and the path's words."""
    words = re.sub(r"[^A-Za-z0-9]+", "_", operation.path).strip("_")
    return f"{operation.method.lower()}_{words}"


def openapi_document(operations: list[Operation] | None = None) -> dict[str, Any]:
    """Return the whole OpenAPI 3.1 document for ``operations`` (every registered one by default)."""
    operations = OPERATIONS if operations is None else operations
    schemas, definitions = models_json_schema(
        _models(operations), ref_template=REF_TEMPLATE, schema_generator=SchemaGenerator
    )
    components = definitions.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for operation in sorted(operations, key=lambda op: (op.path, op.method)):
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation_object(
            operation, schemas, components
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "YSWD Live API",
            "version": "1",
            "description": "Audience interaction for community meetings: concerns, votes, polls, "
            "surveys and the You Said, We Did action list. Generated from the models that "
            "validate the requests.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Staff token from POST /auth/token"},
                "participant": {"type": "apiKey", "in": "header", "name": "X-Participant-Token"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "paths": paths,
    }
