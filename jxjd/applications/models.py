"""Applications (申请表) with their teachers, reviews and steps; plaque numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.hybrid import hybrid_property

# The labels live with every other enumeration's (common.enums); the names stay importable here.
from jxjd.common.enums import (  # noqa: F401
    APPLICATION_STATUSES,
    EDUCATIONS,
    TITLES,
)
from jxjd.common.types import UTCDateTime
from jxjd.departments.models import Department
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.bases.models import Base

# Areas in square metres (占地面积、建筑面积 ...): two decimals are more than the form asks for.
Area = sa.Numeric(12, 2)

FINAL_STATUSES = frozenset({"recognized", "rejected"})

# The staffing counts of the 申请表 (人员情况), stored as staff_<key> columns.
STAFF_KEYS = (
    "authorized",
    "current",
    "managers",
    "full_time_teachers",
    "full_time_senior",
    "full_time_intermediate",
    "part_time_teachers",
    "part_time_senior",
    "part_time_intermediate",
    "others",
)


class Application(Model):
    """One unit's application to become a provincial base, from draft to recognition."""

    __tablename__ = "applications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    # The credit code of the applicant credential that owns it (always a valid code); the form's
    # own `credit_code` is kept as typed so a draft with a typo can be saved and corrected.
    applicant_code: so.Mapped[str] = so.mapped_column(sa.String(18), index=True)
    unit_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    credit_code: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    # The competent department (主管部门); a draft may not have chosen one yet.
    department_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("departments.id"), index=True
    )
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    postcode: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    email: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    leader_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    leader_position: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    leader_phone: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    contact_position: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    concurrent_trainees: so.Mapped[int | None] = so.mapped_column()
    yearly_trainees: so.Mapped[int | None] = so.mapped_column()
    land_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    building_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    practice_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    classrooms_count: so.Mapped[int | None] = so.mapped_column()
    classrooms_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    multimedia_rooms_count: so.Mapped[int | None] = so.mapped_column()
    multimedia_rooms_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    network_center_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    halls_count: so.Mapped[int | None] = so.mapped_column()
    halls_area_m2: so.Mapped[Decimal | None] = so.mapped_column(Area)
    canteen_capacity: so.Mapped[int | None] = so.mapped_column()
    dorm_capacity: so.Mapped[int | None] = so.mapped_column()
    facilities_other: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    staff_authorized: so.Mapped[int | None] = so.mapped_column()
    staff_current: so.Mapped[int | None] = so.mapped_column()
    staff_managers: so.Mapped[int | None] = so.mapped_column()
    staff_full_time_teachers: so.Mapped[int | None] = so.mapped_column()
    staff_full_time_senior: so.Mapped[int | None] = so.mapped_column()
    staff_full_time_intermediate: so.Mapped[int | None] = so.mapped_column()
    staff_part_time_teachers: so.Mapped[int | None] = so.mapped_column()
    staff_part_time_senior: so.Mapped[int | None] = so.mapped_column()
    staff_part_time_intermediate: so.Mapped[int | None] = so.mapped_column()
    staff_others: so.Mapped[int | None] = so.mapped_column()
    notice_start: so.Mapped[date | None] = so.mapped_column(sa.Date)
    notice_days: so.Mapped[int | None] = so.mapped_column()
    notice_until: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    base_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    plaque_number: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    base: so.Mapped[Base | None] = so.relationship()
    dept: so.Mapped[Department | None] = so.relationship(lazy="joined")
    teachers: so.Mapped[list[ApplicationTeacher]] = so.relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationTeacher.seq",
    )
    managers: so.Mapped[list[ApplicationManager]] = so.relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationManager.seq",
    )
    specialties: so.Mapped[list[ApplicationSpecialty]] = so.relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationSpecialty.seq",
    )
    reviews: so.Mapped[list[ApplicationReview]] = so.relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationReview.id"
    )
    site_visits: so.Mapped[list[ApplicationSiteVisit]] = so.relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationSiteVisit.id",
    )
    steps: so.Mapped[list[ApplicationStep]] = so.relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationStep.id"
    )

    @hybrid_property
    def department(self) -> str:
        """The department's name, or "" for a draft that has not chosen one."""
        return self.dept.name if self.dept is not None else ""

    @department.inplace.expression
    @classmethod
    def _department_expression(cls) -> sa.ColumnElement[str]:
        return (
            sa.select(Department.name).where(Department.id == cls.department_id).scalar_subquery()
        )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def latest_site_visit(self) -> ApplicationSiteVisit | None:
        return self.site_visits[-1] if self.site_visits else None

    def last_step(self, action: str) -> ApplicationStep | None:
        """The most recent step of one kind (e.g. the recommendation), if any."""
        return next((s for s in reversed(self.steps) if s.action == action), None)


class ApplicationTeacher(Model):
    """One teacher of the application; the ID number only encrypted, with a keyed hash."""

    __tablename__ = "application_teachers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    seq: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # Encrypted as typed (after normalisation), even when invalid: a draft may hold a typo that
    # the submit check reports; the plaintext is never stored.
    id_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    id_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    id_masked: so.Mapped[str] = so.mapped_column(sa.String(18), default="")
    education: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    graduated_from: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    major: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    graduated_year: so.Mapped[int | None] = so.mapped_column()
    title: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    full_time: so.Mapped[bool | None] = so.mapped_column()
    subjects: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    years_teaching: so.Mapped[int | None] = so.mapped_column()
    specialties: so.Mapped[list[str]] = so.mapped_column(sa.JSON)

    application: so.Mapped[Application] = so.relationship(back_populates="teachers")


class ApplicationManager(Model):
    """One member of the training management staff (管理人员情况)."""

    __tablename__ = "application_managers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    seq: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    position: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    duties: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(50), default="")

    application: so.Mapped[Application] = so.relationship(back_populates="managers")


class ApplicationSpecialty(Model):
    """One specialty applied for (拟申请认证的专业) with its levels and audiences."""

    __tablename__ = "application_specialties"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    seq: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    levels: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    audiences: so.Mapped[list[str]] = so.mapped_column(sa.JSON)

    application: so.Mapped[Application] = so.relationship(back_populates="specialties")


class ApplicationReview(Model):
    """One expert review (评审) with its score; every reviewer's opinion is kept."""

    __tablename__ = "application_reviews"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reviewer: so.Mapped[str] = so.mapped_column(sa.String(100))
    score: so.Mapped[int] = so.mapped_column()
    opinion: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    application: so.Mapped[Application] = so.relationship(back_populates="reviews")


class ApplicationSiteVisit(Model):
    """One site visit (实地考察) and whether the unit passed it."""

    __tablename__ = "application_site_visits"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    visited_on: so.Mapped[date] = so.mapped_column(sa.Date)
    findings: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    passed: so.Mapped[bool] = so.mapped_column()
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    application: so.Mapped[Application] = so.relationship(back_populates="site_visits")


class ApplicationStep(Model):
    """One step of the application's history: who did what, when, moving which status."""

    __tablename__ = "application_steps"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    application_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)

    application: so.Mapped[Application] = so.relationship(back_populates="steps")


class PlaqueSequence(Model):
    """The last plaque number issued in a year; updating it first serialises recognitions."""

    __tablename__ = "plaque_sequences"

    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    last_number: so.Mapped[int] = so.mapped_column(default=0)
