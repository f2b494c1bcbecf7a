"""Bases, their recognized specialties, their status history and their change filings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.hybrid import hybrid_property

from jxjd.common.enums import CHANGE_STATUSES  # noqa: F401 - the filing's states, importable here
from jxjd.common.types import UTCDateTime
from jxjd.departments.models import Department
from jxjd.extensions import Model

ACTIVE_STATUSES = ("recognized", "rectifying")
# The base fields a change filing may touch (第三十一条), with their Chinese labels.
CHANGE_FIELDS = {
    "name": "机构名称",
    "address": "地址",
    "contact.name": "联系人",
    "contact.phone": "联系电话",
    "contact.email": "电子邮箱",
}


class Base(Model):
    """A continuing-education base (继续教育基地)."""

    __tablename__ = "bases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # At most one base per unit, ever: a barred or revoked unit cannot come back under a new row.
    credit_code: so.Mapped[str] = so.mapped_column(sa.String(18), unique=True)
    # The competent department (主管部门), a row of the departments table (ISSUE11 item 7).
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("departments.id"), index=True)
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    recognized_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    plaque_number: so.Mapped[str | None] = so.mapped_column(sa.String(32), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    dept: so.Mapped[Department] = so.relationship(lazy="joined")
    specialties: so.Mapped[list[BaseSpecialty]] = so.relationship(
        back_populates="base", cascade="all, delete-orphan", order_by="BaseSpecialty.position"
    )
    status_changes: so.Mapped[list[BaseStatusChange]] = so.relationship(
        back_populates="base", order_by="BaseStatusChange.id"
    )

    @hybrid_property
    def department(self) -> str:
        """The department's name (what the API has always shown and dept actors are bound to)."""
        return self.dept.name if self.dept is not None else ""

    @department.inplace.expression
    @classmethod
    def _department_expression(cls) -> sa.ColumnElement[str]:
        return (
            sa.select(Department.name).where(Department.id == cls.department_id).scalar_subquery()
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def specialty(self, name: str) -> BaseSpecialty | None:
        """The recognized specialty called `name`, if any."""
        return next((s for s in self.specialties if s.name == name), None)


class BaseSpecialty(Model):
    """One recognized specialty with the levels and audiences it may serve (B1)."""

    __tablename__ = "base_specialties"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id", ondelete="CASCADE"))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    levels: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    audiences: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    position: so.Mapped[int] = so.mapped_column(default=0)

    base: so.Mapped[Base] = so.relationship(back_populates="specialties")

    __table_args__ = (sa.UniqueConstraint("base_id", "name"),)


class BaseStatusChange(Model):
    """One status move with who, when and why (B3)."""

    __tablename__ = "base_status_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    base: so.Mapped[Base] = so.relationship(back_populates="status_changes")


class BaseChange(Model):
    """A filed change of a base's name, address or contacts (第三十一条), pending until decided."""

    __tablename__ = "base_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    filed_by_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    filed_by_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    filed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    decided_by_role: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    decided_by_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    decision_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    base: so.Mapped[Base] = so.relationship()
    fields: so.Mapped[list[BaseChangeField]] = so.relationship(
        back_populates="change", cascade="all, delete-orphan", order_by="BaseChangeField.id"
    )


class BaseChangeField(Model):
    """One changed field of a filing: the value before and the value asked for."""

    __tablename__ = "base_change_fields"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    change_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("base_changes.id", ondelete="CASCADE"), index=True
    )
    field: so.Mapped[str] = so.mapped_column(sa.String(32))
    # The base's value when filed; replaced by the value actually overwritten on acceptance.
    old_value: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    new_value: so.Mapped[str] = so.mapped_column(sa.String(300))

    change: so.Mapped[BaseChange] = so.relationship(back_populates="fields")
