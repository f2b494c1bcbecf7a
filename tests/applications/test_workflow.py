"""The recognition workflow (第八条): recommend, review, visit, notice, recognize or reject."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.bases.models import Base
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.applications import DEPARTMENT


def _url(application, action: str) -> str:
    return f"/api/v1/applications/{application.id}/{action}"


REVIEW = {"reviewer": "专家甲", "score": 90, "opinion": "师资较强"}
VISIT = {"date": "2026-03-01", "findings": "场地、设备齐备", "passed": True}


@pytest.fixture
def admin(make_headers):
    return make_headers("admin")


@pytest.fixture
def dept(make_headers):
    return make_headers("dept", department=DEPARTMENT)


@pytest.fixture
def today(clock):
    """Freeze the app's "today" (Asia/Shanghai) at a date; returns a setter."""
    clock.freeze(date(2026, 6, 1))
    return clock.freeze


def test_department_recommends_its_units_application(client, dept, create_application):
    application = create_application("submitted")
    resp = client.post(_url(application, "recommend"), json={"opinion": "同意推荐"}, headers=dept)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "recommended"
    assert resp.json["recommendation"]["opinion"] == "同意推荐"
    assert resp.json["recommendation"]["by"]["role"] == "dept"


def test_another_department_cannot_recommend(client, make_headers, create_application):
    application = create_application("submitted")
    other = make_headers("dept", department="湖南省卫生健康委员会")
    resp = client.post(_url(application, "recommend"), json={"opinion": "同意"}, headers=other)
    assert_problem(resp, 403, "forbidden")


@pytest.mark.parametrize("role", ["admin", "applicant", "base"])
def test_only_the_department_recommends(
    client, make_headers, create_application, role, create_base
):
    application = create_application("submitted")
    scope = {
        "admin": {},
        "applicant": {"credit_code": application.applicant_code},
        "base": {"base_id": create_base().id},
    }[role]
    resp = client.post(
        _url(application, "recommend"),
        json={"opinion": "同意"},
        headers=make_headers(role, **scope),
    )
    assert_problem(resp, 403, "forbidden")


@pytest.mark.parametrize("stage", ["draft", "recommended", "under_review", "on_notice"])
def test_recommending_outside_submitted_is_an_invalid_transition(
    client, dept, create_application, stage
):
    application = create_application(stage)
    resp = client.post(_url(application, "recommend"), json={"opinion": "同意"}, headers=dept)
    assert_problem(resp, 409, "invalid_transition")


def test_several_reviewers_are_each_kept(client, admin, create_application):
    application = create_application("recommended")
    first = client.post(_url(application, "reviews"), json=REVIEW, headers=admin)
    assert first.status_code == 201 and first.json["status"] == "under_review"
    second = client.post(
        _url(application, "reviews"),
        json={"reviewer": "专家乙", "score": 75, "opinion": "建议补充实训场地"},
        headers=admin,
    )
    assert second.status_code == 201
    reviews = second.json["reviews"]
    assert [(r["reviewer"], r["score"]) for r in reviews] == [("专家甲", 90), ("专家乙", 75)]
    assert second.json["status"] == "under_review"


@pytest.mark.parametrize("score", [-1, 101, "高"])
def test_review_scores_are_0_to_100(client, admin, create_application, score):
    application = create_application("recommended")
    resp = client.post(_url(application, "reviews"), json={**REVIEW, "score": score}, headers=admin)
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "score"


@pytest.mark.parametrize("stage", ["draft", "submitted", "on_notice"])
def test_reviewing_before_recommendation_or_after_notice_is_refused(
    client, admin, create_application, stage
):
    application = create_application(stage)
    resp = client.post(_url(application, "reviews"), json=REVIEW, headers=admin)
    assert_problem(resp, 409, "invalid_transition")


@pytest.mark.parametrize("action", ["reviews", "site-visit", "notice", "recognize", "reject"])
def test_departments_and_applicants_cannot_take_the_hr_departments_steps(
    client, dept, make_headers, create_application, action
):
    application = create_application("under_review")
    applicant = make_headers("applicant", credit_code=application.applicant_code)
    body = {**REVIEW, **VISIT, "days": 5, "reason": "不符合条件"}
    for headers in (dept, applicant):
        assert_problem(client.post(_url(application, action), json=body, headers=headers), 403)


def test_site_visit_is_recorded_while_under_review(client, admin, create_application):
    application = create_application("under_review")
    resp = client.post(_url(application, "site-visit"), json=VISIT, headers=admin)
    assert resp.status_code == 201, resp.json
    assert resp.json["site_visits"][0]["date"] == "2026-03-01"
    assert resp.json["site_visits"][0]["passed"] is True
    assert resp.json["status"] == "under_review"


@pytest.mark.parametrize("stage", ["submitted", "recommended", "on_notice"])
def test_site_visit_outside_review_is_refused(client, admin, create_application, stage):
    application = create_application(stage)
    resp = client.post(_url(application, "site-visit"), json=VISIT, headers=admin)
    assert_problem(resp, 409, "invalid_transition")


