"""A drawn sample of sessions and the inspection outcome of each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.sessions.models import TrainingSession


class SpotCheck(Model):
    """One draw: the year, the sample size, the seed and the population it was drawn from."""

    __tablename__ = "spot_checks"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(index=True)
    size: so.Mapped[int] = so.mapped_column()
    seed: so.Mapped[str] = so.mapped_column(sa.String(32))
    population_size: so.Mapped[int] = so.mapped_column()
    # SHA-256 of the sorted session ids drawn from, so a re-draw can prove it used the same set.
    population_digest: so.Mapped[str] = so.mapped_column(sa.String(64))
    # The session ids drawn from, kept so that anyone can redraw from the seed and compare.
    population: so.Mapped[list[int]] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    created_by: so.Mapped[str] = so.mapped_column(sa.String(200))

    items: so.Mapped[list[SpotCheckItem]] = so.relationship(
        back_populates="spot_check", order_by="SpotCheckItem.position", cascade="all, delete-orphan"
    )


class SpotCheckItem(Model):
    """One sampled session and what the inspection found."""

    __tablename__ = "spot_check_items"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    spot_check_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("spot_checks.id"))
    session_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("training_sessions.id"), index=True)
    position: so.Mapped[int] = so.mapped_column()
    outcome: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending")
    findings: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    inspected_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    inspected_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))

    spot_check: so.Mapped[SpotCheck] = so.relationship(back_populates="items")
    session: so.Mapped[TrainingSession] = so.relationship()  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("spot_check_id", "session_id"),)
