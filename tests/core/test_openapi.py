"""The OpenAPI document declares what the API takes and sends: path parameters, decimals as strings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from app.extensions import db
from tests.assessment_factories import make_bank, make_question
from tests.billing_factories import make_plan
from tests.course_factories import make_course
from tests.factories import make_user

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def document(client, api_as) -> dict[str, Any]:
    response = client.get("/api/v1/_openapi", headers=api_as("Admin"))
    assert response.status_code == 200
    return response.json


def test_the_document_needs_a_signed_in_user(client):
    assert client.get("/api/v1/_openapi").status_code == 401


def test_every_path_parameter_is_declared_in_its_operation(document):
    missing = []
    for path, operations in document["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            declared = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "path"}
            missing += [f"{method.upper()} {path} {{{name}}}" for name in names if name not in declared]
            assert all(declared[name]["required"] for name in names if name in declared), path
            assert operation.get("responses"), f"{method.upper()} {path} lists no response"
    assert missing == []


def test_action_ids_are_integers_and_other_path_parameters_text(document):
    enroll = document["paths"]["/api/v1/course/{pk}/enroll"]["post"]
    assert enroll["parameters"] == [
        {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}
    ]
    verify = document["paths"]["/api/v1/certificate/verify/{number}"]["get"]
    assert [(p["name"], p["schema"]["type"]) for p in verify["parameters"] if p["in"] == "path"] == [
        ("number", "string")
    ]


def _decimal_fields(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{name}.{field}": prop
        for name, schema in document["components"]["schemas"].items()
        for field, prop in (schema.get("properties") or {}).items()
        if prop.get("format") == "decimal"
    }


def test_money_and_points_are_declared_as_decimal_strings(document):
    decimals = _decimal_fields(document)
    for name in (
        "CourseApi.get.price",
        "CourseApi.put.price",
        "PlanApi.get_list.price",
        "PaymentApi.get.amount",
        "InvoiceApi.get.total",
        "QuestionApi.get.points",
        "SubmissionApi.get.points",
        "QuizAttemptApi.get.score",
    ):
        assert decimals[name]["type"] == "string", name
        assert re.fullmatch(decimals[name]["pattern"], "1234.50")
    numbers = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, prop in (schema.get("properties") or {}).items()
        if prop.get("type") == "number"
    ]
    assert numbers == []


SCALARS = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


def _scalar_mismatches(item: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Fields whose value is not of the scalar type the schema declares (null only when nullable)."""
    wrong = []
    for field, value in item.items():
        prop = schema["properties"].get(field, {})
        expected = SCALARS.get(prop.get("type"))
        if expected is None or (value is None and prop.get("nullable")):
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            wrong.append(f"{field}={value!r} declared {prop}")
        elif "pattern" in prop and not re.search(prop["pattern"], value):
            wrong.append(f"{field}={value!r} does not match {prop['pattern']}")
    return wrong


@pytest.mark.parametrize(
    ("resource", "api"),
    [("course", "CourseApi"), ("plan", "PlanApi"), ("question", "QuestionApi")],
)
def test_response_values_have_their_declared_types(app, client, api_as, document, resource, api):
    with app.app_context():
        instructor = make_user("Instructor")
        rows = {
            "course": make_course(instructors=[instructor], price=Decimal("49.90")),
            "plan": make_plan(price="12.50"),
            "question": make_question(make_bank(instructor), points="2.5"),
        }
        row_id = rows[resource].id
        db.session.remove()
    admin = api_as("Admin")
    shown = client.get(f"/api/v1/{resource}/{row_id}", headers=admin)
    assert shown.status_code == 200
    schemas = document["components"]["schemas"]
    assert _scalar_mismatches(shown.json["result"], schemas[f"{api}.get"]) == []
    listed = client.get(f"/api/v1/{resource}/", headers=admin)
    assert listed.status_code == 200 and listed.json["result"]
    for item in listed.json["result"]:
        assert _scalar_mismatches(item, schemas[f"{api}.get_list"]) == []