def test_notice_needs_a_review_and_a_passed_site_visit(client, admin, create_application):
    application = create_application("under_review")
    # Out of order (第八条: review, site visit, then notice): a wrong move, 409 with the reason.
    resp = client.post(_url(application, "notice"), json={"days": 7}, headers=admin)
    body = assert_problem(resp, 409, "invalid_transition")
    assert [e["code"] for e in body["errors"]] == ["site_visit_missing"]
    client.post(_url(application, "site-visit"), json={**VISIT, "passed": False}, headers=admin)
    resp = client.post(_url(application, "notice"), json={"days": 7}, headers=admin)
    assert_problem(resp, 409, "site_visit_missing")


def test_notice_without_any_review_lists_both_missing(app, client, admin, create_application):
    application = create_application("under_review")
    # An application under review always has a review through the API; remove it to check.
    application.reviews.clear()
    db.session.commit()
    resp = client.post(_url(application, "notice"), json={"days": 7}, headers=admin)
    body = assert_problem(resp, 409, "invalid_transition")
    assert sorted(e["code"] for e in body["errors"]) == ["reviews_missing", "site_visit_missing"]


def test_notice_starts_today_and_ends_after_the_given_days(
    client, admin, create_application, today
):
    today(date(2026, 6, 1))
    application = create_application("visited")
    resp = client.post(_url(application, "notice"), json={"days": 7}, headers=admin)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "on_notice"
    assert resp.json["notice"] == {
        "start_date": "2026-06-01",
        "days": 7,
        "notice_until": "2026-06-07",
    }
    assert resp.json["notice_until"] == "2026-06-07"


def test_notice_accepts_a_start_date(client, admin, create_application):
    application = create_application("visited")
    resp = client.post(
        _url(application, "notice"), json={"days": 5, "start_date": "2026-07-01"}, headers=admin
    )
    assert resp.json["notice"]["notice_until"] == "2026-07-05"


@pytest.mark.parametrize("days", [0, -3, 91])
def test_notice_days_must_be_sensible(client, admin, create_application, days):
    application = create_application("visited")
    resp = client.post(_url(application, "notice"), json={"days": days}, headers=admin)
    assert_problem(resp, 422, "invalid_days")


@pytest.mark.parametrize("stage", ["submitted", "recommended", "on_notice"])
def test_notice_outside_review_is_refused(client, admin, create_application, stage):
    application = create_application(stage)
    resp = client.post(_url(application, "notice"), json={"days": 7}, headers=admin)
    assert_problem(resp, 409, "invalid_transition")


def test_recognizing_on_the_last_notice_day_is_too_early(client, admin, create_application, today):
    application = create_application("on_notice", notice_start=date(2026, 6, 1), notice_days=7)
    today(date(2026, 6, 7))
    resp = client.post(_url(application, "recognize"), headers=admin)
    body = assert_problem(resp, 409, "notice_not_over")
    assert "2026-06-07" in body["detail"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Base)) == 0


def test_recognizing_the_day_after_the_notice_creates_the_base(
    client, admin, create_application, today
):
    application = create_application(
        "on_notice",
        notice_start=date(2026, 6, 1),
        notice_days=7,
        specialties=[
            {"name": "电子信息", "levels": ["senior", "intermediate"], "audiences": ["public"]}
        ],
    )
    today(date(2026, 6, 8))
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert resp.status_code == 201, resp.json
    assert resp.json["plaque_number"] == "湘继教基地〔2026〕第001号"
    base = db.session.get(Base, resp.json["base_id"])
    assert base.status == "recognized"
    assert base.name == "湖南某某学院" and base.credit_code == application.credit_code
    assert base.department == DEPARTMENT and base.address == "长沙市岳麓区麓山路1号"
    assert (base.contact_name, base.contact_phone, base.contact_email) == (
        "李四",
        "0731-2",
        "jxjy@example.cn",
    )
    assert base.recognized_on == date(2026, 6, 8)
    assert base.plaque_number == "湘继教基地〔2026〕第001号"
    assert [(s.name, s.levels, s.audiences) for s in base.specialties] == [
        ("电子信息", ["senior", "intermediate"], ["public"])
    ]
    detail = client.get(f"/api/v1/applications/{application.id}", headers=admin).json
    assert detail["status"] == "recognized" and detail["base_id"] == base.id
    via_bases = client.get(f"/api/v1/bases/{base.id}", headers=admin).json
    assert via_bases["status"] == "recognized"


def test_plaque_numbers_run_in_sequence_per_year(client, admin, create_application, today):
    first = create_application("on_notice", notice_start=date(2026, 5, 1))
    second = create_application("on_notice", notice_start=date(2026, 5, 1))
    third = create_application("on_notice", notice_start=date(2026, 5, 1))
    today(date(2026, 12, 31))
    numbers = [
        client.post(_url(a, "recognize"), headers=admin).json["plaque_number"]
        for a in (first, second)
    ]
    today(date(2027, 1, 2))
    numbers.append(client.post(_url(third, "recognize"), headers=admin).json["plaque_number"])
    assert numbers == [
        "湘继教基地〔2026〕第001号",
        "湘继教基地〔2026〕第002号",
        "湘继教基地〔2027〕第001号",
    ]


