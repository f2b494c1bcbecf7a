"""Two people acting on the same object at once (CONTRACT §11): exactly one wins, the other gets 409.

Each test releases two requests together (threads behind a barrier, each with its own client and
database session) and repeats it for ROUNDS fresh objects. Before jxjd/states.py every move was
check-then-act: two admins filing one plan both got 200 (two plan.file events), approve and return
both succeeded, a revoked base could end up rectifying, a certificate's second revocation
overwrote the first one's reason, and recognize against reject left an application rejected
with its base created (SQLite) or deadlocked on PostgreSQL (applications vs audit_heads).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.audit.models import AuditEvent
from jxjd.auth import CLI
from jxjd.bases.changes import file_base_change
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.common.crypto import app_keystore
from jxjd.common.time import utcnow
from jxjd.evaluations.models import Evaluation, EvaluationRound
from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from tests.fixtures.attendance import trainee
from tests.fixtures.plans import base_actor

ROUNDS = 20


@dataclass(frozen=True)
class Call:
    """One request of a race: method, path, JSON body, headers."""

    method: str
    path: str
    json: dict[str, Any] | None
    headers: dict[str, str]


def race(app, *calls: Call) -> list:
    """Send the calls from threads released at once; their responses, in order."""
    app_keystore().ensure_all()  # key files are created before the threads read them
    db.session.remove()  # the test's own session holds nothing the threads need
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int, call: Call) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            responses[index] = client.open(
                call.path, method=call.method, json=call.json, headers=call.headers
            )
        except BaseException as exc:  # surfaced in the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return responses


def events(action: str, target_id: Any) -> int:
    """How many audit events of `action` name this target."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.target_id == str(target_id))
    )


