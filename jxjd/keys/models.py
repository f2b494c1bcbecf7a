"""Fingerprints of the keys the database's data was made with."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model


class KeyFingerprint(Model):
    """One key the data depends on: `secret:<purpose>` or `signing:<kid>`, never the key itself."""

    __tablename__ = "key_fingerprints"

    name: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    # HMAC of a constant under a secret key; SHA-256 of a signing key's public half.
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
