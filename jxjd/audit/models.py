"""Audit events and the single chain head that serialises appends."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model

GENESIS_HASH = "0" * 64
# How an event's `hash` is made: 1 = SHA-256 over the content (events written before the chain
# was keyed, still checked by that rule); 2 = HMAC-SHA256 under the key store's audit-hmac key.
CHAIN_SHA256, CHAIN_HMAC = 1, 2


class AuditEvent(Model):
    """One state-changing action: who, in which role, did what to which target, when."""

    __tablename__ = "audit_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    actor_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    target_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    target_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    summary: so.Mapped[dict] = so.mapped_column(sa.JSON)
    # A chain never forks: each hash is somebody's predecessor at most once.
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    version: so.Mapped[int] = so.mapped_column(
        sa.SmallInteger, default=CHAIN_HMAC, server_default=sa.text(str(CHAIN_SHA256))
    )

    __table_args__ = (sa.Index("ix_audit_events_target", "target_type", "target_id"),)


class AuditHead(Model):
    """The single row naming the chain's last hash; updating it first serialises writers."""

    __tablename__ = "audit_heads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    last_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    # HMAC over (count, last_hash): a head moved back (events cut off the end) does not verify.
    # NULL for a chain that has never had a keyed event.
    mac: so.Mapped[str | None] = so.mapped_column(sa.String(64))


class AccessLogEntry(Model):
    """One logged read of personal data (an archive query): who, what, when. Append-only.

    Reads are not state changes: they go here rather than into the audit chain, so a read never
    waits on the chain's head row. Entries are only ever inserted.
    """

    __tablename__ = "access_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    actor_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    # Whose data was read (for the person's "who looked" list).
    person_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("people.id"))
    summary: so.Mapped[dict] = so.mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_access_log_person_id_at", "person_id", "at"),)
