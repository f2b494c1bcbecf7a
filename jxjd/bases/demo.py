"""Demo data: the demo bases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jxjd.auth import CLI
from jxjd.bases.models import Base
from jxjd.bases.services import create_base
from jxjd.common.demo import DEMO_BASES, demo_step
from jxjd.extensions import db


@demo_step
def load_bases(ctx: dict[str, Any]) -> None:
    """The demo bases, created once."""
    bases = []
    for data in DEMO_BASES:
        base = db.session.scalar(sa.select(Base).where(Base.credit_code == data["credit_code"]))
        if base is None:
            base = create_base(CLI, {**data, "status": "recognized"})
        bases.append(base)
    ctx["bases"] = bases
