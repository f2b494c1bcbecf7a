"""Demo data: the sessions of the demo bases' filed plans."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.auth import Actor
from jxjd.common.demo import demo_step
from jxjd.extensions import db
from jxjd.plans.demo import DEMO_PLANS
from jxjd.plans.services import current_filed_plan
from jxjd.sessions.models import TrainingSession
from jxjd.sessions.services import schedule_session


@demo_step
def load_sessions(ctx: dict[str, Any]) -> None:
    """Sessions within the filed 2026 plans (for a base that has none yet)."""
    sessions = []
    for spec in DEMO_PLANS:
        base = ctx["bases"][spec["base"]]
        if db.session.scalar(
            sa.select(TrainingSession.id).where(TrainingSession.base_id == base.id)
        ):
            continue
        plan = current_filed_plan(base.id, spec["year"])
        actor = Actor(role="base", name=base.name, ref="demo", base_id=base.id)
        for index, title, start, end, hours, place in spec["sessions"]:
            assert plan is not None  # filed by the demo's plans step above
            item = plan.items[index]
            data = {
                "plan_item_id": item.id,
                "title": title,
                "specialty": item.specialty,
                "category": item.category,
                "level": item.level,
                "audience": item.audience,
                "form": item.form,
                "start_date": start,
                "end_date": end,
                "hours": Decimal(hours),
                "location": place,
            }
            sessions.append(schedule_session(actor, base, data))
    ctx["sessions"] = sessions or None
