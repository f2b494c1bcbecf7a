"""Issuing certificates in bulk: a random serial, a signed compact JWS, one per passing record."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.certificates import qr
from jxjd.certificates.fields import SHORTENABLE, IssueContext, session_values, signed_payload
from jxjd.certificates.models import Certificate
from jxjd.certificates.signing import ActiveKey, SigningKeys
from jxjd.common import crockford
from jxjd.common.crypto import app_keystore
from jxjd.common.db import bulk_insert, read_ahead, read_one, reserve_ids
from jxjd.common.enums import CERTIFICATE_STATUSES
from jxjd.common.paging import Page, page_of
from jxjd.common.time import to_local, utcnow
from jxjd.errors import Conflict, NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession
from jxjd.states import Machine, transition

MAX_QR_TEXT = 800
SERIAL_LENGTH = 26  # Crockford characters: 130 random bits (older serials: 22 URL-safe ones)


@dataclass(frozen=True)
class Issuable:
    """What a certificate states about one passing attendance record."""

    record_id: int
    person_id: int
    name: str
    id_masked: str
    hours: Decimal
    category: str | None = None  # a corrected record's category; None: the session's


def signing_keys() -> SigningKeys:
    """The app's signing keys (files in the instance key store)."""
    return SigningKeys(app_keystore())


def new_serial() -> str:
    """A fresh serial (CONTRACT §13): 26 Crockford characters (130 random bits) that people can
    type (no I, L, O, U; case, hyphens and spaces ignored on look-up), never reused."""
    return crockford.random_code(SERIAL_LENGTH)


def verify_url(serial: str, token: str) -> str:
    """The QR text: the public verification URL with the signed token."""
    return f"{current_app.config['JXJD_PUBLIC_URL']}/v/{serial}?t={token}"


# Longest first, the shortenable fields (certificates.fields) give way (with "…") when the QR
# text would be too long; the register keeps the full values, and what is signed is what the QR
# and the page show.
_MIN_KEPT = 6


