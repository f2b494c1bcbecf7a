"""Issued transcripts (学时认定单): never deleted, never renumbered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class Transcript(Model):
    """A signed statement of one person's counted hours per year and category, as of issue."""

    __tablename__ = "transcripts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Crockford base32, 20 characters (100 random bits), stored ungrouped and upper case.
    serial: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    from_year: so.Mapped[int] = so.mapped_column()
    to_year: so.Mapped[int] = so.mapped_column()
    # Issued through a share code (an employer's download), or by the person (None).
    grant_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("grants.id"), index=True)
    alg: so.Mapped[str] = so.mapped_column(sa.String(16))
    kid: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    token: so.Mapped[str] = so.mapped_column(sa.Text)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON)
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
