"""Recording and verifying audit events: a chain keyed with HMAC, a MACed head, checkpoints.

What this protects against, and what it does not, is spelled out in the README ("Audit trail").
In short: without the audit-hmac key nobody can edit, insert or delete events, or move the head
back, without `flask audit verify` saying so; replaying an older copy of the whole database is
caught by the checkpoints kept outside it; someone holding both the database and the key store
can rewrite everything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context

from jxjd.audit.models import (
    CHAIN_HMAC,
    CHAIN_SHA256,
    GENESIS_HASH,
    AccessLogEntry,
    AuditEvent,
    AuditHead,
)
from jxjd.common.crypto import app_keystore
from jxjd.common.db import execute_dml
from jxjd.common.files import append_private
from jxjd.common.time import utcnow
from jxjd.extensions import db

if TYPE_CHECKING:
    from jxjd.auth import Actor

log = logging.getLogger(__name__)

_EVENT_PREFIX = b"jxjd audit event v2\x00"
_HEAD_PREFIX = b"jxjd audit head v2\x00"
_CHECKPOINT_PREFIX = b"jxjd audit checkpoint v2\x00"
_CHECKPOINT_DUE = "jxjd_audit_checkpoint_due"


def _canonical(prev_hash: str, event: Any) -> bytes:
    """The event's canonical content, linked to its predecessor's hash."""
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
    return canonical.encode()


def _digest(prev_hash: str, event: Any) -> str:
    """Version 1 (unkeyed): SHA-256 over the canonical content."""
    return hashlib.sha256(_canonical(prev_hash, event)).hexdigest()


def _mac(key: bytes, prev_hash: str, event: Any) -> str:
    """Version 2: HMAC-SHA256 over the canonical content under the audit-hmac key."""
    return hmac.new(key, _EVENT_PREFIX + _canonical(prev_hash, event), hashlib.sha256).hexdigest()


def head_mac(key: bytes, count: int, last_hash: str) -> str:
    """The MAC of a chain head: how many events, and the last one's hash."""
    message = _HEAD_PREFIX + f"{int(count)}:{last_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def audit_key() -> bytes:
    """The audit-hmac secret of the running app's key store."""
    return app_keystore().secret("audit-hmac")


def _jsonable(value: Any) -> Any:
    """Summary values as JSON-safe primitives (dates and decimals as strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def log_access(actor: Actor, action: str, person_id: int | None, **summary: Any) -> None:
    """Append one read of personal data to the access log: no chain, no lock on the head."""
    db.session.execute(
        sa.insert(AccessLogEntry).values(
            at=utcnow(),
            actor_role=actor.role,
            actor_name=actor.name[:200],
            actor_ref=actor.ref,
            action=action,
            person_id=person_id,
            summary=_jsonable(summary),
        )
    )


def record_event(
    actor: Actor, action: str, target_type: str, target_id: Any, **summary: Any
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    key = audit_key()  # before the lock: a missing key fails fast, holding nothing
    head_table = AuditHead.__table__
    # The UPDATE takes the row (PostgreSQL) or database (SQLite) write lock first, so the
    # head we read next cannot move under us before commit.
    bumped = execute_dml(
        sa.update(head_table).where(head_table.c.id == 1).values(count=head_table.c.count + 1)
    )
    if bumped == 0:
        db.session.add(AuditHead(id=1, last_hash=GENESIS_HASH, count=1))
        db.session.flush()
    head = db.session.get_one(AuditHead, 1, populate_existing=True)
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
        version=CHAIN_HMAC,
    )
    event.hash = _mac(key, head.last_hash, event)
    first_keyed = head.mac is None
    head.last_hash = event.hash
    head.mac = head_mac(key, head.count, head.last_hash)
    db.session.add(event)
    db.session.flush()
    every = int(current_app.config.get("JXJD_AUDIT_CHECKPOINT_EVERY") or 0)
    # The first keyed event is always checkpointed: afterwards, a chain rewritten in the unkeyed
    # form (which needs no key) no longer matches what the checkpoint file remembers.
    if every > 0 and (first_keyed or head.count % every == 0):
        db.session.info[_CHECKPOINT_DUE] = True  # written once the transaction has committed
    return event


# ---- checkpoints: the head, remembered outside the database ----------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The chain's length and last hash at one moment, MACed, kept in an append-only file."""

    count: int
    last_hash: str
    at: str

    def mac(self, key: bytes) -> str:
        """The checkpoint line's MAC."""
        message = _CHECKPOINT_PREFIX + f"{self.count}:{self.last_hash}:{self.at}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_path() -> Path:
    """The checkpoint file: JXJD_AUDIT_CHECKPOINTS, by default in the key store."""
    configured = current_app.config.get("JXJD_AUDIT_CHECKPOINTS")
    return Path(configured) if configured else app_keystore().directory / "audit-checkpoints.jsonl"


class HeadNotAuthentic(Exception):
    """The chain head's MAC does not verify: no checkpoint is taken of it."""


