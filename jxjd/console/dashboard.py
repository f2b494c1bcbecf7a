"""The admin's 待办 board: what waits on the province today, counted from the records."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.applications.models import Application
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.common.time import LOCAL_TZ, local_today
from jxjd.extensions import db
from jxjd.plans.models import Plan

# Steps of an application that wait on someone (drafts wait on the applicant; final ones on no one).
OPEN_STEPS = ("submitted", "recommended", "under_review", "on_notice")
NOTICE_DAYS_AHEAD = 7


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _month_start_utc() -> datetime:
    first = local_today().replace(day=1)
    return datetime.combine(first, time(), tzinfo=LOCAL_TZ)


def todo(actor: Actor) -> dict[str, Any]:
    """The board's figures and the applications whose notice ends within a week."""
    authorize(actor, "console.dashboard")
    today = local_today()
    steps = dict(
        db.session.execute(
            sa.select(Application.status, sa.func.count())
            .where(Application.status.in_(OPEN_STEPS))
            .group_by(Application.status)
        ).all()
    )
    notices = db.session.scalars(
        sa.select(Application)
        .where(
            Application.status == "on_notice",
            Application.notice_until <= today + timedelta(days=NOTICE_DAYS_AHEAD),
        )
        .order_by(Application.notice_until, Application.id)
    ).all()
    live_plans = sa.select(Plan.id).where(Plan.superseded_at.is_(None))
    return {
        "plans_to_review": _count(live_plans.where(Plan.status == "submitted")),
        "plans_to_file": _count(live_plans.where(Plan.status == "reviewed")),
        "late_plans": _count(live_plans.where(Plan.late.is_(True), Plan.year >= today.year)),
        "applications": {status: steps.get(status, 0) for status in OPEN_STEPS},
        "notices": list(notices),
        "today": today,
        "rectifying": _count(sa.select(Base.id).where(Base.status == "rectifying")),
        "revoked_this_month": _count(
            sa.select(Certificate.id).where(Certificate.revoked_at >= _month_start_utc())
        ),
    }
