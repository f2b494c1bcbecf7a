"""The served OpenAPI 3.1 document and the readable API page."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def spec(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    return resp.json


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(spec, ref):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document_is_openapi_3_1_with_info(spec):
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] and spec["info"]["version"]


def test_document_lists_the_foundation_paths(spec):
    for path in (
        "/api/v1/bases",
        "/api/v1/bases/{base_id}",
        "/api/v1/bases/{base_id}/status",
        "/api/v1/bases/{base_id}/specialties",
        "/api/v1/tokens",
    ):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/bases"]) == {"get", "post"}
    assert "put" in spec["paths"]["/api/v1/bases/{base_id}/specialties"]


def test_every_operation_has_responses_and_declares_its_path_parameters(spec):
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op["responses"], (path, method)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            in_path = set(re.findall(r"\{(\w+)\}", path))
            assert declared == in_path, (path, method)


def test_every_reference_resolves(spec):
    refs = set(_refs(spec))
    assert refs
    for ref in refs:
        assert isinstance(_resolve(spec, ref), dict), ref


def test_protected_operations_declare_bearer_auth_and_problem_errors(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    create = spec["paths"]["/api/v1/bases"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"201", "401", "403", "409", "422"} <= set(create["responses"])
    problem = create["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert _resolve(spec, problem["$ref"])["properties"]["errors"]["type"] == "array"


def test_status_change_documents_its_body(spec):
    body = spec["paths"]["/api/v1/bases/{base_id}/status"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = _resolve(spec, schema["$ref"])
    assert {"status", "reason"} <= set(schema["properties"])


def test_api_docs_page_renders(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "/api/v1/bases" in html and "/api/v1/tokens" in html


def _non_numeric_bounds(node, path=""):
    keywords = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keywords and not isinstance(value, int | float):
                yield f"{path}/{key}={value!r}"
            yield from _non_numeric_bounds(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _non_numeric_bounds(item, f"{path}/{i}")


def test_numeric_bounds_are_json_numbers(spec):
    assert list(_non_numeric_bounds(spec)) == []
