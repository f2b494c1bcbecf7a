"""The rules' argument schema is derived from the `Rules` fields: one declaration per rule."""

from __future__ import annotations

from dataclasses import fields

import pytest

from jxjd.rules.schemas import RulesArgs
from jxjd.rules.services import HOUR_RULES, RULE_FIELDS, RULES, Rules
from tests.conftest import assert_problem


def test_every_settable_rule_is_an_argument_with_its_label_and_range(client):
    assert list(RulesArgs().fields) == RULE_FIELDS
    assert RULE_FIELDS == [f.name for f in fields(Rules) if f.name not in ("year", "overridden")]
    assert HOUR_RULES == [
        "required_total",
        "required_general",
        "required_professional",
        "daily_hour_cap",
    ]
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]["RulesArgs"]
    for rule in RULES:
        low, high = rule.metadata["range"]
        prop = spec["properties"][rule.name]
        assert (prop["minimum"], prop["maximum"]) == (low, high), rule.name
        assert prop["description"] == rule.metadata["label"]
        assert prop["type"] == ("number" if rule.name in HOUR_RULES else "integer")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_rule_refuses_values_outside_its_range(client, admin_headers, rule):
    low, high = rule.metadata["range"]
    for value in (low - 1, high + 1):
        resp = client.put("/api/v1/rules/2027", json={rule.name: value}, headers=admin_headers)
        assert_problem(resp, 422)
    resp = client.put("/api/v1/rules/2027", json={rule.name: high}, headers=admin_headers)
    assert resp.status_code == 200, resp.json
    assert resp.json[rule.name] == high