def _sign_fitting(key: ActiveKey, payload: dict[str, Any], base_url_len: int) -> tuple[dict, str]:
    """Sign; while the QR text would reach 800 characters, shorten the longest free-text field."""
    token = key.sign(payload)
    while base_url_len + len(token) >= MAX_QR_TEXT:
        lengths = sorted((len(payload[name].rstrip("…")), name) for name in SHORTENABLE)
        (longest, field), runner_up = lengths[-1], lengths[-2][0]
        text = payload[field].rstrip("…")
        if longest <= _MIN_KEPT:
            raise ValueError("certificate payload cannot fit a QR code")  # pragma: no cover
        # Each Chinese character costs 4 characters of base64url: cut in proportion to the
        # excess, but only down to the next-longest field, so all of them shrink evenly.
        excess = base_url_len + len(token) - MAX_QR_TEXT + 1
        cut = max(1, min(longest - _MIN_KEPT, -(-excess // 4), longest - runner_up + 1))
        payload = {**payload, field: text[:-cut] + "…"}
        token = key.sign(payload)
    return payload, token


def _qr_prefix_len() -> int:
    """The length of the QR text before the token."""
    return len(current_app.config["JXJD_PUBLIC_URL"]) + len("/v/") + SERIAL_LENGTH + len("?t=")


def issue_certificates(
    session: Any, base_name: str, items: list[Issuable], now: datetime
) -> list[int]:
    """Sign and store one certificate per item (COPY or one executemany); their ids, in order.

    The ids are reserved up front (common.db.reserve_ids): nothing is read back.
    """
    if not items:
        return []
    ids = reserve_ids(Certificate.__table__, len(items))
    rows = Signer.for_session(session, base_name, now).rows(ids, items)
    bulk_insert(Certificate.__table__, rows)
    return ids


@dataclass(frozen=True)
class SessionFacts:
    """What a certificate states about its session, copied off the ORM object."""

    id: int
    title: str
    category: str
    start_date: Any
    end_date: Any


@dataclass(frozen=True)
class Signer:
    """Everything signing a session's certificates needs, taken in the request's thread: no app
    context, no ORM and no database after that, so an upload can sign in another thread while
    its records are being stored (attendance.services.store_roster)."""

    key: ActiveKey
    prefix_len: int
    session: SessionFacts
    base_name: str
    now: datetime
    common: dict[str, Any]

    @classmethod
    def for_session(cls, session: Any, base_name: str, now: datetime) -> Signer:
        facts = SessionFacts(
            session.id, session.title, session.category, session.start_date, session.end_date
        )
        iat = int(now.timestamp())
        first = Issuable(record_id=0, person_id=0, name="", id_masked="", hours=Decimal(0))
        common = session_values(IssueContext("", first, facts, base_name, iat))
        return cls(signing_keys().active(), _qr_prefix_len(), facts, base_name, now, common)

    def rows(self, ids: list[int], items: list[Issuable]) -> list[dict[str, Any]]:
        """The certificate rows of these items, with these (reserved) ids: signed, not stored."""
        return [row for chunk in self.chunks(ids, items) for row in chunk]

    def chunks(
        self, ids: list[int], items: list[Issuable], size: int = 500
    ) -> Iterator[list[dict[str, Any]]]:
        """rows(ids, items), `size` at a time, each chunk handed out as soon as it is signed."""
        key, iat = self.key, int(self.now.timestamp())
        chunk: list[dict[str, Any]] = []
        for cert_id, item in zip(ids, items, strict=True):
            serial = new_serial()
            context = IssueContext(serial, item, self.session, self.base_name, iat)
            payload, token = _sign_fitting(
                key, signed_payload(context, self.common), self.prefix_len
            )
            chunk.append(
                {
                    "id": cert_id,
                    "serial": serial,
                    "record_id": item.record_id,
                    "person_id": item.person_id,
                    "session_id": self.session.id,
                    "alg": key.alg,
                    "kid": key.kid,
                    "token": token,
                    "payload": payload,
                    "issued_at": self.now,
                }
            )
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# ---- reading, access, QR cache, revocation ---------------------------------------------------


def get_certificate(serial: str) -> Certificate:
    """A certificate by serial; 404 if unknown (no scope: callers authorize)."""
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))
    if cert is None:
        raise NotFound("证书不存在")
    return cert


def certificate_for(actor: Actor, serial: str, action: str = "certificate.read") -> Certificate:
    """A certificate by serial the actor may `action`: 404 unknown, 403 otherwise."""
    authorize(actor, action)
    cert = get_certificate(serial)
    authorize(actor, action, cert)
    return cert


_CERTIFICATES = Certificate.__table__
# What the QR images need (the URL they encode) and what authorizing a reader needs.
_QR_BY_SERIAL = sa.select(
    *(_CERTIFICATES.c[name] for name in ("id", "serial", "token", "person_id", "session_id"))
).where(_CERTIFICATES.c.serial == sa.bindparam("serial"))


def read_qr_certificate_ahead(serial: str) -> None:
    """Send qr_certificate_for's look-up with the caller's token look-up (read_ahead)."""
    read_ahead(_QR_BY_SERIAL, {"serial": serial})


def qr_certificate_for(actor: Actor, serial: str) -> Certificate:
    """certificate_for(actor, serial) for the QR images: five columns, no ORM load.

    Read on the autocommit reader (a re-signed certificate's new token is seen at once), as
    a transient Certificate that is never added to the session; authorized as usual.
    """
    authorize(actor, "certificate.read")
    row = read_one(_QR_BY_SERIAL, {"serial": serial})
    if row is None:
        raise NotFound("证书不存在")
    cert = Certificate(**row)
    authorize(actor, "certificate.read", cert)
    return cert


def certificates_of_session(
    session: TrainingSession, page: Page | None = None
) -> list[Certificate]:
    """A session's certificates in issue order (one page of them, if given)."""
    return list(
        db.session.scalars(
            page_of(
                sa.select(Certificate)
                .where(Certificate.session_id == session.id)
                .order_by(Certificate.id),
                page,
            )
        )
    )


def certificates_of_person(person_id: int) -> list[Certificate]:
    """A person's certificates, newest first."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.person_id == person_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def qr_etag(cert: Certificate, kind: str) -> str:
    """The entity tag of a QR image: a digest of the URL it encodes, and the format."""
    url = verify_url(cert.serial, cert.token)
    return f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{kind}"


def qr_image(cert: Certificate, kind: str) -> bytes:
    """The QR code of the verify URL as PNG or SVG; rendered once, then served from the cache."""
    url = verify_url(cert.serial, cert.token)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    cache_dir = Path(current_app.config["JXJD_QR_CACHE_DIR"])
    path = cache_dir / f"{cert.serial}-{digest}.{kind}"
    cached = qr.read_cached(path)
    if cached is not None:
        return cached
    data = qr.render_png(url) if kind == "png" else qr.render_svg(url)
    qr.write_cached(path, data)  # a cache that cannot be written only costs a re-render
    return data


def prune_qr_cache(batch: int = 1000) -> int:
    """Delete cached QR images that no longer show their certificate's current token.

    The file name carries a digest of the URL, so a re-signed certificate is never served an old
    image anyway; this frees the space. Reads the folder and the register in bounded batches.
    """
    cache_dir = Path(current_app.config["JXJD_QR_CACHE_DIR"])
    if not cache_dir.is_dir():
        return 0
    removed = 0
    names: list[str] = []

    def flush(names: list[str]) -> int:
        by_serial: dict[str, list[str]] = {}
        for name in names:
            serial = name.rsplit(".", 1)[0].rsplit("-", 1)[0]
            by_serial.setdefault(serial, []).append(name)
        rows = db.session.execute(
            sa.select(Certificate.serial, Certificate.token).where(
                Certificate.serial.in_(list(by_serial))
            )
        ).all()
        current = {
            row.serial: hashlib.sha256(verify_url(row.serial, row.token).encode()).hexdigest()[:16]
            for row in rows
        }
        count = 0
        for serial, files in by_serial.items():
            for name in files:
                digest = name.rsplit(".", 1)[0].rsplit("-", 1)[-1]
                if current.get(serial) != digest:
                    with contextlib.suppress(FileNotFoundError):
                        (cache_dir / name).unlink()
                        count += 1
        return count

    with os.scandir(cache_dir) as entries:
        for entry in entries:
            if entry.is_file() and entry.name.endswith((".png", ".svg")):
                names.append(entry.name)
                if len(names) >= batch:
                    removed += flush(names)
                    names = []
    if names:
        removed += flush(names)
    return removed


# ---- a compromised signing key: re-sign what it signed ---------------------------------------


def count_signed_by(kid: str) -> int:
    """How many certificates carry a token of `kid`."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Certificate).where(Certificate.kid == kid)
        )
        or 0
    )


