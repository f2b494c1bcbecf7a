"""Scores on the six items and the outcomes that move a base's status (第二十一条–第二十三条)."""

from __future__ import annotations

from datetime import date, timedelta

from jxjd.audit.services import events_for
from jxjd.bases.models import Base
from jxjd.common.time import local_today
from jxjd.extensions import db
from tests.conftest import assert_problem


def _eval_id(round_body, base) -> int:
    return next(e["id"] for e in round_body["evaluations"] if e["base"]["id"] == base.id)


def decide(client, evaluation_id, headers, **body):
    return client.post(f"/api/v1/evaluations/{evaluation_id}/outcome", json=body, headers=headers)


def base_status(base) -> str:
    db.session.expire_all()
    return db.session.get(Base, base.id).status


FUTURE = (local_today() + timedelta(days=90)).isoformat()


def test_scores_are_recorded_and_averaged(client, data_set, open_round, scored):
    eid = _eval_id(open_round(), data_set.a)
    scored(eid, "专家一")
    body = scored(eid, "专家二", teachers=90, tasks=70)
    assert body["status"] == "scored"
    assert [s["evaluator"] for s in body["scores"]] == ["专家一", "专家二"]
    summary = body["score_summary"]
    assert summary["evaluators"] == 2
    assert summary["items"] == {
        "teachers": 85.0,
        "funds": 70.0,
        "facilities": 90.0,
        "rules": 85.0,
        "tasks": 65.0,
        "effect": 75.0,
    }
    assert summary["total"] == 78.3  # (460/6 + 480/6) / 2
    assert [e.action for e in events_for("evaluation", eid)] == ["evaluation.score"] * 2


def test_bad_scores_are_refused(client, data_set, open_round, scored, admin_headers):
    eid = _eval_id(open_round(), data_set.a)
    url = f"/api/v1/evaluations/{eid}/scores"
    good = {"teachers": 80, "funds": 70, "facilities": 90, "rules": 85, "tasks": 60, "effect": 75}
    body = assert_problem(
        client.post(url, json={**good, "funds": 101}, headers=admin_headers), 422, "out_of_range"
    )
    assert body["errors"][0]["field"] == "funds"
    missing = {k: v for k, v in good.items() if k != "effect"}
    assert_problem(client.post(url, json=missing, headers=admin_headers), 422, "required")
    scored(eid, "专家一")
    assert_problem(
        client.post(url, json={**good, "evaluator": "专家一"}, headers=admin_headers),
        409,
        "already_scored",
    )


def test_outcome_needs_scores_first(client, data_set, open_round, admin_headers):
    eid = _eval_id(open_round(), data_set.a)
    resp = decide(client, eid, admin_headers, outcome="pass", reason="合格")
    assert_problem(resp, 409, "invalid_transition")


def test_rectify_moves_the_base_to_rectifying_then_revoke(
    client, data_set, open_round, scored, admin_headers
):
    eid = _eval_id(open_round(), data_set.a)
    scored(eid)
    assert_problem(
        decide(client, eid, admin_headers, outcome="rectify", reason="任务未完成"),
        422,
        "missing_deadline",
    )
    past = (local_today() - timedelta(days=1)).isoformat()
    assert_problem(
        decide(client, eid, admin_headers, outcome="rectify", reason="x", deadline=past),
        422,
        "invalid_deadline",
    )
    resp = decide(
        client, eid, admin_headers, outcome="rectify", reason="年培训人数不足", deadline=FUTURE
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["outcome"], body["status"], body["deadline"]) == ("rectify", "rectifying", FUTURE)
    assert base_status(data_set.a) == "rectifying"
    # Scores close once an outcome is given; excellent is no follow-up of a rectification.
    assert_problem(
        client.post(
            f"/api/v1/evaluations/{eid}/scores",
            json={"teachers": 1, "funds": 1, "facilities": 1, "rules": 1, "tasks": 1, "effect": 1},
            headers=admin_headers,
        ),
        409,
        "invalid_transition",
    )
    assert_problem(
        decide(client, eid, admin_headers, outcome="excellent", reason="x"),
        409,
        "invalid_transition",
    )
    resp = decide(client, eid, admin_headers, outcome="revoke", reason="逾期仍未整改到位")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "decided"
    assert [h["outcome"] for h in resp.get_json()["history"]] == ["rectify", "revoke"]
    assert base_status(data_set.a) == "revoked"
    assert [e.action for e in events_for("evaluation", eid)] == [
        "evaluation.score",
        "evaluation.outcome",
        "evaluation.outcome",
    ]
    assert_problem(
        decide(client, eid, admin_headers, outcome="pass", reason="x"), 409, "invalid_transition"
    )


