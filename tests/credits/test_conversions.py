"""GET/PUT /api/v1/rules/{year}/conversions: the conversion table is data per year (CONTRACT §14)."""

from __future__ import annotations

from jxjd.audit.services import events_for
from jxjd.rules.conversions import DEFAULT_FORMS, conversions_for
from tests.conftest import assert_problem

REQUIRED = {
    "employer_training",
    "online_general",
    "conference",
    "paper",
    "book",
    "research",
    "visiting",
}


def _table(client, headers, year=2026):
    return client.get(f"/api/v1/rules/{year}/conversions", headers=headers)


def test_a_year_without_a_table_has_the_defaults_with_every_required_form(client, make_headers):
    resp = _table(client, make_headers("person", id_number="430104199003070015", name="张三"))
    assert resp.status_code == 200
    body = resp.json
    assert body["year"] == 2026 and body["version"] == 0 and body["overridden"] is False
    assert {f["form"] for f in body["forms"]} == REQUIRED == set(DEFAULT_FORMS)
    for form in body["forms"]:
        assert set(form) == {"form", "label", "category", "unit", "hours_per_unit", "yearly_cap"}
        assert form["category"] in ("general", "professional")
    online = next(f for f in body["forms"] if f["form"] == "online_general")
    assert (online["label"], online["category"]) == ("网络公需科目", "general")


def test_reading_needs_a_token(client):
    assert_problem(_table(client, {}), 401)


def test_admin_sets_a_year_and_each_save_is_a_new_version(client, admin_headers):
    forms = _table(client, admin_headers).json["forms"]
    paper = next(f for f in forms if f["form"] == "paper")
    paper.update(hours_per_unit=15, yearly_cap=None)
    resp = client.put(
        "/api/v1/rules/2026/conversions", json={"forms": forms}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["version"] == 1
    stored = conversions_for(2026).get("paper")
    assert (stored.hours_per_unit, stored.yearly_cap) == (15, None)
    assert conversions_for(2027).version == 0  # other years keep the defaults
    again = client.put(
        "/api/v1/rules/2026/conversions", json={"forms": forms}, headers=admin_headers
    )
    assert again.json["version"] == 2
    assert [e.action for e in events_for("conversion_tables", 2026)] == ["rules.conversions"] * 2


def test_only_admin_sets_the_table(client, make_headers):
    forms = _table(client, make_headers("admin")).json["forms"]
    for role, scope in (("dept", {"department": "湖南省教育厅"}), ("employer", {})):
        resp = client.put(
            "/api/v1/rules/2026/conversions",
            json={"forms": forms},
            headers=make_headers(role, **scope),
        )
        assert_problem(resp, 403)
    assert conversions_for(2026).version == 0


def test_a_bad_table_is_refused_and_changes_nothing(client, admin_headers):
    forms = _table(client, admin_headers).json["forms"]
    cases = [
        ([f for f in forms if f["form"] != "paper"], "missing_form"),
        (forms + [dict(forms[0])], "duplicate_form"),
        ([{**forms[0], "hours_per_unit": 0}] + forms[1:], "out_of_range"),
        ([{**forms[0], "category": "other"}] + forms[1:], "invalid_choice"),
        ([{**forms[0], "unit": "week"}] + forms[1:], "invalid_choice"),
        ([{**forms[0], "label": "x" * 201}] + forms[1:], "too_long"),
        ([{**forms[0], "form": "Bad Form"}] + forms[1:], None),
    ]
    for body, code in cases:
        resp = client.put(
            "/api/v1/rules/2026/conversions", json={"forms": body}, headers=admin_headers
        )
        assert_problem(resp, 422, code)
    assert conversions_for(2026).version == 0
    assert_problem(
        client.put("/api/v1/rules/1999/conversions", json={"forms": forms}, headers=admin_headers),
        422,
        "invalid_parameter",
    )


def test_the_page_shows_the_table_and_admin_saves_it(client, make_account):
    from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from

    make_account("admin", username="admin1")
    login = client.get("/login")
    client.post(
        "/login",
        data={
            "username": "admin1",
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token_from(login.text),
        },
    )
    page = client.get("/rules/2026/conversions")
    assert page.status_code == 200 and "学时认定折算表" in page.text and "发表论文" in page.text
    table = conversions_for(2026)
    data = {"csrf_token": csrf_token_from(page.text)}
    for key in ("form", "label", "category", "unit", "hours_per_unit", "yearly_cap"):
        data[key] = [
            str(getattr(c, key) if getattr(c, key) is not None else "") for c in table.forms
        ]
    data["hours_per_unit"][3] = "12.5"
    resp = client.post("/rules/2026/conversions", data=data)
    assert resp.status_code == 302, resp.text
    assert conversions_for(2026).forms[3].hours_per_unit == 12.5
    data["hours_per_unit"][3] = "-1"
    bad = client.post("/rules/2026/conversions", data=data)
    assert bad.status_code == 422 and "数值超出允许范围" in bad.text
