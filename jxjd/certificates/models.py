"""Signed electronic certificates (电子培训证书)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.attendance.models import AttendanceRecord


class Certificate(Model):
    """A certificate for one passing attendance record; never deleted, never renumbered."""

    __tablename__ = "certificates"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    serial: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    record_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("attendance_records.id"), unique=True
    )
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    session_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("training_sessions.id"), index=True)
    # The algorithm and key are kept per certificate so another algorithm (e.g. SM2) can follow.
    alg: so.Mapped[str] = so.mapped_column(sa.String(16))
    kid: so.Mapped[str] = so.mapped_column(sa.String(32))
    token: so.Mapped[str] = so.mapped_column(sa.Text)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON)
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    revoked_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))

    record: so.Mapped[AttendanceRecord] = so.relationship(  # noqa: F821
        back_populates="certificate"
    )

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "valid"
