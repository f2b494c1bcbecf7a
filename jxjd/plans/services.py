"""Plan services: create and revise, submit (late flag), review, file."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.bases.services import can_read_base, require_live_base
from jxjd.common.enums import AUDIENCES, LEVELS, PLAN_STATUSES
from jxjd.common.paging import Page, page_of
from jxjd.common.time import local_today, utcnow
from jxjd.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from jxjd.extensions import db
from jxjd.plans.models import OPEN_STATUSES, Plan, PlanItem


class PlanInProgress(Conflict):
    code, title = "plan_in_progress", "该年度已有未备案的计划版本"


def submission_deadline(year: int) -> date:
    """Plans for `year` are due by 1 December of the year before (第十九条)."""
    return date(year - 1, 12, 1)


def is_late(year: int, submitted_on: date) -> bool:
    """Submitted after the deadline day (the deadline day itself is on time)."""
    return submitted_on > submission_deadline(year)


def scope_errors(base: Base, item: dict[str, Any], prefix: str) -> list[dict]:
    """Why an item (plan item or session) falls outside the base's recognized scope (第十八条)."""
    specialty = base.specialty(item["specialty"])
    if specialty is None:
        return [
            field_error(
                "specialty_not_recognized",
                f"专业“{item['specialty']}”不在基地认定的专业范围内",
                field=f"{prefix}specialty",
            )
        ]
    errors = []
    if item["level"] not in specialty.levels:
        errors.append(
            field_error(
                "level_not_recognized",
                f"专业“{specialty.name}”未认定{LEVELS.get(item['level'], item['level'])}培训层次",
                field=f"{prefix}level",
            )
        )
    if item["audience"] not in specialty.audiences:
        errors.append(
            field_error(
                "audience_not_recognized",
                f"专业“{specialty.name}”未认定“{AUDIENCES.get(item['audience'], item['audience'])}”培训对象",
                field=f"{prefix}audience",
            )
        )
    return errors


def _checked_items(base: Base, items: list[dict[str, Any]]) -> list[PlanItem]:
    errors = []
    for i, item in enumerate(items):
        errors += scope_errors(base, item, f"items[{i}].")
    if errors:
        raise ValidationFailed(errors)
    return [PlanItem(position=i, **item) for i, item in enumerate(items)]


def current_filed_plan(base_id: int, year: int) -> Plan | None:
    """The filed, not superseded version of a base's plan for a year."""
    return db.session.scalar(
        sa.select(Plan)
        .options(so.selectinload(Plan.items))
        .where(
            Plan.base_id == base_id,
            Plan.year == year,
            Plan.status == "filed",
            Plan.superseded_at.is_(None),
        )
    )


def filed_plans_by_year(base_id: int, years: set[int]) -> dict[int, Plan]:
    """The current filed plan of each of these years that has one, in one query."""
    plans = db.session.scalars(
        sa.select(Plan)
        .options(so.selectinload(Plan.items))
        .where(
            Plan.base_id == base_id,
            Plan.year.in_(sorted(years)),
            Plan.status == "filed",
            Plan.superseded_at.is_(None),
        )
        .order_by(Plan.year)
    )
    return {plan.year: plan for plan in plans}


def create_plan(actor: Actor, base: Base, year: int, items: list[dict[str, Any]]) -> Plan:
    """A new draft; when the year already has a filed plan, this is its next version."""
    require_live_base(base, "报送年度培训计划")
    plan_items = _checked_items(base, items)
    open_version = db.session.scalar(
        sa.select(Plan.id).where(
            Plan.base_id == base.id, Plan.year == year, Plan.status.in_(OPEN_STATUSES)
        )
    )
    if open_version is not None:
        raise PlanInProgress(
            f"{year} 年度计划已有未备案的版本（编号 {open_version}），请修改该版本"
        )
    latest = db.session.scalar(
        sa.select(sa.func.max(Plan.version)).where(Plan.base_id == base.id, Plan.year == year)
    )
    plan = Plan(
        base_id=base.id,
        year=year,
        version=(latest or 0) + 1,
        status="draft",
        late=False,
        created_at=utcnow(),
        items=plan_items,
    )
    db.session.add(plan)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise PlanInProgress(f"{year} 年度计划已有未备案的版本") from None
    record_event(
        actor,
        "plan.create",
        "plan",
        plan.id,
        base_id=base.id,
        year=year,
        version=plan.version,
        items=len(plan_items),
    )
    return plan


def _move(plan: Plan, allowed_from: tuple[str, ...], to: str) -> None:
    if plan.status not in allowed_from:
        raise InvalidTransition(
            f"计划当前状态为“{PLAN_STATUSES[plan.status]}”，不能变更为“{PLAN_STATUSES[to]}”"
        )
    plan.status = to


