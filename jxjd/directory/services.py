"""The public directory: the bases the public may train with, and the units now on notice."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.bases.models import ACTIVE_STATUSES, Base
from jxjd.extensions import db


def directory_bases(query: str = "") -> list[Base]:
    """Recognized and rectifying bases, optionally those whose name, department or a specialty
    contains `query`."""
    bases = list(
        db.session.scalars(
            sa.select(Base)
            .where(Base.status.in_(ACTIVE_STATUSES))
            .options(so.selectinload(Base.specialties))
            .order_by(Base.id)
        )
    )
    if not query:
        return bases
    return [
        b
        for b in bases
        if query in b.name or query in b.department or any(query in s.name for s in b.specialties)
    ]
