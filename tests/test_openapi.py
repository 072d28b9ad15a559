"""The OpenAPI document at /api/openapi.json describes exactly the /api/v1 routes, and is valid OpenAPI 3.1."""

from __future__ import annotations

import re

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document(client) -> dict:
    """Fetch the served document."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def routes_in_app(app) -> set[tuple[str, str]]:
    """Return (method, OpenAPI path) for every /api/v1 rule, ``<int:x>`` written as ``{x}``."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def routes_in_document(doc: dict) -> set[tuple[str, str]]:
    """Return (method, path) for every operation in the document."""
    return {(method, path) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS}


def test_every_route_is_documented_and_nothing_else(app, client):
    """The document and the url_map list the same operations: none missing, none invented."""
    in_app, in_doc = routes_in_app(app), routes_in_document(document(client))
    assert in_app, "no /api/v1 routes found"
    assert sorted(in_app - in_doc) == [], "routes missing from the OpenAPI document"
    assert sorted(in_doc - in_app) == [], "documented operations the app does not serve"


def test_document_is_valid_openapi_3_1(client):
    """openapi-spec-validator accepts the document as OpenAPI 3.1."""
    doc = document(client)
    assert doc["openapi"].startswith("3.1")
    try:
        validate(doc)
    except OpenAPIValidationError as error:  # pragma: no cover - the message is the point
        raise AssertionError(f"invalid OpenAPI document: {error}") from None


def test_path_parameters_are_declared(client):
    """Every {name} in a path is declared as a required path parameter (on the path or the operation)."""
    doc = document(client)
    problems = []
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        shared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            own = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if names != shared | own:
                problems.append(f"{method.upper()} {path}: declares {sorted(shared | own)}, path has {sorted(names)}")
    assert not problems, problems


def test_every_operation_has_a_summary_and_responses(client):
    """Each operation says what it does and what it returns, including its JSON errors."""
    doc = document(client)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            statuses = set(operation.get("responses", {}))
            assert any(s.startswith("2") for s in statuses), f"{method.upper()} {path} has no success response"


def test_references_resolve(client):
    """Every $ref points at a schema the document defines."""
    doc = document(client)
    text = str(doc)
    refs = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", text))
    assert refs <= set(doc["components"]["schemas"]), sorted(refs - set(doc["components"]["schemas"]))


def test_error_schema_matches_real_errors(client):
    """A real error response has the shape the Error schema promises."""
    doc = document(client)
    schemas = doc["components"]["schemas"]
    body = client.get("/api/v1/meetings/ZZZZZZ").get_json()
    assert set(schemas["Error"]["required"]) <= set(body)
    assert set(schemas["ErrorDetail"]["required"]) <= set(body["error"])


def test_meeting_schema_matches_a_real_meeting(client, factory):
    """The Meeting schema's required fields are exactly the keys the API returns."""
    meeting = factory.meeting()
    body = client.get(f"/api/v1/meetings/{meeting.code}").get_json()
    schema = document(client)["components"]["schemas"]["Meeting"]
    assert set(schema["required"]) == set(body)
    series = client.get(f"/api/v1/series/{meeting.series_id}").get_json()
    assert set(document(client)["components"]["schemas"]["Series"]["required"]) == set(series)


# --- one schema source -----------------------------------------------------------------------


def test_enums_are_the_python_enums(client):
    """Every enum in the document lists exactly the values of the Python enum it names."""
    from ysdw_live.actions.models import ActionStatus
    from ysdw_live.concerns.models import ConcernSource, ConcernStatus
    from ysdw_live.meetings.models import MeetingMode, MeetingStatus, ProjectorMode

    schemas = document(client)["components"]["schemas"]
    for enum_type in (ActionStatus, ConcernSource, ConcernStatus, MeetingMode, MeetingStatus, ProjectorMode):
        assert schemas[enum_type.__name__]["enum"] == [member.value for member in enum_type], enum_type


def test_lengths_come_from_the_model_constants(client):
    """MaxLength in request bodies is the models' constant, not a retyped number."""
    from ysdw_live.actions.models import UPDATE_TEXT_MAX, YOU_SAID_MAX
    from ysdw_live.concerns.models import AUTHOR_NAME_MAX, TEXT_MAX
    from ysdw_live.series.models import TITLE_MAX

    schemas = document(client)["components"]["schemas"]
    assert schemas["ConcernInput"]["properties"]["text"]["maxLength"] == TEXT_MAX
    assert schemas["ConcernInput"]["properties"]["author_name"]["maxLength"] == AUTHOR_NAME_MAX
    assert schemas["ActionInput"]["properties"]["you_said"]["maxLength"] == YOU_SAID_MAX
    assert schemas["ActionUpdateInput"]["properties"]["text"]["maxLength"] == UPDATE_TEXT_MAX
    assert schemas["SeriesInput"]["properties"]["title"]["maxLength"] == TITLE_MAX


def test_each_documented_body_is_the_model_that_validates_it(client):
    """The request body an operation documents is the model its route validates with, field for field."""
    from ysdw_live.api.openapi import OPERATIONS, operation_id

    doc = document(client)
    bodies = [op for op in OPERATIONS if op.body is not None]
    assert len(bodies) >= 8
    for operation in bodies:
        documented = doc["paths"][operation.path][operation.method.lower()]
        assert documented["operationId"] == operation_id(operation)
        ref = documented["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert set(schema["properties"]) == set(operation.body.model_fields), operation.path
        assert schema["additionalProperties"] is False


def test_a_field_added_to_a_model_appears_in_validation_and_document():
    """Adding a field to a schema model changes both what is accepted and what is documented."""
    from ysdw_live.api.openapi import Operation, openapi_document
    from ysdw_live.errors import ValidationError
    from ysdw_live.schema import optional, parse, text
    from ysdw_live.series.schemas import SeriesInput

    Colour = text(20, "Colour")

    class ColouredSeries(SeriesInput):
        colour: Colour = optional()

    body = {"title": "T", "colour": "red"}
    try:
        parse(SeriesInput, body)
    except ValidationError as error:
        assert error.code == "unknown_field" and "colour" in error.fields
    else:  # pragma: no cover - the point is that it raises
        raise AssertionError("the unchanged model accepted an unknown field")
    assert parse(ColouredSeries, body).colour == "red"
    doc = openapi_document([Operation("POST", "/coloured", summary="Coloured", body=ColouredSeries)])
    colour = doc["components"]["schemas"]["ColouredSeries"]["properties"]["colour"]
    assert colour == {"type": "string", "maxLength": 20, "minLength": 1}


def test_the_response_checker_catches_what_the_document_does_not_say(client, factory):
    """The checker every API test runs fails on an extra field, a wrong type and an undocumented status."""
    import json

    import pytest
    from flask import Response

    from tests.openapi_check import OpenAPIMismatch, check_response

    doc = document(client)
    meeting = factory.meeting()
    path = f"/api/v1/meetings/{meeting.code}"
    good = client.get(path)
    check_response(doc, "GET", path, good)
    body = good.get_json()
    for wrong, status in (({**body, "secret": 1}, 200), ({**body, "version": "1"}, 200), (body, 418)):
        fake = Response(json.dumps(wrong), status=status, mimetype="application/json")
        with pytest.raises(OpenAPIMismatch):
            check_response(doc, "GET", path, fake)
