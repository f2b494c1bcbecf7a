"""Recording and verifying audit events."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jxjd.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from jxjd.common.time import utcnow
from jxjd.extensions import db

if TYPE_CHECKING:
    from jxjd.auth import Actor


def _digest(prev_hash: str, event: Any) -> str:
    """The event's hash over its predecessor's hash and its own canonical content."""
    content = {
        "prev": prev_hash,
        "at": event.at.isoformat(),
        "role": event.actor_role,
        "name": event.actor_name,
        "ref": event.actor_ref,
        "action": event.action,
        "target": [event.target_type, event.target_id],
        "summary": event.summary,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    """Summary values as JSON-safe primitives (dates and decimals as strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def record_event(
    actor: Actor, action: str, target_type: str, target_id: Any, **summary: Any
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    head_table = AuditHead.__table__
    # The UPDATE takes the row (PostgreSQL) or database (SQLite) write lock first, so the
    # head we read next cannot move under us before commit.
    result = db.session.execute(
        sa.update(head_table).where(head_table.c.id == 1).values(count=head_table.c.count + 1)
    )
    if result.rowcount == 0:
        db.session.add(AuditHead(id=1, last_hash=GENESIS_HASH, count=1))
        db.session.flush()
    head = db.session.get(AuditHead, 1, populate_existing=True)
    event = AuditEvent(
        at=utcnow(),
        actor_role=actor.role,
        actor_name=actor.name,
        actor_ref=actor.ref,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=_jsonable(summary),
        prev_hash=head.last_hash,
    )
    event.hash = _digest(head.last_hash, event)
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class ChainReport:
    """The result of walking the chain."""

    checked: int
    broken_at: int | None
    reason: str | None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk every event in order and report the first broken link."""
    # Plain rows, not ORM objects: what is stored is checked (never a copy cached in the session),
    # and the caller's session is left alone.
    table = AuditEvent.__table__
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        events = db.session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.prev_hash != prev:
                return ChainReport(checked, event.id, "prev_hash does not match the previous event")
            if _digest(prev, event) != event.hash:
                return ChainReport(checked, event.id, "content does not match its hash")
            prev = event.hash
            checked += 1
            last_id = event.id
    head = db.session.get(AuditHead, 1, populate_existing=True)
    if head is not None and head.last_hash != prev:
        return ChainReport(checked, None, "chain head does not match the last event")
    return ChainReport(checked, None, None)


def events_for(target_type: str, target_id: Any) -> list[AuditEvent]:
    """Every event about one target, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == target_type, AuditEvent.target_id == str(target_id))
            .order_by(AuditEvent.id)
        )
    )