def one_winner(responses, ok: int = 200, code: str = "invalid_transition") -> int:
    """Exactly one success and one 409 with `code`; the winner's index."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses == sorted([ok, 409]), [r.get_data(as_text=True) for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.mimetype == "application/problem+json"
    assert loser.json["code"] == code, loser.json
    return next(i for i, r in enumerate(responses) if r.status_code == ok)


@pytest.fixture
def two_admins(make_headers):
    return make_headers("admin", name="省人社厅甲"), make_headers("admin", name="省人社厅乙")


def test_filing_a_plan_twice_at_once_files_it_once(app, create_base, create_plan_in, two_admins):
    for _ in range(ROUNDS):
        plan_id = create_plan_in(create_base(), "reviewed").id
        calls = [Call("POST", f"/api/v1/plans/{plan_id}/file", None, h) for h in two_admins]
        one_winner(race(app, *calls))
        assert events("plan.file", plan_id) == 1


def test_approving_and_returning_at_once_leaves_one_decision(
    app, create_base, create_plan_in, two_admins
):
    for _ in range(ROUNDS):
        plan_id = create_plan_in(create_base(), "submitted").id
        path = f"/api/v1/plans/{plan_id}/review"
        approve = Call("POST", path, {"approve": True, "comment": "同意"}, two_admins[0])
        refuse = Call("POST", path, {"approve": False, "comment": "请补充"}, two_admins[1])
        winner = one_winner(race(app, approve, refuse))
        assert events("plan.review", plan_id) == 1
        stored = db.session.scalar(sa.select(Plan.status).where(Plan.id == plan_id))
        assert stored == ("reviewed" if winner == 0 else "returned")


def test_submitting_a_plan_twice_at_once_submits_it_once(
    app, create_base, create_plan_in, base_headers
):
    for _ in range(ROUNDS):
        base = create_base()
        plan_id = create_plan_in(base, "draft").id
        headers = base_headers(base)
        calls = [Call("POST", f"/api/v1/plans/{plan_id}/submit", None, headers)] * 2
        one_winner(race(app, *calls))
        assert events("plan.submit", plan_id) == 1


def _status(base_id: int) -> str:
    return db.session.scalar(sa.select(Base.status).where(Base.id == base_id))


def test_revoking_a_base_twice_at_once_revokes_it_once(app, create_base, two_admins):
    for _ in range(ROUNDS):
        base_id = create_base().id
        path = f"/api/v1/bases/{base_id}/status"
        calls = [Call("POST", path, {"status": "revoked", "reason": "撤销"}, h) for h in two_admins]
        one_winner(race(app, *calls))
        assert events("base.status", base_id) == 1


def test_rectify_and_revoke_at_once_never_leave_a_revoked_base_rectifying(
    app, create_base, two_admins
):
    for _ in range(ROUNDS):
        base_id = create_base().id
        path = f"/api/v1/bases/{base_id}/status"
        rectify = Call("POST", path, {"status": "rectifying", "reason": "整改"}, two_admins[0])
        revoke = Call("POST", path, {"status": "revoked", "reason": "撤销"}, two_admins[1])
        responses = race(app, rectify, revoke)
        assert responses[1].status_code == 200, responses[1].get_data(as_text=True)
        # Rectifying first and then revoking is a valid sequence; the other order is refused.
        assert responses[0].status_code in (200, 409)
        if responses[0].status_code == 409:
            assert responses[0].json["code"] == "invalid_transition"
        assert _status(base_id) == "revoked"
        moved = [r for r in responses if r.status_code == 200]
        assert events("base.status", base_id) == len(moved)


def _certificate(base, session) -> Certificate:
    import_attendance(base_actor(base), session, rows_from_json([trainee()]))
    db.session.commit()
    return db.session.scalar(sa.select(Certificate).where(Certificate.session_id == session.id))


def test_revoking_a_certificate_twice_at_once_keeps_the_first_reason(
    app, open_session, create_session, two_admins
):
    target = open_session()
    base_id, item_id = target.base.id, target.session.plan_item_id
    for round_ in range(ROUNDS):
        base, item = db.session.get(Base, base_id), db.session.get(PlanItem, item_id)
        session = create_session(base, item, title=f"第{round_}期", hours=24)
        serial = _certificate(base, session).serial
        path = f"/api/v1/certificates/{serial}/revoke"
        calls = [Call("POST", path, {"reason": f"理由{i}"}, h) for i, h in enumerate(two_admins)]
        winner = one_winner(race(app, *calls), code="already_revoked")
        assert events("certificate.revoke", serial) == 1
        reason = db.session.scalar(
            sa.select(Certificate.revoked_reason).where(Certificate.serial == serial)
        )
        assert reason == f"理由{winner}"


def test_recognize_and_reject_at_once_decide_once(app, create_application, two_admins):
    for _ in range(ROUNDS):
        application = create_application("on_notice")
        app_id, code = application.id, application.credit_code
        base = f"/api/v1/applications/{app_id}"
        recognize = Call("POST", f"{base}/recognize", None, two_admins[0])
        reject = Call("POST", f"{base}/reject", {"reason": "不予认定"}, two_admins[1])
        responses = race(app, recognize, reject)
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 409], [200, 409]), [r.get_data(as_text=True) for r in responses]
        created = db.session.scalar(sa.select(sa.func.count()).where(Base.credit_code == code))
        recognized = responses[0].status_code == 201
        assert created == (1 if recognized else 0)
        assert events("application.recognize", app_id) == (1 if recognized else 0)
        assert events("application.reject", app_id) == (0 if recognized else 1)
        loser = responses[1] if recognized else responses[0]
        assert loser.json["code"] == "invalid_transition"


def test_accepting_and_refusing_a_change_at_once_decide_once(app, create_base, two_admins):
    for _ in range(ROUNDS):
        base = create_base()
        base_id = base.id
        change_id = file_base_change(CLI, base, {"name": f"{base.name}（更名）"}).id
        db.session.commit()
        path = f"/api/v1/base-changes/{change_id}"
        accept = Call("POST", f"{path}/accept", {}, two_admins[0])
        refuse = Call("POST", f"{path}/reject", {"reason": "材料不全"}, two_admins[1])
        winner = one_winner(race(app, accept, refuse))
        decided = ("base.change.accept", "base.change.reject")[winner]
        events_of_base = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.target_id == str(base_id), AuditEvent.action.like("base.change.%")
            )
        ).all()
        assert sorted(events_of_base) == sorted(["base.change.file", decided])


def _scored_evaluation(base) -> int:
    rnd = EvaluationRound(year=2029, name="评估", opened_at=utcnow(), opened_by="测试")
    existing = db.session.scalar(sa.select(EvaluationRound).where(EvaluationRound.year == 2029))
    rnd = existing or rnd
    db.session.add(rnd)
    db.session.flush()
    evaluation = Evaluation(
        round_id=rnd.id,
        base_id=base.id,
        status="scored",
        figures={},
        history=[],
        created_at=utcnow(),
    )
    db.session.add(evaluation)
    db.session.commit()
    return evaluation.id


def test_two_outcomes_at_once_decide_an_evaluation_once(app, create_base, two_admins):
    for _ in range(ROUNDS):
        evaluation_id = _scored_evaluation(create_base(recognized_on=date(2020, 1, 1)))
        path = f"/api/v1/evaluations/{evaluation_id}/outcome"
        calls = [
            Call("POST", path, {"outcome": outcome, "reason": "评估"}, headers)
            for outcome, headers in zip(("pass", "excellent"), two_admins, strict=True)
        ]
        one_winner(race(app, *calls))
        assert events("evaluation.outcome", evaluation_id) == 1