def test_revoke_moves_the_base_to_revoked(client, data_set, open_round, scored, admin_headers):
    eid = _eval_id(open_round(), data_set.b)
    scored(eid)
    resp = decide(client, eid, admin_headers, outcome="revoke", reason="乱办班（第二十三条）")
    assert resp.status_code == 200
    assert base_status(data_set.b) == "revoked"
    changes = db.session.get(Base, data_set.b.id).status_changes
    assert changes[-1].to_status == "revoked" and "乱办班" in changes[-1].reason


def test_passing_a_rectification_restores_recognized(
    client, data_set, open_round, scored, admin_headers
):
    eid = _eval_id(open_round(), data_set.a)
    scored(eid)
    decide(client, eid, admin_headers, outcome="rectify", reason="整改", deadline=FUTURE)
    resp = decide(client, eid, admin_headers, outcome="pass", reason="整改到位")
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "pass"
    assert base_status(data_set.a) == "recognized"


def test_pass_keeps_the_base_status(client, data_set, open_round, scored, admin_headers):
    eid = _eval_id(open_round(), data_set.a)
    scored(eid)
    resp = decide(client, eid, admin_headers, outcome="pass", reason="合格")
    assert resp.status_code == 200 and resp.get_json()["status"] == "decided"
    assert base_status(data_set.a) == "recognized"


def test_excellent_bases_are_listed(client, data_set, open_round, scored, admin_headers):
    body = open_round()
    eid = _eval_id(body, data_set.a)
    scored(eid, teachers=98)
    resp = decide(client, eid, admin_headers, outcome="excellent", reason="成绩突出")
    assert resp.status_code == 200
    assert resp.get_json()["excellent_until"] == "2029-12-31"
    listed = client.get("/api/v1/evaluations/excellent")  # public: the directory reads it
    assert listed.status_code == 200
    assert listed.get_json()["bases"] == [
        {
            "base_id": data_set.a.id,
            "name": "甲基地",
            "department": "湖南省教育厅",
            "evaluation_id": eid,
            "round_year": 2026,
            "excellent_until": "2029-12-31",
        }
    ]
    assert_problem(
        decide(client, eid, admin_headers, outcome="revoke", reason="x"), 409, "invalid_transition"
    )
    directory = {b["id"]: b for b in client.get("/api/v1/directory").get_json()["bases"]}
    assert directory[data_set.a.id]["excellent"] is True
    assert all(not b["excellent"] for i, b in directory.items() if i != data_set.a.id)
    assert "评估优秀" in client.get("/directory").get_data(as_text=True)


def test_a_rectifying_base_cannot_be_excellent(client, data_set, open_round, scored, admin_headers):
    eid = _eval_id(open_round(), data_set.b)
    scored(eid)
    resp = decide(client, eid, admin_headers, outcome="excellent", reason="x")
    assert_problem(resp, 409, "invalid_transition")
    assert client.get("/api/v1/evaluations/excellent").get_json()["bases"] == []


def test_outcome_input_is_checked(client, data_set, open_round, scored, admin_headers):
    eid = _eval_id(open_round(), data_set.a)
    scored(eid)
    assert_problem(decide(client, eid, admin_headers, outcome="great", reason="x"), 422)
    assert_problem(decide(client, eid, admin_headers, outcome="pass"), 422, "missing_reason")
    assert_problem(decide(client, 99999, admin_headers, outcome="pass", reason="x"), 404)


def test_only_admin_decides_and_scope_limits_scoring(
    client, data_set, open_round, admin_headers, dept_headers, base_headers
):
    eid = _eval_id(open_round(), data_set.a)
    items = {"teachers": 80, "funds": 70, "facilities": 90, "rules": 85, "tasks": 60, "effect": 75}
    for headers in (dept_headers(), base_headers(data_set.a)):
        assert_problem(decide(client, eid, headers, outcome="pass", reason="x"), 403, "forbidden")
    url = f"/api/v1/evaluations/{eid}/scores"
    assert_problem(client.post(url, json=items, headers=base_headers(data_set.a)), 403)
    assert_problem(client.post(url, json=items, headers=dept_headers("湖南省卫生健康委员会")), 403)
    resp = client.post(url, json=items, headers=dept_headers())  # the base's own department
    assert resp.status_code == 201 and resp.get_json()["scores"][0]["evaluator"] == "湖南省教育厅"
    own = client.get(f"/api/v1/evaluations/{eid}", headers=base_headers(data_set.a))
    assert own.status_code == 200 and own.get_json()["base"]["id"] == data_set.a.id
    assert_problem(client.get(f"/api/v1/evaluations/{eid}", headers=base_headers(data_set.b)), 403)
    assert date.fromisoformat(own.get_json()["base"]["recognized_on"]) == date(2022, 6, 1)