def test_plaque_numbers_skip_ones_given_by_hand(
    client, admin, create_application, create_base, today
):
    create_base(plaque_number="湘继教基地〔2026〕第001号")
    application = create_application("on_notice", notice_start=date(2026, 5, 1))
    today(date(2026, 6, 1))
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert resp.json["plaque_number"] == "湘继教基地〔2026〕第002号"


def test_a_base_registered_ahead_as_applying_becomes_the_recognized_base(
    client, admin, create_application, create_base, today
):
    base = create_base(status="applying", name="旧名称")
    application = create_application(
        "on_notice", credit_code=base.credit_code, notice_start=date(2026, 5, 1)
    )
    today(date(2026, 6, 1))
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert resp.status_code == 201, resp.json
    assert resp.json["base_id"] == base.id
    db.session.refresh(base)
    assert base.status == "recognized" and base.name == "湖南某某学院"
    assert [s.name for s in base.specialties] == ["电子信息"]


def test_recognition_is_refused_if_the_unit_became_a_base_meanwhile(
    client, admin, create_application, create_base, today
):
    application = create_application("on_notice", notice_start=date(2026, 5, 1))
    create_base(credit_code=application.credit_code)
    today(date(2026, 6, 1))
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert_problem(resp, 409, "duplicate_credit_code")
    assert db.session.get(type(application), application.id).status == "on_notice"


@pytest.mark.parametrize("stage", ["draft", "submitted", "recommended", "under_review"])
def test_recognizing_before_notice_is_an_invalid_transition(
    client, admin, create_application, stage
):
    application = create_application(stage)
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert_problem(resp, 409, "invalid_transition")


def test_recognizing_twice_is_an_invalid_transition(client, admin, create_application, today):
    application = create_application("on_notice", notice_start=date(2026, 5, 1))
    today(date(2026, 6, 1))
    assert client.post(_url(application, "recognize"), headers=admin).status_code == 201
    resp = client.post(_url(application, "recognize"), headers=admin)
    assert_problem(resp, 409, "invalid_transition")


@pytest.mark.parametrize(
    "stage", ["draft", "submitted", "recommended", "under_review", "on_notice"]
)
def test_the_hr_department_rejects_from_any_open_state(client, admin, create_application, stage):
    application = create_application(stage)
    resp = client.post(_url(application, "reject"), json={"reason": "师资不足"}, headers=admin)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "rejected"
    assert resp.json["rejection"]["reason"] == "师资不足"


def test_reject_needs_a_reason(client, admin, create_application):
    application = create_application("submitted")
    resp = client.post(_url(application, "reject"), json={"reason": ""}, headers=admin)
    assert_problem(resp, 422, "missing_reason")


def test_a_final_application_cannot_be_rejected_or_moved(client, admin, dept, create_application):
    application = create_application("submitted")
    client.post(_url(application, "reject"), json={"reason": "不符合条件"}, headers=admin)
    for action, body, headers in (
        ("reject", {"reason": "再次"}, admin),
        ("recommend", {"opinion": "同意"}, dept),
        ("reviews", REVIEW, admin),
    ):
        assert_problem(client.post(_url(application, action), json=body, headers=headers), 409)


def test_the_whole_history_is_kept_and_every_step_is_audited(
    client, admin, dept, new_applicant, application_payload_for, today
):
    headers, code = new_applicant()
    created = client.post(
        "/api/v1/applications", json=application_payload_for(code), headers=headers
    )
    app_id = created.json["id"]

    def url(action):
        return f"/api/v1/applications/{app_id}/{action}"

    assert client.post(url("submit"), headers=headers).status_code == 200
    assert client.post(url("recommend"), json={"opinion": "同意"}, headers=dept).status_code == 200
    assert client.post(url("reviews"), json=REVIEW, headers=admin).status_code == 201
    assert client.post(url("site-visit"), json=VISIT, headers=admin).status_code == 201
    today(date(2026, 6, 1))
    assert client.post(url("notice"), json={"days": 5}, headers=admin).status_code == 200
    today(date(2026, 6, 6))
    assert client.post(url("recognize"), headers=admin).status_code == 201
    history = client.get(f"/api/v1/applications/{app_id}", headers=headers).json["history"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("recommend", "submitted", "recommended"),
        ("review", "recommended", "under_review"),
        ("site_visit", "under_review", "under_review"),
        ("notice", "under_review", "on_notice"),
        ("recognize", "on_notice", "recognized"),
    ]
    assert [h["by"]["role"] for h in history] == [
        "applicant",
        "applicant",
        "dept",
        "admin",
        "admin",
        "admin",
        "admin",
    ]
    assert all(h["at"].endswith("+08:00") for h in history)
    assert history[5]["details"]["notice_until"] == "2026-06-05"
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.target_type == "application", AuditEvent.target_id == str(app_id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "application.create",
        "application.submit",
        "application.recommend",
        "application.review",
        "application.site_visit",
        "application.notice",
        "application.recognize",
    ]
