"""Base registry services: create, read within scope, change status, replace specialties."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize, fetch, scoped
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base, BaseSpecialty, BaseStatusChange
from jxjd.common.enums import AUDIENCES, BASE_STATUSES, LEVELS
from jxjd.common.ids import is_valid_credit_code, normalize_credit_code
from jxjd.common.paging import Page, page_of
from jxjd.common.time import local_today, utcnow
from jxjd.departments.services import find_department, resolve_department
from jxjd.errors import Conflict, Problem, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.states import Machine, transition

# CONTRACT §3: applying→recognized; recognized↔rectifying; recognized|rectifying→revoked; any→barred.
TRANSITIONS: dict[str, frozenset[str]] = {
    "applying": frozenset({"recognized", "barred"}),
    "recognized": frozenset({"rectifying", "revoked", "barred"}),
    "rectifying": frozenset({"recognized", "revoked", "barred"}),
    "revoked": frozenset({"barred"}),
    "barred": frozenset(),
}


def _status_history(
    base: Base, previous: str, to: str, actor: Actor, event: str, summary: dict
) -> None:
    """Every move of a base keeps who, when and why (B3)."""
    base.status_changes.append(
        BaseStatusChange(
            from_status=previous,
            to_status=to,
            reason=summary["reason"],
            actor_role=actor.role,
            actor_name=actor.name,
            at=utcnow(),
        )
    )


BASE_MACHINE = Machine(
    model=Base,
    kind="base",
    noun="基地",
    labels=BASE_STATUSES,
    moves=TRANSITIONS,
    history=_status_history,
)


class DuplicateCreditCode(Conflict):
    code, title = "duplicate_credit_code", "该统一社会信用代码已登记为基地"


class BaseNotActive(Problem):
    status, code, title = 422, "base_not_active", "基地当前状态不能办理此项业务"


# A revoked or barred base has left the registry: it files no more plans or changes.
LIVE_STATUSES = ("applying", "recognized", "rectifying")


def require_live_base(base: Base, doing: str) -> None:
    """422 `base_not_active` when the base is revoked or barred."""
    if base.status not in LIVE_STATUSES:
        message = f"基地当前状态为“{BASE_STATUSES[base.status]}”，不能{doing}"
        raise BaseNotActive(message, errors=[field_error("base_not_active", message, field="base")])


def _ordered_unique(values: list[str], order: dict[str, str]) -> list[str]:
    return [v for v in order if v in set(values)]


def normalized_specialties(items: list[dict[str, Any]], field: str = "specialties") -> list[dict]:
    """Specialties with de-duplicated, canonically ordered levels and audiences; names unique."""
    seen: set[str] = set()
    errors = []
    out = []
    for i, item in enumerate(items):
        name = item["name"].strip()
        if not name:
            errors.append(field_error("required", "专业名称不能为空", field=f"{field}[{i}].name"))
            continue
        if name in seen:
            errors.append(
                field_error("duplicate_specialty", f"专业“{name}”重复", field=f"{field}[{i}].name")
            )
        seen.add(name)
        out.append(
            {
                "name": name,
                "levels": _ordered_unique(item["levels"], LEVELS),
                "audiences": _ordered_unique(item["audiences"], AUDIENCES),
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return out


def checked_credit_code(raw: str, field: str = "credit_code") -> str:
    """Normalise a credit code or raise 422 invalid_credit_code."""
    code = normalize_credit_code(raw)
    if not is_valid_credit_code(code):
        raise ValidationFailed(
            [field_error("invalid_credit_code", "统一社会信用代码校验不通过，请核对", field=field)]
        )
    return code


# 第二十四条: a unit that cheated in applying (barred) or lost its recognition (revoked) is not
# accepted again.
REFUSED_BASE_STATUSES = frozenset({"barred", "revoked"})


def barred_error(base: Base, field: str = "credit_code") -> dict[str, Any] | None:
    """The applicant_barred error when this unit's earlier base may not come back, else None."""
    if base.status not in REFUSED_BASE_STATUSES:
        return None
    why = "因弄虚作假被取消资格" if base.status == "barred" else "被取消省级继续教育基地资格"
    return field_error(
        "applicant_barred", f"该单位曾{why}，不再受理其认定申请（第二十四条）", field=field
    )


def ensure_code_accepted(code: str, field: str = "credit_code") -> None:
    """Refuse a unit that was barred (第二十四条) or that already has a base.

    CONTRACT §3: registering a second base for a code is 409 duplicate_credit_code, except for a
    barred unit (422 applicant_barred). Applications (§10) also refuse revoked units.
    """
    existing = db.session.scalar(sa.select(Base).where(Base.credit_code == code))
    if existing is None:
        return
    barred = barred_error(existing, field) if existing.status == "barred" else None
    if barred is not None:
        raise ValidationFailed([barred])
    raise DuplicateCreditCode(f"统一社会信用代码 {code} 已登记为基地（编号 {existing.id}）")


