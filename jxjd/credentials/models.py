"""Status lists (W3C Bitstring Status List) and each certificate's place in one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.certificates.models import Certificate
from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class StatusList(Model):
    """One published status list: `size` entries, handed out in a keyed pseudo-random order."""

    __tablename__ = "status_lists"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    size: so.Mapped[int] = so.mapped_column()
    # How many entries have been handed out; entry n gets index permute(seed, n) (not n itself).
    allocated: so.Mapped[int] = so.mapped_column(default=0)
    seed: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


class CredentialStatus(Model):
    """A certificate's entry in a status list and the salt of its subject's identity hash."""

    __tablename__ = "credential_statuses"

    certificate_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("certificates.id"), primary_key=True
    )
    list_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("status_lists.id"))
    idx: so.Mapped[int] = so.mapped_column()
    salt: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("list_id", "idx"),)


# A status list is rebuilt from the revoked certificates: this index lets that query (and the
# cheap "has anything been revoked since?" check) read only the revoked rows, index-only (the id
# is in it). Declared here rather than in certificates/models.py to keep that file untouched.
sa.Index(
    "ix_certificates_revoked_at", Certificate.__table__.c.revoked_at, Certificate.__table__.c.id
)
