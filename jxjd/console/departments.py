"""Managing the department table (admin) and a department's history of what it reviewed."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.accounts.models import Account, ApiToken
from jxjd.applications.models import Application, ApplicationStep
from jxjd.audit.models import AuditEvent
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.common.text import check_text
from jxjd.common.time import utcnow
from jxjd.departments.models import Department
from jxjd.departments.services import all_departments, find_department
from jxjd.errors import Conflict, NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.plans.models import Plan

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")


class DuplicateDepartment(Conflict):
    code, title = "duplicate_department", "部门编码或名称已存在"


def list_departments(actor: Actor | None) -> list[Department]:
    """Every department, active ones first."""
    authorize(actor, "department.read")
    return all_departments()


def get_department(actor: Actor | None, ident: str) -> Department:
    """The department with this code or exact name: 404 otherwise."""
    authorize(actor, "department.read")
    found = find_department(ident)
    if found is None:
        raise NotFound(f"主管部门 {ident} 不存在")
    return found


def _checked_name(name: str | None) -> str:
    text = check_text((name or "").strip(), "unit", field="name", label="部门名称")
    if not text:
        raise ValidationFailed([field_error("required", "请填写部门名称", field="name")])
    return text


def _unique(code: str | None, name: str | None, own: Department | None = None) -> None:
    for value in (code, name):
        other = find_department(value) if value else None
        if other is not None and other is not own:
            raise DuplicateDepartment(f"已有部门“{other.name}”（编码 {other.code}）")


def create_department(actor: Actor, code: str, name: str) -> Department:
    """Add a department to the table (admin)."""
    authorize(actor, "department.manage")
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        message = "部门编码为2–32位小写字母、数字或连字符，如 hn-edu"
        raise ValidationFailed([field_error("invalid_department_code", message, field="code")])
    name = _checked_name(name)
    _unique(code, name)
    dept = Department(code=code, name=name, active=True, created_at=utcnow())
    db.session.add(dept)
    db.session.flush()
    record_event(actor, "department.create", "department", dept.id, code=code, name=name)
    return dept


def _rename_credentials(old: str, new: str) -> None:
    """Dept tokens and accounts are bound to the department's name: they follow a rename."""
    for model in (ApiToken, Account):
        db.session.execute(sa.update(model).where(model.department == old).values(department=new))


def update_department(
    actor: Actor, dept: Department, *, name: str | None = None, active: bool | None = None
) -> Department:
    """Rename a department or retire (or restore) it (admin); its bases and accounts follow."""
    authorize(actor, "department.manage")
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != dept.name:
        new = _checked_name(name)
        _unique(None, new, own=dept)
        _rename_credentials(dept.name, new)
        changes["name"] = {"from": dept.name, "to": new}
        dept.name = new
    if active is not None and active != dept.active:
        changes["active"] = {"from": dept.active, "to": active}
        dept.active = active
    if changes:
        record_event(actor, "department.update", "department", dept.id, code=dept.code, **changes)
    db.session.flush()
    return dept


def _history_department(actor: Actor, ident: str | None) -> Department:
    authorize(actor, "department.history")
    # A department's credential is bound to its own; admin's names none and picks one.
    name = actor.department or ident
    found = find_department(name)
    if found is None:
        raise NotFound(f"主管部门 {name or ''} 不存在".replace("  ", " "))
    return found


def review_history(actor: Actor, ident: str | None = None) -> dict[str, Any]:
    """What a department reviewed: its bases' plans it passed or returned, the units it
    recommended (a dept sees its own; admin names one), newest first."""
    dept = _history_department(actor, ident)
    # Every review is in the audit trail (a plan row keeps only its latest one).
    plans = db.session.execute(
        sa.select(AuditEvent, Plan)
        .join(Plan, sa.cast(Plan.id, sa.String) == AuditEvent.target_id)
        .join(Base, Base.id == Plan.base_id)
        .where(
            AuditEvent.action == "plan.review",
            AuditEvent.target_type == "plan",
            AuditEvent.actor_role == "dept",
            Base.department_id == dept.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(500)
    ).all()
    steps = db.session.scalars(
        sa.select(ApplicationStep)
        .join(Application, Application.id == ApplicationStep.application_id)
        .where(
            ApplicationStep.action == "recommend",
            ApplicationStep.actor_role == "dept",
            Application.department_id == dept.id,
        )
        .order_by(ApplicationStep.at.desc(), ApplicationStep.id.desc())
        .limit(500)
    ).all()
    return {
        "department": dept,
        "plans": [{"event": event, "plan": plan} for event, plan in plans],
        "recommendations": list(steps),
    }