def _set_specialties(base: Base, specialties: list[dict]) -> None:
    base.specialties = [
        BaseSpecialty(name=s["name"], levels=s["levels"], audiences=s["audiences"], position=i)
        for i, s in enumerate(specialties)
    ]


def _blank_fields(data: dict[str, Any], labels: dict[str, str]) -> list[dict]:
    return [
        field_error("required", f"{label}不能为空", field=key)
        for key, label in labels.items()
        if not (data.get(key) or "").strip()
    ]


def create_base(actor: Actor, data: dict[str, Any]) -> Base:
    """Register a base with its specialties; the first status is kept in the history."""
    authorize(actor, "base.create")
    blank = _blank_fields(data, {"name": "基地名称", "department": "主管部门"})
    if blank:
        raise ValidationFailed(blank)
    department = resolve_department(data["department"])
    code = checked_credit_code(data["credit_code"])
    specialties = normalized_specialties(data.get("specialties") or [])
    ensure_code_accepted(code)
    status = data.get("status", "recognized")
    contact = data.get("contact") or {}
    base = Base(
        name=data["name"].strip(),
        credit_code=code,
        dept=department,
        address=(data.get("address") or "").strip(),
        status=status,
        contact_name=contact.get("name", ""),
        contact_phone=contact.get("phone", ""),
        contact_email=contact.get("email", ""),
        recognized_on=data.get("recognized_on")
        or (local_today() if status == "recognized" else None),
        plaque_number=data.get("plaque_number"),
        created_at=utcnow(),
    )
    _set_specialties(base, specialties)
    db.session.add(base)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise DuplicateCreditCode(f"统一社会信用代码 {code} 已登记为基地") from None
    db.session.add(
        BaseStatusChange(
            base_id=base.id,
            from_status=None,
            to_status=status,
            reason="登记",
            actor_role=actor.role,
            actor_name=actor.name,
            at=base.created_at,
        )
    )
    record_event(
        actor, "base.create", "base", base.id, name=base.name, credit_code=code, status=status
    )
    db.session.flush()
    return base


def get_base(actor: Actor, base_id: int, action: str = "base.read") -> Base:
    """The base, if the actor may `action` it: 404 unknown, 403 out of scope."""
    return fetch(actor, action, Base, base_id, label="基地")


def list_bases_for(
    actor: Actor,
    *,
    status: str | None = None,
    department: str | None = None,
    page: Page | None = None,
) -> list[Base]:
    """The bases in the actor's scope, by id."""
    query = sa.select(Base).options(so.selectinload(Base.specialties)).order_by(Base.id)
    query = scoped(actor, "base.read", query)
    if status:
        query = query.where(Base.status == status)
    if department:
        found = find_department(department)
        query = query.where(Base.department_id == (found.id if found else None))
    return list(db.session.scalars(page_of(query, page)))


def change_base_status(actor: Actor, base: Base, status: str, reason: str) -> Base:
    """Move a base to `status` if the contract allows it; keep who, when and why."""
    authorize(actor, "base.status", base)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([field_error("missing_reason", "须说明变更原因", field="reason")])
    recognizing = status == "recognized" and base.recognized_on is None
    transition(
        base,
        status,
        actor=actor,
        event="base.status",
        verb=f"变更为“{BASE_STATUSES.get(status, status)}”",
        values={"recognized_on": local_today()} if recognizing else None,
        reason=reason,
    )
    return base


def replace_specialties(actor: Actor, base: Base, specialties: list[dict]) -> Base:
    """Replace the recognized specialty list (admin)."""
    authorize(actor, "base.specialties", base)
    new = normalized_specialties(specialties)
    before = [s.name for s in base.specialties]
    base.specialties = []
    db.session.flush()  # delete the old rows before inserting new ones with the same names
    _set_specialties(base, new)
    record_event(
        actor, "base.specialties", "base", base.id, before=before, after=[s["name"] for s in new]
    )
    db.session.flush()
    return base


class SameDepartment(Conflict):
    code, title = "same_department", "已属于该主管部门"


def reassign_base_department(actor: Actor, base: Base, department: str, reason: str) -> Base:
    """Move a base to another competent department (admin), keeping why in the audit trail."""
    authorize(actor, "department.reassign", base)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([field_error("missing_reason", "须说明调整原因", field="reason")])
    target = resolve_department(department)
    if target.id == base.department_id:
        raise SameDepartment(f"{base.name} 已由 {target.name} 主管")
    before = base.department
    base.dept = target
    record_event(
        actor,
        "base.department",
        "base",
        base.id,
        from_department=before,
        to_department=target.name,
        reason=reason,
    )
    db.session.flush()
    return base
