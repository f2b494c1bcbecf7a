"""A delivered training session, with the checks it passed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import Hours, UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.bases.models import Base
    from jxjd.plans.models import PlanItem


class TrainingSession(Model):
    """One session (班次) a base runs, pointing at an item of its filed plan."""

    __tablename__ = "training_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id"))
    plan_item_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_items.id"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    specialty: so.Mapped[str] = so.mapped_column(sa.String(100))
    category: so.Mapped[str] = so.mapped_column(sa.String(16))
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    audience: so.Mapped[str] = so.mapped_column(sa.String(16))
    form: so.Mapped[str] = so.mapped_column(sa.String(16))
    start_date: so.Mapped[date] = so.mapped_column(sa.Date)
    end_date: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    year: so.Mapped[int] = so.mapped_column()
    hours: so.Mapped[Decimal] = so.mapped_column(Hours)
    location: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    checks: so.Mapped[list] = so.mapped_column(sa.JSON)
    warnings: so.Mapped[list] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    base: so.Mapped[Base] = so.relationship()  # noqa: F821
    plan_item: so.Mapped[PlanItem] = so.relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_training_sessions_base_year", "base_id", "year"),)
