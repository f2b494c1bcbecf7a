"""POST /api/v1/bases/{id}/sessions (CONTRACT §5): a truth table over every check.

Each row turns exactly one check red on an otherwise good session (a recognized base with a filed
2027 plan, a session of its item inside the scope), then a few rows turn several red together.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.auth import CLI
from jxjd.bases.services import change_base_status
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession
from jxjd.sessions.services import CHECK_CODES
from tests.conftest import assert_problem
from tests.fixtures.plans import general_item_payload, item_payload, session_payload

ALL_CODES = [
    "base_not_active",
    "specialty_not_recognized",
    "level_not_recognized",
    "audience_not_recognized",
    "plan_not_filed",
    "not_in_plan",
    "invalid_dates",
    "invalid_hours",
]


def _count_sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))


def _session_events() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.target_type == "session")
    )


@pytest.fixture
def ready(create_base_in, create_filed_plan, base_headers):
    """ready(status="recognized") → (base, its filed 2027 plan item, the base's headers)."""

    def make(status: str = "recognized", items=None):
        base = create_base_in("recognized" if status != "applying" else "applying")
        plan = create_filed_plan(base, items=items)
        if status not in ("recognized", "applying"):
            change_base_status(CLI, base, status, "测试")
            db.session.commit()
        return base, plan.items[0], base_headers(base)

    return make


def _post(client, base, headers, payload):
    return client.post(f"/api/v1/bases/{base.id}/sessions", json=payload, headers=headers)


def _refused_with(resp, codes: list[str]) -> dict:
    body = assert_problem(resp, 422)
    assert sorted(e["code"] for e in body["errors"]) == sorted(codes), body["errors"]
    for error in body["errors"]:
        assert error["message"] and error["row"] is None
    assert _count_sessions() == 0
    assert _session_events() == 0
    return body


def _replace_specialties(client, base, admin_headers, electronics: dict) -> None:
    specialties = [
        {
            "name": "电子信息",
            "levels": ["senior", "intermediate"],
            "audiences": ["public", "internal"],
        }
        | electronics,
        {
            "name": "公需科目",
            "levels": ["senior", "intermediate", "junior"],
            "audiences": ["public"],
        },
    ]
    resp = client.put(
        f"/api/v1/bases/{base.id}/specialties",
        json={"specialties": specialties},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.json


# ---- the good session ----------------------------------------------------------------------


def test_check_codes_are_the_contract_list():
    assert list(CHECK_CODES) == ALL_CODES


def test_created_session_lists_every_check_as_passed(client, ready):
    base, item, headers = ready()
    payload = session_payload(item)
    resp = _post(client, base, headers, payload)
    assert resp.status_code == 201
    body = resp.json
    assert isinstance(body["id"], int)
    assert body["checks"] == [{"code": code, "passed": True} for code in ALL_CODES]
    assert body["warnings"] == []
    for key, value in payload.items():
        assert body[key] == value, key
    assert _count_sessions() == 1


def test_created_session_can_be_read_back(client, ready):
    base, item, headers = ready()
    created = _post(client, base, headers, session_payload(item)).json
    fetched = client.get(f"/api/v1/sessions/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json == created


def test_creating_a_session_is_audited(client, ready):
    from jxjd.audit.services import events_for

    base, item, headers = ready()
    created = _post(client, base, headers, session_payload(item)).json
    (event,) = events_for("session", created["id"])
    assert (event.action, event.actor_role) == ("session.create", "base")


def test_hours_may_have_one_decimal(client, ready):
    base, item, headers = ready()
    resp = _post(client, base, headers, session_payload(item, hours=1.5, end_date="2027-03-01"))
    assert (resp.status_code, resp.json["hours"]) == (201, 1.5)


# ---- base_not_active -----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["revoked", "barred", "applying"])
def test_session_of_an_inactive_base_is_refused(client, ready, status):
    base, item, headers = ready(status)
    body = _refused_with(_post(client, base, headers, session_payload(item)), ["base_not_active"])
    assert body["errors"][0]["field"] == "base"


def test_rectifying_base_may_run_sessions_with_a_warning(client, ready):
    base, item, headers = ready("rectifying")
    resp = _post(client, base, headers, session_payload(item))
    assert resp.status_code == 201
    assert [w["code"] for w in resp.json["warnings"]] == ["base_rectifying"]
    assert all(c["passed"] for c in resp.json["checks"])


# ---- scope (第十八条) ---------------------------------------------------------------------


def test_session_outside_the_recognized_specialties_is_refused(client, ready, admin_headers):
    base, item, headers = ready()
    _replace_specialties(client, base, admin_headers, {"name": "机械制造"})
    body = _refused_with(
        _post(client, base, headers, session_payload(item)), ["specialty_not_recognized"]
    )
    assert body["errors"][0]["field"] == "specialty"


def test_session_at_an_unrecognized_level_is_refused(client, ready, admin_headers):
    base, item, headers = ready()
    _replace_specialties(client, base, admin_headers, {"levels": ["intermediate"]})
    body = _refused_with(
        _post(client, base, headers, session_payload(item)), ["level_not_recognized"]
    )
    assert body["errors"][0]["field"] == "level"


def test_session_for_an_unrecognized_audience_is_refused(client, ready, admin_headers):
    base, item, headers = ready()
    _replace_specialties(client, base, admin_headers, {"audiences": ["internal"]})
    body = _refused_with(
        _post(client, base, headers, session_payload(item)), ["audience_not_recognized"]
    )
    assert body["errors"][0]["field"] == "audience"


def test_level_and_audience_both_unrecognized_are_both_listed(client, ready, admin_headers):
    base, item, headers = ready()
    _replace_specialties(
        client, base, admin_headers, {"levels": ["junior"], "audiences": ["internal"]}
    )
    _refused_with(
        _post(client, base, headers, session_payload(item)),
        ["level_not_recognized", "audience_not_recognized"],
    )


# ---- plan_not_filed (第十九条) -------------------------------------------------------------


def test_session_without_any_plan_is_refused(client, create_base, base_headers, create_plan_in):
    base = create_base()
    other = create_base()
    item = create_plan_in(other, "filed").items[0]  # a real item, of somebody else's plan
    body = _refused_with(
        _post(client, base, base_headers(base), session_payload(item)),
        ["plan_not_filed", "not_in_plan"],
    )
    assert body["errors"][0]["field"] == "start_date"
    assert "尚未备案" in body["errors"][0]["message"]
    # ISSUE11 item 4: with no filed plan, not_in_plan is listed too (CONTRACT §5), in words.
    assert body["errors"][1]["field"] == "plan_item_id"
    assert "没有已备案的" in body["errors"][1]["message"]


@pytest.mark.parametrize("status", ["draft", "submitted", "reviewed", "returned"])
def test_session_under_a_plan_not_yet_filed_is_refused(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    item = create_plan_in(base, status).items[0]
    _refused_with(
        _post(client, base, base_headers(base), session_payload(item)),
        ["plan_not_filed", "not_in_plan"],
    )


def test_session_in_a_year_without_a_filed_plan_is_refused(client, ready):
    base, item, headers = ready()
    payload = session_payload(item, start_date="2028-03-01", end_date="2028-03-03")
    _refused_with(_post(client, base, headers, payload), ["plan_not_filed", "not_in_plan"])


# ---- not_in_plan ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["omitted", "null"])
def test_session_without_a_plan_item_is_refused(client, ready, missing):
    base, item, headers = ready()
    payload = session_payload(item)
    if missing == "omitted":
        del payload["plan_item_id"]
    else:
        payload["plan_item_id"] = None
    body = _refused_with(_post(client, base, headers, payload), ["not_in_plan"])
    assert body["errors"][0]["field"] == "plan_item_id"


def test_session_pointing_at_an_unknown_item_is_refused(client, ready):
    base, item, headers = ready()
    _refused_with(
        _post(client, base, headers, session_payload(item, plan_item_id=9999)), ["not_in_plan"]
    )


def test_session_pointing_at_another_bases_item_is_refused(
    client, ready, create_base_in, create_filed_plan
):
    base, item, headers = ready()
    other = create_base_in("recognized")
    foreign = create_filed_plan(other).items[0]
    _refused_with(
        _post(client, base, headers, session_payload(item, plan_item_id=foreign.id)),
        ["not_in_plan"],
    )


def test_session_pointing_at_another_years_item_is_refused(client, ready, create_filed_plan):
    base, item, headers = ready()
    next_year = create_filed_plan(base, year=2028).items[0]
    _refused_with(
        _post(client, base, headers, session_payload(item, plan_item_id=next_year.id)),
        ["not_in_plan"],
    )


@pytest.mark.parametrize(
    "differs",
    [
        {"category": "general"},
        {"level": "intermediate"},
        {"audience": "internal"},
        {"specialty": "公需科目", "category": "professional"},
    ],
    ids=["category", "level", "audience", "specialty"],
)
def test_session_differing_from_its_plan_item_is_refused(client, ready, differs):
    # Every variant stays inside the recognized scope, so only the plan match fails.
    base, item, headers = ready()
    body = _refused_with(
        _post(client, base, headers, session_payload(item, **differs)), ["not_in_plan"]
    )
    assert body["errors"][0]["field"] == "plan_item_id"


# ---- invalid_dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("2027-03-03", "2027-03-01"), ("2027-12-30", "2028-01-02")],
    ids=["end-before-start", "across-years"],
)
def test_session_with_impossible_dates_is_refused(client, ready, start, end):
    base, item, headers = ready()
    body = _refused_with(
        _post(client, base, headers, session_payload(item, start_date=start, end_date=end)),
        ["invalid_dates"],
    )
    assert body["errors"][0]["field"] == "end_date"


def test_malformed_date_is_a_schema_error(client, ready):
    base, item, headers = ready()
    resp = _post(client, base, headers, session_payload(item, start_date="2027-02-30"))
    body = assert_problem(resp, 422, "invalid_date")
    assert body["errors"][0]["field"] == "start_date"
    assert _count_sessions() == 0


# ---- invalid_hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "start", "end"),
    [
        (0, "2027-03-01", "2027-03-03"),
        (-4, "2027-03-01", "2027-03-03"),
        (25, "2027-03-01", "2027-03-03"),
        (8.5, "2027-03-01", "2027-03-01"),
        ("abc", "2027-03-01", "2027-03-01"),
        (1.25, "2027-03-01", "2027-03-01"),
    ],
    ids=["zero", "negative", "over-3-days", "over-1-day", "not-a-number", "two-decimals"],
)
def test_session_with_impossible_hours_is_refused(client, ready, hours, start, end):
    base, item, headers = ready()
    payload = session_payload(item, hours=hours, start_date=start, end_date=end)
    body = _refused_with(_post(client, base, headers, payload), ["invalid_hours"])
    assert body["errors"][0]["field"] == "hours"


@pytest.mark.parametrize(
    ("hours", "start", "end"),
    [
        (24, "2027-03-01", "2027-03-03"),
        (8, "2027-03-01", "2027-03-01"),
        (0.5, "2027-03-01", "2027-03-01"),
    ],
)
def test_hours_up_to_the_daily_cap_are_accepted(client, ready, hours, start, end):
    base, item, headers = ready()
    payload = session_payload(item, hours=hours, start_date=start, end_date=end)
    assert _post(client, base, headers, payload).status_code == 201


def test_daily_cap_counts_calendar_days_including_both_ends(client, ready):
    base, item, headers = ready()
    # 28 February to 1 March 2027 is two calendar days (not a leap year): 16 hours at most.
    ok = session_payload(item, hours=16, start_date="2027-02-28", end_date="2027-03-01")
    assert _post(client, base, headers, ok).status_code == 201
    too_many = session_payload(item, hours=16.5, start_date="2027-02-28", end_date="2027-03-01")
    assert_problem(_post(client, base, headers, too_many), 422, "invalid_hours")


# ---- several at once -----------------------------------------------------------------------


def test_every_failed_check_is_listed_together(client, ready):
    base, item, headers = ready("revoked")
    payload = session_payload(item, start_date="2027-03-05", end_date="2027-03-01", hours=0)
    _refused_with(
        _post(client, base, headers, payload),
        ["base_not_active", "invalid_dates", "invalid_hours"],
    )


def test_scope_plan_and_hours_failures_are_listed_together(
    client, create_base_in, create_plan_in, base_headers
):
    base = create_base_in("rectifying")
    item = create_plan_in(base, "submitted").items[0]
    payload = session_payload(
        item, level="junior", audience="internal", hours=30, end_date="2027-03-02"
    )
    _refused_with(
        _post(client, base, base_headers(base), payload),
        ["level_not_recognized", "invalid_hours", "plan_not_filed", "not_in_plan"],
    )


def test_all_but_one_check_can_fail_together(client, ready, admin_headers):
    base, item, headers = ready("barred")
    _replace_specialties(client, base, admin_headers, {"name": "机械制造"})
    payload = session_payload(
        item, plan_item_id=None, start_date="2027-12-31", end_date="2028-01-01", hours=-1
    )
    _refused_with(
        _post(client, base, headers, payload),
        [
            "base_not_active",
            "specialty_not_recognized",
            "not_in_plan",
            "invalid_dates",
            "invalid_hours",
        ],
    )


# ---- warnings ------------------------------------------------------------------------------


def test_passing_the_planned_session_count_is_a_warning(client, ready):
    base, item, headers = ready(items=[item_payload(sessions=2), general_item_payload()])
    codes = []
    for n in range(3):
        resp = _post(client, base, headers, session_payload(item, title=f"第{n + 1}期"))
        assert resp.status_code == 201
        codes.append([w["code"] for w in resp.json["warnings"]])
    assert codes == [[], [], ["plan_sessions_exceeded"]]
    stored = client.get(f"/api/v1/bases/{base.id}/sessions", headers=headers).json["sessions"]
    assert [w["code"] for s in stored for w in s["warnings"]] == ["plan_sessions_exceeded"]


def test_sessions_of_another_item_do_not_count_toward_the_warning(client, ready):
    base, item, headers = ready(items=[item_payload(sessions=1), general_item_payload(sessions=1)])
    general = item.plan.items[1]
    assert _post(client, base, headers, session_payload(general)).json["warnings"] == []
    assert _post(client, base, headers, session_payload(item)).json["warnings"] == []


def test_hours_over_the_daily_cap_are_reported_even_when_the_dates_span_two_years(client, ready):
    base, item, headers = ready()
    payload = session_payload(item, start_date="2027-12-31", end_date="2028-01-01", hours=20)
    body = _refused_with(_post(client, base, headers, payload), ["invalid_dates", "invalid_hours"])
    assert "2 天最多" in next(e for e in body["errors"] if e["code"] == "invalid_hours")["message"]
