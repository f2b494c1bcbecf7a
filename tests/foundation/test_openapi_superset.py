"""The OpenAPI document only grows: everything the snapshot of issue #9's document holds stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.foundation.openapi_outline import outline

SNAPSHOT = json.loads((Path(__file__).parent / "openapi_v1_outline.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def served(app):
    with app.test_client() as client:
        return outline(client.get("/api/v1/openapi.json").json)


@pytest.mark.parametrize("key", sorted(SNAPSHOT["operations"]))
def test_every_operation_of_the_snapshot_is_still_described(served, key):
    before, now = SNAPSHOT["operations"][key], served["operations"].get(key)
    assert now is not None, f"{key} left the document"
    assert set(before["parameters"]) <= set(now["parameters"])
    assert now["secured"] == before["secured"]
    if before["body"] is not None:
        assert now["body"] is not None, f"{key} lost its request body"
        for kind, schema in before["body"].items():
            assert kind in now["body"]
            assert now["body"][kind]["name"] == schema["name"]
            assert set(schema["properties"]) <= set(now["body"][kind]["properties"])
    for code, kinds in before["responses"].items():
        assert code in now["responses"], f"{key} no longer documents {code}"
        assert set(kinds) <= set(now["responses"][code])


def test_every_schema_of_the_snapshot_keeps_its_properties(served):
    for name, schema in SNAPSHOT["schemas"].items():
        assert name in served["schemas"], name
        assert set(schema["properties"]) <= set(served["schemas"][name]["properties"]), name