def resign_batch(actor: Actor, kid: str, *, limit: int = 500) -> int:
    """Re-sign up to `limit` certificates of `kid` with the active key (same serials, new tokens).

    Revoked certificates are re-signed too, so a serial look-up keeps answering `revoked` rather
    than `invalid`. The payload keeps every field but `iat`, which becomes the re-signing time
    (it must lie within the new key's window); `issued_at` keeps the original issue time. One
    executemany per batch and one audit event per batch; the caller commits.
    """
    prefix_len = _qr_prefix_len()
    return resign_rows(
        actor,
        Certificate.__table__,
        kid,
        limit=limit,
        sign=lambda key, payload: _sign_fitting(key, payload, prefix_len),
        event="certificate.resign",
    )


def resign_rows(
    actor: Actor,
    table: sa.Table,
    kid: str,
    *,
    limit: int,
    sign: Callable[[Any, dict[str, Any]], tuple[dict[str, Any], str]],
    event: str,
) -> int:
    """Re-sign up to `limit` rows of `table` (certificates, transcripts) signed by `kid`.

    `sign(key, payload)` returns the payload as signed and its token. Every signed fact stays but
    `iat`, which becomes the re-signing time (within the new key's window). One executemany and
    one audit event per batch; the caller commits.
    """
    key = signing_keys().active()
    if key.kid == kid:
        raise ValueError("the active key cannot re-sign what it signed itself")
    rows = db.session.execute(
        sa.select(table.c.id, table.c.serial, table.c.payload)
        .where(table.c.kid == kid)
        .order_by(table.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    iat = int(utcnow().timestamp())
    updates = []
    for row in rows:
        payload, token = sign(key, {**row.payload, "iat": iat})
        updates.append({"b_id": row.id, "b_token": token, "b_payload": payload})
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(
            token=sa.bindparam("b_token"),
            payload=sa.bindparam("b_payload"),
            kid=key.kid,
            alg=key.alg,
        ),
        updates,
    )
    record_event(
        actor,
        event,
        "signing_key",
        kid,
        new_kid=key.kid,
        count=len(rows),
        first_serial=rows[0].serial,
        last_serial=rows[-1].serial,
    )
    return len(rows)


class AlreadyRevoked(Conflict):
    code, title = "already_revoked", "证书已撤销"


def _already_revoked(cert: Certificate, current: str, verb: str) -> AlreadyRevoked:
    when = f"于 {to_local(cert.revoked_at):%Y-%m-%d} " if cert.revoked_at else ""
    return AlreadyRevoked(f"证书 {cert.serial} 已{when}撤销")


# A certificate is valid until revoked (its revoked_at is set); revocation is final.
CERTIFICATE_MACHINE = Machine(
    model=Certificate,
    kind="certificate",
    noun="证书",
    labels=CERTIFICATE_STATUSES,
    moves={"valid": frozenset({"revoked"}), "revoked": frozenset()},
    column="revoked_at",
    state_of=lambda cert: cert.status,
    where_state=lambda table, states: (
        table.c.revoked_at.is_(None) if "valid" in states else table.c.revoked_at.is_not(None)
    ),
    write_state=lambda to: {"revoked_at": utcnow()},
    refusal=_already_revoked,
)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            [field_error("missing_reason", "撤销证书须说明原因", field="reason")]
        )
    return reason


