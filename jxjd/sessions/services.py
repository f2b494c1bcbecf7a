"""Scheduling a session: every check of CONTRACT §5 runs, all failures are reported together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize, fetch
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.common.enums import BASE_STATUSES, CATEGORIES
from jxjd.common.paging import Page, page_of
from jxjd.common.time import utcnow
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.plans.models import PlanItem
from jxjd.plans.services import current_filed_plan, scope_errors
from jxjd.rules.services import rules_for
from jxjd.sessions.models import TrainingSession

CHECK_CODES = (
    "base_not_active",
    "specialty_not_recognized",
    "level_not_recognized",
    "audience_not_recognized",
    "plan_not_filed",
    "not_in_plan",
    "invalid_dates",
    "invalid_hours",
)
MATCHED_FIELDS = {
    "specialty": "专业",
    "category": "科目类别",
    "level": "培训层次",
    "audience": "培训对象",
}


@dataclass
class CheckOutcome:
    """Every failed check (as contract errors) and the warnings of a proposed session."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    plan_item: PlanItem | None = None

    @property
    def failed_codes(self) -> set[str]:
        return {e["code"] for e in self.errors}

    def checks(self) -> list[dict[str, Any]]:
        """[{code, passed}] for every check, in contract order."""
        failed = self.failed_codes
        return [{"code": code, "passed": code not in failed} for code in CHECK_CODES]


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def check_session(base: Base, data: dict[str, Any]) -> CheckOutcome:
    """Run every check on a proposed session; store nothing."""
    out = CheckOutcome()
    if not base.is_active:
        out.errors.append(
            field_error(
                "base_not_active",
                f"基地当前状态为“{BASE_STATUSES[base.status]}”，不能开展培训",
                field="base",
            )
        )
    elif base.status == "rectifying":
        out.warnings.append(
            {"code": "base_rectifying", "message": "基地正在限期整改，请按整改要求规范开展培训"}
        )
    out.errors += scope_errors(base, data, "")

    start, end = data["start_date"], data["end_date"]
    dates_ok = end >= start and end.year == start.year
    if not dates_ok:
        message = "结束日期早于开始日期" if end < start else "培训开始与结束日期须在同一年度内"
        out.errors.append(field_error("invalid_dates", message, field="end_date"))

    hours: Decimal = data["hours"]
    cap = rules_for(start.year).daily_hour_cap
    if hours <= 0:
        out.errors.append(field_error("invalid_hours", "学时须大于 0", field="hours"))
    elif end >= start and hours > cap * _days(start, end):
        out.errors.append(
            field_error(
                "invalid_hours",
                f"学时超过每天 {cap} 学时的上限（{_days(start, end)} 天最多 {cap * _days(start, end)} 学时）",
                field="hours",
            )
        )

    _check_plan(out, base, data, start)
    return out


def _check_plan(out: CheckOutcome, base: Base, data: dict[str, Any], start: date) -> None:
    """plan_not_filed and not_in_plan (第十九条); the matched item, or a warning when it runs over."""
    plan = current_filed_plan(base.id, start.year)
    if plan is None:
        out.errors.append(
            field_error(
                "plan_not_filed",
                f"基地 {start.year} 年度培训计划尚未备案，不得以基地名义开展培训（第十九条）",
                field="start_date",
            )
        )
        # CONTRACT §5 lists both: with no filed plan the session cannot be in one either.
        out.errors.append(
            field_error(
                "not_in_plan",
                f"没有已备案的 {start.year} 年度计划，班次无法对应计划中的培训项目",
                field="plan_item_id",
            )
        )
        return
    item = next((i for i in plan.items if i.id == data.get("plan_item_id")), None)
    if item is None:
        message = (
            "须选择所属年度已备案计划中的培训项目"
            if data.get("plan_item_id") is None
            else f"培训项目 {data['plan_item_id']} 不在 {start.year} 年度已备案计划中"
        )
        out.errors.append(field_error("not_in_plan", message, field="plan_item_id"))
        return
    differing = [label for key, label in MATCHED_FIELDS.items() if getattr(item, key) != data[key]]
    if differing:
        out.errors.append(
            field_error(
                "not_in_plan",
                f"班次的{'、'.join(differing)}与计划项目“{item.title}”不一致",
                field="plan_item_id",
            )
        )
        return
    out.plan_item = item
    existing = (
        db.session.scalar(sa.select(sa.func.count()).where(TrainingSession.plan_item_id == item.id))
        or 0
    )
    if existing + 1 > item.sessions:
        out.warnings.append(
            {
                "code": "plan_sessions_exceeded",
                "message": f"计划项目“{item.title}”计划 {item.sessions} 期，本班次为第 {existing + 1} 期",
            }
        )


def schedule_session(actor: Actor, base: Base, data: dict[str, Any]) -> TrainingSession:
    """Create a session once every check passes; otherwise 422 with every failure."""
    authorize(actor, "session.create", base)
    outcome = check_session(base, data)
    if outcome.errors:
        raise ValidationFailed(outcome.errors, detail="培训班次未通过检查，未保存")
    assert outcome.plan_item is not None  # every check passed, the plan item among them
    session = TrainingSession(
        base_id=base.id,
        plan_item_id=outcome.plan_item.id,
        title=data["title"].strip(),
        specialty=data["specialty"],
        category=data["category"],
        level=data["level"],
        audience=data["audience"],
        form=data["form"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        year=data["end_date"].year,
        hours=data["hours"],
        location=(data.get("location") or "").strip(),
        checks=outcome.checks(),
        warnings=outcome.warnings,
        created_at=utcnow(),
    )
    db.session.add(session)
    db.session.flush()
    record_event(
        actor,
        "session.create",
        "session",
        session.id,
        base_id=base.id,
        title=session.title,
        category=CATEGORIES[session.category],
        warnings=[w["code"] for w in outcome.warnings],
    )
    return session


def get_session(actor: Actor, session_id: int, action: str = "session.read") -> TrainingSession:
    """A session the actor may `action`: 404 unknown, 403 out of scope."""
    return fetch(actor, action, TrainingSession, session_id, label="培训班次")


def list_sessions(
    base: Base, year: int | None = None, page: Page | None = None
) -> list[TrainingSession]:
    """A base's sessions, latest first (one page of them, if given)."""
    query = sa.select(TrainingSession).where(TrainingSession.base_id == base.id)
    if year is not None:
        query = query.where(TrainingSession.year == year)
    query = query.order_by(TrainingSession.start_date.desc(), TrainingSession.id.desc())
    return list(db.session.scalars(page_of(query, page)))
