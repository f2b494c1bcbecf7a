"""Plan services: create and revise, submit (late flag), review, file."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize, can, fetch, scoped
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.bases.services import require_live_base
from jxjd.common.db import execute_dml
from jxjd.common.enums import AUDIENCES, LEVELS, PLAN_STATUSES
from jxjd.common.paging import Page, page_of
from jxjd.common.time import local_today, utcnow
from jxjd.errors import Conflict, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.plans.models import OPEN_STATUSES, Plan, PlanItem
from jxjd.states import Machine, lock, transition

# CONTRACT §4: a base submits a draft (or a returned version), its department reviews it (or
# returns it), the HR department files it. A filed plan never changes: the next version follows.
PLAN_MACHINE = Machine(
    model=Plan,
    kind="plan",
    noun="计划",
    labels=PLAN_STATUSES,
    moves={
        "draft": frozenset({"submitted"}),
        "returned": frozenset({"submitted"}),
        "submitted": frozenset({"reviewed", "returned"}),
        "reviewed": frozenset({"filed"}),
        "filed": frozenset(),
    },
)


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
    authorize(actor, "plan.create", base)
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


def _label(status: str) -> str:
    return f"变更为“{PLAN_STATUSES[status]}”"


def update_plan(actor: Actor, plan: Plan, items: list[dict[str, Any]]) -> Plan:
    """Replace the items of a draft or returned version."""
    authorize(actor, "plan.update", plan)

    def revise(_previous: str) -> dict[str, Any]:
        base = db.session.get_one(Base, plan.base_id)
        require_live_base(base, "修改年度培训计划")
        new_items = _checked_items(base, items)
        plan.items = []
        db.session.flush()
        plan.items = new_items
        return {"items": len(new_items)}

    transition(
        plan,
        None,
        allowed=("draft", "returned"),
        actor=actor,
        event="plan.update",
        verb="修改；已备案的计划请新建版本",
        then=revise,
    )
    db.session.flush()
    return plan


def submit_plan(actor: Actor, plan: Plan, *, today: date | None = None) -> Plan:
    """draft|returned → submitted; late when after 1 December of the year before."""
    authorize(actor, "plan.submit", plan)
    require_live_base(db.session.get_one(Base, plan.base_id), "提交年度培训计划")
    late = is_late(plan.year, today or local_today())

    def not_empty(_previous: str) -> None:
        # Checked under the plan's lock: a version deleted meanwhile is a 404, not "empty".
        if not plan.items:
            raise ValidationFailed(
                [field_error("empty_plan", "计划至少包含一个培训项目", field="items")]
            )

    transition(
        plan,
        "submitted",
        actor=actor,
        event="plan.submit",
        verb=_label("submitted"),
        values={"submitted_at": utcnow(), "late": late},
        then=not_empty,
        late=late,
    )
    return plan


def review_plan(actor: Actor, plan: Plan, *, approve: bool, comment: str) -> Plan:
    """The base's competent department (or admin): submitted → reviewed, or → returned."""
    authorize(actor, "plan.review", plan)
    if not approve and not (comment or "").strip():
        raise ValidationFailed(
            [field_error("missing_comment", "退回计划须填写意见", field="comment")]
        )
    to = "reviewed" if approve else "returned"
    transition(
        plan,
        to,
        allowed=("submitted",),
        actor=actor,
        event="plan.review",
        verb=_label(to),
        values={
            "reviewed_at": utcnow(),
            "reviewed_by": actor.name,
            "review_comment": comment or "",
        },
        approve=approve,
        comment=comment or "",
    )
    return plan


def file_plan(actor: Actor, plan: Plan) -> Plan:
    """Admin files a reviewed plan (备案); an earlier filed version of the year is superseded."""
    authorize(actor, "plan.file", plan)
    require_live_base(db.session.get_one(Base, plan.base_id), "备案年度培训计划")
    now = utcnow()

    def supersede(_previous: str) -> dict[str, Any]:
        # The version in force until now: looked up under the lock, before this one is flushed
        # as filed (afterwards both would match and which row comes first is up to the database).
        previous = db.session.scalar(
            sa.select(Plan).where(
                Plan.base_id == plan.base_id,
                Plan.year == plan.year,
                Plan.status == "filed",
                Plan.superseded_at.is_(None),
                Plan.id != plan.id,
            )
        )
        if previous is not None:
            previous.superseded_at = now
        return {"superseded": previous.id if previous is not None else None}

    transition(
        plan,
        "filed",
        actor=actor,
        event="plan.file",
        verb=_label("filed"),
        values={"filed_at": now, "filed_by": actor.name},
        then=supersede,
    )
    db.session.flush()
    return plan


def delete_plan(actor: Actor, plan: Plan) -> None:
    """Delete a draft or returned version (never one under review or filed); audited.

    One conditional DELETE decides (the database removes the items with it): a submit that
    comes first leaves nothing to delete, and this one gets the 409.
    """
    authorize(actor, "plan.delete", plan)
    deletable = ("draft", "returned")
    current = lock(plan)  # the plan's row first, then the audit chain: the transitions' order
    items = len(plan.items)
    table = Plan.__table__
    deleted = execute_dml(
        sa.delete(table).where(table.c.id == plan.id, table.c.status.in_(deletable))
    )
    if deleted != 1:
        raise PLAN_MACHINE.refuse(plan, lock(plan), "删除；只能删除草稿或退回的版本")
    record_event(
        actor,
        "plan.delete",
        "plan",
        plan.id,
        base_id=plan.base_id,
        year=plan.year,
        version=plan.version,
        from_status=current,
        items=items,
    )
    for item in list(plan.items):
        db.session.expunge(item)
    db.session.expunge(plan)


def plan_to_copy(actor: Actor, base: Base, year: int) -> Plan:
    """The plan of `year` to start the next year's from: the filed one in force, else the latest."""
    authorize(actor, "plan.read", base)
    plan = current_filed_plan(base.id, year) or db.session.scalar(
        sa.select(Plan)
        .options(so.selectinload(Plan.items))
        .where(Plan.base_id == base.id, Plan.year == year)
        .order_by(Plan.version.desc())
        .limit(1)
    )
    if plan is None or not plan.items:
        raise ValidationFailed(
            [field_error("nothing_to_copy", f"{year} 年度没有可复制的计划项目", field="year")]
        )
    return plan


def get_plan(actor: Actor, plan_id: int, action: str = "plan.read") -> Plan:
    """A plan the actor may `action`: 404 unknown, 403 out of scope."""
    return fetch(actor, action, Plan, plan_id, label="计划")


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
    waiting = [
        status
        for status, action in (("submitted", "plan.review"), ("reviewed", "plan.file"))
        if can(actor, action)
    ]
    if not waiting:
        return []
    query = sa.select(Plan).options(so.selectinload(Plan.items)).where(Plan.status.in_(waiting))
    query = scoped(actor, "plan.review", query)
    return list(db.session.scalars(query.order_by(Plan.submitted_at)))