# Called in the revoking transaction with the attendance record ids whose certificates were just
# revoked (attendance clears their `counted` flag and its tallies; it imports this package, so
# it registers here rather than being imported).
REVOCATION_LISTENERS: list[Callable[[list[int]], None]] = []


def on_revocation(listener: Callable[[list[int]], None]) -> Callable[[list[int]], None]:
    """Register a function to run, in the same transaction, whenever certificates are revoked."""
    REVOCATION_LISTENERS.append(listener)
    return listener


def _revoked(record_ids: list[int]) -> None:
    for listener in REVOCATION_LISTENERS:
        listener(record_ids)


def revoke_certificate(actor: Actor, cert: Certificate, *, reason: str) -> Certificate:
    """Revoke one certificate; its hours stop counting, the record stays."""
    authorize(actor, "certificate.revoke", cert)
    reason = _reason(reason)
    transition(
        cert,
        "revoked",
        actor=actor,
        event="certificate.revoke",
        verb="撤销",
        target=("certificate", cert.serial),
        values={"revoked_reason": reason, "revoked_by": actor.name},
        then=lambda _previous: _revoked([cert.record_id]),
        reason=reason,
    )
    return cert


def revoke_session_certificates(actor: Actor, session: TrainingSession, *, reason: str) -> int:
    """Revoke every still-valid certificate of a session in one statement (e.g. 乱发证, 第二十三条)."""
    authorize(actor, "certificate.revoke_session", session)
    reason = _reason(reason)
    now = utcnow()
    record_ids = list(
        db.session.scalars(
            sa.update(Certificate)
            .where(Certificate.session_id == session.id, Certificate.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason, revoked_by=actor.name)
            .returning(Certificate.record_id)
            .execution_options(synchronize_session=False)
        )
    )
    _revoked(record_ids)
    record_event(
        actor,
        "certificate.revoke_session",
        "session",
        session.id,
        reason=reason,
        count=len(record_ids),
    )
    db.session.expire_all()
    return len(record_ids)


def replace_certificate(
    actor: Actor,
    cert: Certificate,
    *,
    reason: str,
    reissue: Callable[[], int],
    **summary: Any,
) -> Certificate:
    """Revoke `cert` for a correction and link it both ways with the certificate that
    `reissue()` issues (its id), in one move: 409 to the loser of two concurrent corrections.

    `reissue` runs under the old certificate's row lock after it is revoked, so the partial
    unique index (one valid certificate per record) holds at every step; the revocation
    listeners run first (the record stops counting), then `reissue` counts it again.
    """
    authorize(actor, "certificate.correct", cert)
    table = Certificate.__table__
    replacement: dict[str, Any] = {}

    def then(_previous: str) -> dict[str, Any]:
        _revoked([cert.record_id])
        new_id = reissue()
        db.session.execute(
            sa.update(table).where(table.c.id == cert.id).values(replaced_by_id=new_id)
        )
        db.session.execute(sa.update(table).where(table.c.id == new_id).values(replaces_id=cert.id))
        replacement["id"] = new_id
        serial = db.session.scalar(sa.select(table.c.serial).where(table.c.id == new_id))
        return {"replaced_by": serial}

    transition(
        cert,
        "revoked",
        actor=actor,
        event="certificate.correct",
        verb="更正",
        target=("certificate", cert.serial),
        values={"revoked_reason": reason, "revoked_by": actor.name},
        then=then,
        **summary,
    )
    db.session.expire(cert)
    return db.session.get_one(Certificate, replacement["id"])
