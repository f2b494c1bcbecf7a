"""Share grants (PIPL 第二十三条 separate consent) and every access made through them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class Grant(Model):
    """A person's consent that whoever holds the code may read their archive for some years.

    Only the SHA-256 of the code is stored (like API tokens): the code is shown once, when created;
    the person lists and withdraws grants by their id or the code itself.
    """

    __tablename__ = "grants"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The first characters of the code, so the person can tell their grants apart.
    code_prefix: so.Mapped[str] = so.mapped_column(sa.String(8))
    employer_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # When set, only an employer account or token bound to this credit code may open the grant.
    employer_credit_code: so.Mapped[str | None] = so.mapped_column(sa.String(18))
    from_year: so.Mapped[int] = so.mapped_column()
    to_year: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    accesses: so.Mapped[list[GrantAccess]] = so.relationship(
        back_populates="grant", order_by="GrantAccess.id"
    )

    def status_at(self, now: datetime) -> str:
        """active, expired or withdrawn at `now`."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "expired" if now >= self.expires_at else "active"


class GrantAccess(Model):
    """One read of a person's archive through a grant: who, when, what."""

    __tablename__ = "grant_accesses"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    grant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("grants.id"), index=True)
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    actor_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    what: so.Mapped[str] = so.mapped_column(sa.String(64))
    # Who an employer without an account said they are (POST /api/v1/shared).
    viewer_unit: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    viewer_name: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    grant: so.Mapped[Grant] = so.relationship(back_populates="accesses")