def write_checkpoint(conn: sa.Connection | None = None) -> Checkpoint:
    """Append the current head (count, last hash, time) to the checkpoint file and the log."""
    key = audit_key()
    head_table = AuditHead.__table__
    query = sa.select(head_table.c.count, head_table.c.last_hash, head_table.c.mac).where(
        head_table.c.id == 1
    )
    if conn is None:
        row = db.session.execute(query).first()
    else:
        row = conn.execute(query).first()
    count, last_hash, mac = tuple(row) if row else (0, GENESIS_HASH, None)
    if mac is not None and not hmac.compare_digest(mac, head_mac(key, count, last_hash)):
        raise HeadNotAuthentic("the chain head's MAC does not verify: run `flask audit verify`")
    point = Checkpoint(int(count), last_hash, utcnow().isoformat(timespec="seconds"))
    line = {"count": point.count, "last": point.last_hash, "at": point.at, "mac": point.mac(key)}
    append_private(checkpoint_path(), json.dumps(line, separators=(",", ":")))
    # The same line in the service log, which is usually shipped off the machine.
    log.info("audit checkpoint %s", json.dumps(line, separators=(",", ":")))
    return point


def read_checkpoints(key: bytes) -> Iterator[tuple[int, Checkpoint | None]]:
    """(line number, checkpoint) for each line of the file; None for a line that is not authentic."""
    path = checkpoint_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            point = Checkpoint(int(data["count"]), str(data["last"]), str(data["at"]))
            authentic = isinstance(data.get("mac"), str) and hmac.compare_digest(
                data["mac"], point.mac(key)
            )
        except (ValueError, KeyError, TypeError):
            authentic = False
        yield number, (point if authentic else None)


@sa.event.listens_for(so.Session, "after_commit")
def _checkpoint_after_commit(session: so.Session) -> None:
    """Take a due checkpoint once the events it covers are committed (never for a rollback)."""
    if not session.info.pop(_CHECKPOINT_DUE, False) or not has_app_context():
        return
    try:
        with db.engine.connect() as conn:
            write_checkpoint(conn)
    except Exception:  # noqa: BLE001 - the commit stands; `flask audit verify` will say more
        log.exception("could not write the audit checkpoint")


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_checkpoint(session: so.Session) -> None:
    """A rolled-back transaction's events never happened: no checkpoint for them."""
    session.info.pop(_CHECKPOINT_DUE, None)


# ---- verification ----------------------------------------------------------------------------


@dataclass
class ChainReport:
    """The result of walking the chain."""

    checked: int
    broken_at: int | None
    reason: str | None
    unkeyed: int = 0  # version 1 events (before the chain was keyed)
    checkpoints: int = 0  # checkpoints the chain was compared with
    latest_checkpoint: str | None = None
    notes: list[str] = field(default_factory=list)


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk every event in order; check links, MACs, the head and every checkpoint."""
    key = audit_key()
    points: dict[int, list[Checkpoint]] = {}
    latest: Checkpoint | None = None
    for number, point in read_checkpoints(key):
        if point is None:
            return ChainReport(
                0, None, f"checkpoint file line {number} is not authentic (edited or forged)"
            )
        points.setdefault(point.count, []).append(point)
        if latest is None or point.count > latest.count:
            latest = point
    total_points = sum(len(v) for v in points.values())

    # Plain rows, not ORM objects: what is stored is checked (never a copy cached in the session),
    # and the caller's session is left alone.
    table = AuditEvent.__table__
    prev = GENESIS_HASH
    checked = unkeyed = 0
    keyed_seen = False
    last_id = 0

    def report(broken_at: int | None, reason: str | None) -> ChainReport:
        return ChainReport(
            checked,
            broken_at,
            reason,
            unkeyed,
            total_points,
            latest.at if latest else None,
        )

    while True:
        events = db.session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.prev_hash != prev:
                return report(event.id, "prev_hash does not match the previous event")
            if event.version == CHAIN_HMAC:
                expected = _mac(key, prev, event)
                keyed_seen = True
            elif event.version == CHAIN_SHA256 and not keyed_seen:
                expected = _digest(prev, event)
                unkeyed += 1
            elif event.version == CHAIN_SHA256:
                return report(event.id, "an unkeyed event follows keyed ones")
            else:
                return report(event.id, f"unknown chain version {event.version}")
            if not hmac.compare_digest(expected, event.hash):
                return report(event.id, "content does not match its hash (MAC)")
            prev = event.hash
            checked += 1
            last_id = event.id
            for point in points.get(checked, ()):
                if point.last_hash != prev:
                    return report(
                        event.id, f"event differs from the checkpoint taken at {point.at}"
                    )

    return report(None, _end_problem(key, prev, checked, keyed_seen, latest))


def _end_problem(
    key: bytes, last_hash: str, checked: int, keyed: bool, latest: Checkpoint | None
) -> str | None:
    """What is wrong with the chain's end once every event verified: its head, the checkpoints."""
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        return "chain head is missing"
    if head.last_hash != last_hash:
        return "chain head does not match the last event"
    if head.count != checked:
        return f"chain head counts {head.count} events but {checked} are stored"
    if head.mac is not None:
        if not hmac.compare_digest(head.mac, head_mac(key, head.count, head.last_hash)):
            return "chain head MAC does not verify (head moved or forged)"
    elif keyed:
        return "chain head has no MAC although the chain is keyed"
    if latest is not None and latest.count > checked:
        return (
            f"the checkpoint taken at {latest.at} counted {latest.count} events but only "
            f"{checked} are stored: events were removed from the end, or the database was "
            "rolled back"
        )
    return None


def events_for(target_type: str, target_id: Any) -> list[AuditEvent]:
    """Every event about one target, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == target_type, AuditEvent.target_id == str(target_id))
            .order_by(AuditEvent.id)
        )
    )
