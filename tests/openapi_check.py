"""Every /api/v1 response a test receives is checked against the served /api/openapi.json.

``ValidatingClient`` is the Flask test client of the ``app`` fixture: after each request to
/api/v1 it finds the documented operation and checks that the status is documented and that a
JSON body matches its schema (errors match Error). A route the document lacks, a field the
serializer adds, or a status nobody documented fails the test that saw it.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from werkzeug.test import TestResponse

API_PREFIX = "/api/v1"
_document: dict[str, Any] | None = None


ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
# Validators by the id of a schema object that lives for the whole run (the cached document's, or
# ERROR_SCHEMA): building one per response was a good part of each API test's time.
_validators: dict[int, OAS31Validator] = {}


class OpenAPIMismatch(AssertionError):
    """A response the OpenAPI document does not describe."""


def _operation(document: dict[str, Any], method: str, path: str) -> tuple[str | None, dict[str, Any] | None]:
    """Return the documented path template and operation for ``method path`` (None when undocumented)."""
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template, item.get(method.lower())
    return None, None


def _validate(document: dict[str, Any], schema: dict[str, Any], body: Any, where: str) -> None:
    """Check ``body`` against ``schema``, resolving references into the document's components."""
    validator = _validators.get(id(schema))
    if validator is None:
        validator = OAS31Validator(
            {**schema, "components": document["components"]}, format_checker=OAS31Validator.FORMAT_CHECKER
        )
        _validators[id(schema)] = validator
    problems = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if problems:
        details = "; ".join(f"{list(p.absolute_path)}: {p.message}" for p in problems[:5])
        raise OpenAPIMismatch(f"{where}: the body does not match the document: {details}\nbody: {body!r}")


def check_response(document: dict[str, Any], method: str, path: str, response: TestResponse) -> None:
    """Raise OpenAPIMismatch unless the document describes ``response`` to ``method path``."""
    where = f"{method} {path} → {response.status_code}"
    relative = path[len(API_PREFIX) :]
    template, operation = _operation(document, method, relative)
    if operation is None:
        # No such route (404) or method (405): still the API's JSON error object.
        if response.status_code not in (404, 405):
            raise OpenAPIMismatch(f"{where}: {method} {template or relative} is not in the document")
        _validate(document, ERROR_SCHEMA, response.get_json(silent=True), where)
        return
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        raise OpenAPIMismatch(
            f"{where}: status {response.status_code} is not documented for {method} {template} "
            f"(documented: {sorted(operation['responses'])}); body: {response.get_data(as_text=True)[:300]}"
        )
    content = documented.get("content")
    if not content:
        if response.get_data():
            raise OpenAPIMismatch(f"{where}: documented without a body, but one came back")
        return
    if response.mimetype not in content:
        raise OpenAPIMismatch(f"{where}: content type {response.mimetype} is not documented ({sorted(content)})")
    schema = content[response.mimetype].get("schema")
    if schema is not None and response.mimetype == "application/json":
        _validate(document, schema, response.get_json(), where)


class ValidatingClient(FlaskClient):
    """A Flask test client that checks each /api/v1 response against /api/openapi.json.

    Set ``check_openapi = False`` on a client only where a test must see an undocumented answer.
    """

    check_openapi = True

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        """Send the request; then check the response when it came from /api/v1."""
        response = super().open(*args, **kwargs)
        request = response.request
        if (
            self.check_openapi
            and request.path.startswith(API_PREFIX + "/")
            and request.method not in ("HEAD", "OPTIONS")
        ):
            check_response(self._document(), request.method, request.path, response)
        return response

    def _document(self) -> dict[str, Any]:
        """Return the served document, fetched once per test run (it is the same for every app)."""
        global _document
        if _document is None:
            served = super().open("/api/openapi.json")
            assert served.status_code == 200, served.get_data(as_text=True)
            _document = served.get_json()
        return _document
