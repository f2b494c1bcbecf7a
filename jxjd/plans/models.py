"""Plans, their versions and items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import Hours, UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.bases.models import Base

OPEN_STATUSES = ("draft", "submitted", "reviewed", "returned")


class Plan(Model):
    """One version of a base's plan for a year; a filed version is never edited."""

    __tablename__ = "plans"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    year: so.Mapped[int] = so.mapped_column()
    version: so.Mapped[int] = so.mapped_column(default=1)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    late: so.Mapped[bool] = so.mapped_column(default=False)
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    reviewed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    reviewed_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    review_comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    filed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    filed_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # Set when a later version of the same year is filed: sessions keep pointing here.
    superseded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    base: so.Mapped[Base] = so.relationship()  # noqa: F821
    items: so.Mapped[list[PlanItem]] = so.relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.position"
    )

    __table_args__ = (
        sa.UniqueConstraint("base_id", "year", "version"),
        # At most one version in progress per base and year.
        sa.Index(
            "uq_plans_open_version",
            "base_id",
            "year",
            unique=True,
            sqlite_where=sa.text("status != 'filed'"),
            postgresql_where=sa.text("status != 'filed'"),
        ),
    )

    @property
    def is_current_filed(self) -> bool:
        return self.status == "filed" and self.superseded_at is None


class PlanItem(Model):
    """One planned training programme: what, for whom, how many sessions and trainees."""

    __tablename__ = "plan_items"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    specialty: so.Mapped[str] = so.mapped_column(sa.String(100))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    category: so.Mapped[str] = so.mapped_column(sa.String(16))
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    audience: so.Mapped[str] = so.mapped_column(sa.String(16))
    form: so.Mapped[str] = so.mapped_column(sa.String(16))
    sessions: so.Mapped[int] = so.mapped_column()
    trainees: so.Mapped[int] = so.mapped_column()
    hours: so.Mapped[Decimal] = so.mapped_column(Hours)

    plan: so.Mapped[Plan] = so.relationship(back_populates="items")
