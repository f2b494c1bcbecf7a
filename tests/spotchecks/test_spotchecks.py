"""Random spot checks (第二十一条 不定期抽查): drawn across bases, reproducible from the seed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.audit.services import events_for
from jxjd.extensions import db
from jxjd.spotchecks import services
from jxjd.spotchecks.models import SpotCheck, SpotCheckItem
from tests.conftest import assert_problem


@pytest.fixture
def sessions_2027(create_base, create_filed_plan, create_session):
    """Six 2027 sessions at two bases and one 2028 session: {"a": [...], "b": [...]}."""
    from tests.fixtures.plans import item_payload

    a, b = create_base(name="甲基地"), create_base(name="乙基地")
    out = {}
    for key, base in (("a", a), ("b", b)):
        item = create_filed_plan(base, items=[item_payload(sessions=10)]).items[0]
        out[key] = [
            create_session(
                base,
                item,
                title=f"{base.name}第{n}期",
                start_date=f"2027-0{n}-01",
                end_date=f"2027-0{n}-03",
            )
            for n in range(1, 4)
        ]
    item28 = create_filed_plan(a, year=2028).items[0]
    out["later_year"] = create_session(a, item28)
    out["bases"] = (a, b)
    return out


def _draw(client, headers, year=2027, size=4):
    return client.post("/api/v1/spot-checks", json={"year": year, "size": size}, headers=headers)


def test_draw_returns_the_seed_and_the_sample(client, sessions_2027, admin_headers):
    resp = _draw(client, admin_headers)
    assert resp.status_code == 201
    body = resp.json
    assert (body["year"], body["size"], body["population_size"]) == (2027, 4, 6)
    assert isinstance(body["seed"], str) and len(body["seed"]) >= 16
    ids_2027 = {s.id for s in sessions_2027["a"] + sessions_2027["b"]}
    drawn = [i["session_id"] for i in body["items"]]
    assert len(drawn) == 4 == len(set(drawn))
    assert set(drawn) <= ids_2027
    for item in body["items"]:
        assert item["outcome"] == "pending"
        assert item["base_name"] in ("甲基地", "乙基地")
        assert item["inspected_at"] is None


def test_sample_is_larger_than_the_population_takes_every_session(
    client, sessions_2027, admin_headers
):
    body = _draw(client, admin_headers, size=50).json
    assert body["population_size"] == 6
    assert len(body["items"]) == 6


def test_draws_cover_sessions_of_every_base(client, sessions_2027, admin_headers):
    base_ids = set()
    for _ in range(5):
        base_ids |= {i["base_id"] for i in _draw(client, admin_headers, size=6).json["items"]}
    assert base_ids == {b.id for b in sessions_2027["bases"]}


def test_a_draw_is_reproduced_from_its_seed(client, sessions_2027, admin_headers):
    body = _draw(client, admin_headers).json
    resp = client.get(f"/api/v1/spot-checks/{body['id']}/reproduce", headers=admin_headers)
    assert resp.status_code == 200
    assert resp.json["reproduced"] is True
    assert resp.json["same_population"] is True
    assert resp.json["redrawn"] == [i["session_id"] for i in body["items"]]


def test_draw_with_the_stored_seed_gives_the_stored_items(client, sessions_2027, admin_headers):
    body = _draw(client, admin_headers).json
    check = db.session.get(SpotCheck, body["id"])
    population = sorted(s.id for s in sessions_2027["a"] + sessions_2027["b"])
    assert services.draw(population, check.size, check.seed) == [i.session_id for i in check.items]


def test_draw_is_a_pure_function_of_population_size_and_seed():
    population = list(range(1, 101))
    assert services.draw(population, 10, "seed-1") == services.draw(population, 10, "seed-1")
    assert services.draw(population, 10, "seed-1") != services.draw(population, 10, "seed-2")


def test_sessions_created_after_the_draw_do_not_change_the_reproduction(
    client, sessions_2027, create_session, admin_headers
):
    body = _draw(client, admin_headers).json
    a = sessions_2027["bases"][0]
    new = create_session(
        a,
        sessions_2027["a"][0].plan_item,
        title="抽查后新增",
        start_date="2027-09-01",
        end_date="2027-09-01",
        hours=8,
    )
    resp = client.get(f"/api/v1/spot-checks/{body['id']}/reproduce", headers=admin_headers).json
    assert (resp["reproduced"], resp["same_population"]) == (True, True)
    assert resp["redrawn"] == resp["stored"] == [i["session_id"] for i in body["items"]]
    assert new.id not in resp["redrawn"]
    # A fresh draw does see the new session.
    assert _draw(client, admin_headers).json["population_size"] == 7


def test_a_session_committed_after_the_draw_with_an_earlier_timestamp_changes_nothing(
    client, sessions_2027, create_session, admin_headers
):
    body = _draw(client, admin_headers).json
    a = sessions_2027["bases"][0]
    late = create_session(
        a,
        sessions_2027["a"][0].plan_item,
        title="迟提交",
        start_date="2027-09-02",
        end_date="2027-09-02",
        hours=8,
    )
    # As if its transaction had started before the draw and committed after it.
    db.session.execute(
        sa.text("UPDATE training_sessions SET created_at = :t WHERE id = :id"),
        {"t": "2000-01-01 00:00:00", "id": late.id},
    )
    db.session.commit()
    resp = client.get(f"/api/v1/spot-checks/{body['id']}/reproduce", headers=admin_headers).json
    assert (resp["reproduced"], resp["same_population"]) == (True, True)


def test_a_year_with_no_sessions_cannot_be_sampled(client, sessions_2027, admin_headers):
    body = assert_problem(_draw(client, admin_headers, year=2030), 422, "no_sessions")
    assert body["errors"][0]["field"] == "year"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotCheck)) == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"year": 2027}, "required"),
        ({"year": 2027, "size": 0}, "out_of_range"),
        ({"year": "2027", "size": 3}, "invalid_number"),
    ],
)
def test_malformed_draw_request_is_refused(client, admin_headers, payload, code):
    assert_problem(
        client.post("/api/v1/spot-checks", json=payload, headers=admin_headers), 422, code
    )


@pytest.mark.parametrize("outcome", ["pass", "issues", "fail"])
def test_recording_an_outcome_keeps_inspector_and_time(
    client, sessions_2027, make_headers, outcome
):
    headers = make_headers("admin", name="督查组王五")
    body = _draw(client, headers).json
    session_id = body["items"][1]["session_id"]
    resp = client.post(
        f"/api/v1/spot-checks/{body['id']}/items/{session_id}",
        json={"outcome": outcome, "findings": "签到表与名单一致"},
        headers=headers,
    )
    assert resp.status_code == 200
    assert (resp.json["outcome"], resp.json["findings"], resp.json["inspected_by"]) == (
        outcome,
        "签到表与名单一致",
        "督查组王五",
    )
    assert resp.json["inspected_at"].endswith("+08:00")
    item = db.session.scalar(sa.select(SpotCheckItem).where(SpotCheckItem.session_id == session_id))
    assert (item.outcome, item.inspected_by) == (outcome, "督查组王五")
    assert item.inspected_at is not None
    stored = client.get(f"/api/v1/spot-checks/{body['id']}", headers=headers).json
    assert stored["items"][1]["outcome"] == outcome
    assert [e.action for e in events_for("spot_check", body["id"])] == [
        "spotcheck.draw",
        "spotcheck.outcome",
    ]


def test_an_unknown_outcome_is_refused(client, sessions_2027, admin_headers):
    body = _draw(client, admin_headers).json
    resp = client.post(
        f"/api/v1/spot-checks/{body['id']}/items/{body['items'][0]['session_id']}",
        json={"outcome": "excellent"},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "invalid_choice")


def test_outcome_for_a_session_not_in_the_sample_is_not_found(client, sessions_2027, admin_headers):
    body = _draw(client, admin_headers, size=1).json
    drawn = body["items"][0]["session_id"]
    other = next(s.id for s in sessions_2027["a"] + sessions_2027["b"] if s.id != drawn)
    resp = client.post(
        f"/api/v1/spot-checks/{body['id']}/items/{other}",
        json={"outcome": "pass"},
        headers=admin_headers,
    )
    assert_problem(resp, 404, "not_found")


def test_unknown_spot_check_is_not_found(client, admin_headers):
    assert_problem(client.get("/api/v1/spot-checks/999", headers=admin_headers), 404, "not_found")
    resp = client.get("/api/v1/spot-checks/999/reproduce", headers=admin_headers)
    assert_problem(resp, 404, "not_found")


def test_spot_checks_are_listed_by_year(client, sessions_2027, admin_headers):
    first = _draw(client, admin_headers).json
    later = _draw(client, admin_headers, year=2028, size=1).json
    listed = client.get("/api/v1/spot-checks?year=2027", headers=admin_headers).json
    assert [c["id"] for c in listed["spot_checks"]] == [first["id"]]
    every = client.get("/api/v1/spot-checks", headers=admin_headers).json
    assert [c["id"] for c in every["spot_checks"]] == [later["id"], first["id"]]


@pytest.mark.parametrize("role", ["dept", "base"])
def test_only_admin_draws_and_records(client, sessions_2027, make_headers, admin_headers, role):
    a = sessions_2027["bases"][0]
    scope = {"department": a.department} if role == "dept" else {"base_id": a.id}
    headers = make_headers(role, **scope)
    assert_problem(_draw(client, headers), 403, "forbidden")
    body = _draw(client, admin_headers).json
    session_id = body["items"][0]["session_id"]
    for resp in (
        client.get(f"/api/v1/spot-checks/{body['id']}", headers=headers),
        client.get(f"/api/v1/spot-checks/{body['id']}/reproduce", headers=headers),
        client.post(
            f"/api/v1/spot-checks/{body['id']}/items/{session_id}",
            json={"outcome": "pass"},
            headers=headers,
        ),
    ):
        assert_problem(resp, 403, "forbidden")
