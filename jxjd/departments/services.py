"""Finding a department by what a caller typed (its code or exact name), and the catalogue."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.common.time import utcnow
from jxjd.departments.catalogue import STANDARD
from jxjd.departments.models import Department
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db


def find_department(value: str | None) -> Department | None:
    """The department whose code (any case) or exact name is `value`, if any."""
    text = (value or "").strip()
    if not text:
        return None
    return db.session.scalar(
        sa.select(Department).where(
            sa.or_(Department.name == text, sa.func.lower(Department.code) == text.lower())
        )
    )


def resolve_department(value: str | None, *, field: str = "department") -> Department:
    """The active department named by `value` (code or exact name); 422 for anything else."""
    found = find_department(value)
    text = (value or "").strip()
    if found is None:
        message = f"主管部门“{text}”不在部门目录中，请从列表中选择" if text else "请选择主管部门"
        code = "unknown_department" if text else "required"
        raise ValidationFailed([field_error(code, message, field=field)])
    if not found.active:
        message = f"主管部门“{found.name}”已停用，请选择其他部门"
        raise ValidationFailed([field_error("inactive_department", message, field=field)])
    return found


def active_departments() -> list[Department]:
    """The departments a form offers, by code."""
    query = sa.select(Department).where(Department.active.is_(True)).order_by(Department.code)
    return list(db.session.scalars(query))


def all_departments() -> list[Department]:
    """Every department, active ones first, by code."""
    query = sa.select(Department).order_by(Department.active.desc(), Department.code)
    return list(db.session.scalars(query))


def ensure_standard_departments() -> int:
    """Add the catalogue's departments that are missing (by code or name); how many were added."""
    have = db.session.execute(sa.select(Department.code, Department.name)).all()
    codes, names = {c for c, _ in have}, {n for _, n in have}
    added = 0
    for code, name in STANDARD:
        if code not in codes and name not in names:
            db.session.add(Department(code=code, name=name, active=True, created_at=utcnow()))
            added += 1
    db.session.flush()
    return added