def update_plan(actor: Actor, plan: Plan, items: list[dict[str, Any]]) -> Plan:
    """Replace the items of a draft or returned version."""
    if actor.role not in ("admin", "base") or (
        actor.role == "base" and actor.base_id != plan.base_id
    ):
        raise Forbidden("只有基地本身或省人社厅可以修改计划")
    if plan.status not in ("draft", "returned"):
        raise InvalidTransition("只有草稿或退回的计划可以修改；已备案的计划请新建版本")
    base = db.session.get(Base, plan.base_id)
    require_live_base(base, "修改年度培训计划")
    new_items = _checked_items(base, items)
    plan.items = []
    db.session.flush()
    plan.items = new_items
    record_event(actor, "plan.update", "plan", plan.id, items=len(new_items))
    db.session.flush()
    return plan


def submit_plan(actor: Actor, plan: Plan, *, today: date | None = None) -> Plan:
    """draft|returned → submitted; late when after 1 December of the year before."""
    if actor.role != "base" or actor.base_id != plan.base_id:
        raise Forbidden("只有基地本身可以提交年度计划")
    if not plan.items:
        raise ValidationFailed(
            [field_error("empty_plan", "计划至少包含一个培训项目", field="items")]
        )
    require_live_base(db.session.get(Base, plan.base_id), "提交年度培训计划")
    _move(plan, ("draft", "returned"), "submitted")
    plan.submitted_at = utcnow()
    plan.late = is_late(plan.year, today or local_today())
    record_event(actor, "plan.submit", "plan", plan.id, late=plan.late)
    db.session.flush()
    return plan


def review_plan(actor: Actor, plan: Plan, *, approve: bool, comment: str) -> Plan:
    """The base's competent department (or admin): submitted → reviewed, or → returned."""
    base = db.session.get(Base, plan.base_id)
    if actor.role == "dept" and actor.department != base.department:
        raise Forbidden("只能审核本部门主管基地的计划")
    if actor.role not in ("dept", "admin"):
        raise Forbidden("只有主管部门或省人社厅可以审核计划")
    if not approve and not (comment or "").strip():
        raise ValidationFailed(
            [field_error("missing_comment", "退回计划须填写意见", field="comment")]
        )
    _move(plan, ("submitted",), "reviewed" if approve else "returned")
    plan.reviewed_at, plan.reviewed_by, plan.review_comment = utcnow(), actor.name, comment or ""
    record_event(actor, "plan.review", "plan", plan.id, approve=approve, comment=comment or "")
    db.session.flush()
    return plan


def file_plan(actor: Actor, plan: Plan) -> Plan:
    """Admin files a reviewed plan (备案); an earlier filed version of the year is superseded."""
    if actor.role != "admin":
        raise Forbidden("只有省人社厅可以备案计划")
    require_live_base(db.session.get(Base, plan.base_id), "备案年度培训计划")
    # Look the current version up before this one becomes filed: afterwards (autoflush) both
    # would match and which row comes first is up to the database.
    previous = current_filed_plan(plan.base_id, plan.year)
    _move(plan, ("reviewed",), "filed")
    now = utcnow()
    if previous is not None and previous.id != plan.id:
        previous.superseded_at = now
    plan.filed_at, plan.filed_by = now, actor.name
    record_event(
        actor,
        "plan.file",
        "plan",
        plan.id,
        superseded=previous.id if previous is not None else None,
    )
    db.session.flush()
    return plan


def get_plan_for(actor: Actor, plan_id: int) -> Plan:
    """A plan the actor may read: 404 unknown, 403 out of scope."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    if not can_read_base(actor, db.session.get(Base, plan.base_id)):
        raise Forbidden("无权查看其他基地的计划")
    return plan


def list_plans(base: Base, year: int | None = None, page: Page | None = None) -> list[Plan]:
    """A base's plans, newest year and version first."""
    query = (
        sa.select(Plan)
        .options(so.selectinload(Plan.items))
        .where(Plan.base_id == base.id)
        .order_by(Plan.year.desc(), Plan.version.desc())
    )
    if year is not None:
        query = query.where(Plan.year == year)
    return list(db.session.scalars(page_of(query, page)))


def plans_waiting_for(actor: Actor) -> list[Plan]:
    """Plans waiting on the actor: a department reviews submitted ones; admin files reviewed ones."""
    query = sa.select(Plan).join(Base, Base.id == Plan.base_id).options(so.selectinload(Plan.items))
    if actor.role == "dept":
        query = query.where(Plan.status == "submitted", Base.department == actor.department)
    elif actor.role == "admin":
        query = query.where(Plan.status.in_(("submitted", "reviewed")))
    else:
        return []
    return list(db.session.scalars(query.order_by(Plan.submitted_at)))
