"""The person record: the ID number only encrypted, found by its keyed hash."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.ids import mask_id_number
from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class Person(Model):
    """A professional, identified by ID number (GB 11643)."""

    __tablename__ = "people"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    id_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    id_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    # First 6 and last 4 digits only: what non-privileged views show.
    id_masked: so.Mapped[str] = so.mapped_column(sa.String(18))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    # The mobile number from the latest roster that gave one: encrypted, and masked for display.
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    phone_masked: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    @staticmethod
    def mask(id_number: str) -> str:
        return mask_id_number(id_number)
