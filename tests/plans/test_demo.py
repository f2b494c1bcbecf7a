"""`flask demo`: filed plans with sessions and one plan waiting for review, loaded once."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from jxjd.sessions.models import TrainingSession


def _snapshot() -> tuple[list[tuple], list[tuple]]:
    db.session.expire_all()
    plans = db.session.execute(
        sa.select(Plan.id, Plan.base_id, Plan.year, Plan.version, Plan.status).order_by(Plan.id)
    ).all()
    sessions = db.session.execute(
        sa.select(TrainingSession.id, TrainingSession.plan_item_id).order_by(TrainingSession.id)
    ).all()
    return [tuple(p) for p in plans], [tuple(s) for s in sessions]


def test_demo_loads_plans_and_sessions_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    plans, sessions = _snapshot()

    statuses = [p[-1] for p in plans]
    assert statuses.count("filed") >= 2
    assert statuses.count("submitted") == 1
    assert len(sessions) >= 2
    filed = {p[0] for p in plans if p[-1] == "filed"}
    with_sessions = set(
        db.session.scalars(
            sa.select(Plan.id)
            .join(PlanItem, PlanItem.plan_id == Plan.id)
            .join(TrainingSession, TrainingSession.plan_item_id == PlanItem.id)
            .distinct()
        )
    )
    assert with_sessions == filed  # every filed demo plan has sessions; no other plan does

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert _snapshot() == (plans, sessions)
