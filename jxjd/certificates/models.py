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
    # A corrected record keeps its revoked certificates: at most one valid one per record (the
    # partial unique index below), the older ones linked to their replacement.
    record_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("attendance_records.id"), index=True)
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
    # Correct-and-reissue: the old certificate names its replacement, the new one what it replaces.
    replaced_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("certificates.id"))
    replaces_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("certificates.id"))

    record: so.Mapped[AttendanceRecord] = so.relationship()  # noqa: F821
    replaced_by: so.Mapped[Certificate | None] = so.relationship(
        foreign_keys=[replaced_by_id], remote_side=[id], viewonly=True
    )
    replaces: so.Mapped[Certificate | None] = so.relationship(
        foreign_keys=[replaces_id], remote_side=[id], viewonly=True
    )

    __table_args__ = (
        sa.Index(
            "uq_certificates_valid_record",
            "record_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "valid"
