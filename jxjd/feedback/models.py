"""One trainee's rating of one session they attended."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class SessionFeedback(Model):
    """A rating (1–5) with an optional comment; at most one per person and session."""

    __tablename__ = "session_feedback_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("training_sessions.id"))
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    certificate_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("certificates.id"), unique=True)
    rating: so.Mapped[int] = so.mapped_column()
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("session_id", "person_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )
