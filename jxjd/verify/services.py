"""Verifying a certificate against its signature and the register (CONTRACT §7)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from jxjd.certificates.models import Certificate
from jxjd.certificates.services import SERIAL_LENGTH, signing_keys
from jxjd.certificates.signing import SigningKeys, VerificationKey, verify_token
from jxjd.common import crockford
from jxjd.common.crypto import app_keystore
from jxjd.common.db import autocommit_reader, fetch_prepared
from jxjd.transcripts import services as transcripts

VALID, REVOKED, INVALID, NOT_FOUND = "valid", "revoked", "invalid", "not_found"
FAILED_RESULTS = frozenset({INVALID, NOT_FOUND})

# Serials are 22 URL-safe characters (128 bits); anything else cannot be one of ours.
_SERIAL_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")

# Plain Chinese reasons by code; the code is stable for clients, the sentence is for people.
REASONS = {
    "malformed_token": "二维码内容不完整或格式不正确，无法识别为本系统签发的证书。",
    "unknown_key": "签名所用的密钥不是本系统发布的签名密钥。",
    "bad_signature": "签名校验未通过，证书内容可能被篡改。",
    "key_compromised": (
        "签名所用的密钥已宣布泄露，用它签名的二维码一律无效；证书若仍有效，已用新密钥重新签名，"
        "请按证书编号查询或向发证基地索取新的二维码。"
    ),
    "outside_key_window": "签发时间不在签名密钥的有效期内，证书可能是伪造的。",
    "serial_mismatch": "链接中的证书编号与签名内容不一致。",
    "payload_mismatch": "签名内容与登记的证书信息不一致。",
    "unknown_serial": "系统中没有这个编号的证书。这不代表证书是伪造的：请核对证书编号是否输入有误。",
    "revoked": "证书已撤销。",
    # A transcript stays valid as of its issue; the notice names the years that changed since.
    "record_changed": "认定单签发后学时记录已有变更，认定单仅证明签发时的学时情况。",
}
CERTIFICATE, TRANSCRIPT = "certificate", transcripts.KIND


@dataclass
class Verification:
    """The outcome of one look-up: result, reason, the steps that ran, the stored certificate."""

    result: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    certificate: StoredCertificate | None = None
    reason_code: str | None = None
    kind: str = CERTIFICATE
    # A transcript's register copy and what changed in the archive since it was issued.
    transcript: Any = None
    changes: dict[str, Any] | None = None

    @property
    def reason(self) -> str | None:
        """A plain Chinese sentence (the revocation reason for a revoked certificate)."""
        if self.result == REVOKED and self.certificate is not None:
            return self.certificate.revoked_reason or REASONS["revoked"]
        if self.changes and self.changes.get("notice"):
            return self.changes["notice"]
        return REASONS.get(self.reason_code) if self.reason_code else None

    @property
    def failed(self) -> bool:
        """Invalid and not-found look-ups count against the client's rate limit."""
        return self.result in FAILED_RESULTS


# ---- verification keys and verified tokens, cached per process --------------------------------

_keyrings: dict[str, tuple[SigningKeys, int, dict[str, VerificationKey]]] = {}
_lock = threading.Lock()

# Signature checks that passed, by token: a pure function of the token and the published keys,
# so an entry stays right until the key directory changes (its stamp is part of the entry).
# Only successes are kept, so failed look-ups cannot crowd out genuine certificates. The size is
# app.config["JXJD_VERIFY_CACHE_SIZE"] (default 4096; 0 turns the cache off).
_verified: dict[str, tuple[tuple[str, int], dict[str, Any]]] = {}
_SIGNATURE_CHECKS = (
    {"step": "well_formed", "ok": True},
    {"step": "key_known", "ok": True},
    {"step": "signature", "ok": True},
    {"step": "key_window", "ok": True},
)


def _keyring(*, refresh: bool = False) -> tuple[tuple[str, int], dict[str, VerificationKey]]:
    """The key directory's (path, mtime) stamp and every key by kid, re-read only on change.

    A rotation or a compromise rewrites a key file by rename, which changes the directory's
    mtime: the keys (and their windows) are read again and every cached verdict is dropped.
    """
    directory = str(app_keystore().directory)
    cached = _keyrings.get(directory)
    ring = cached[0] if cached else signing_keys()
    # Stat before reading: a rotation in between leaves a stale stamp, so the next call re-reads.
    try:
        stamp = ring.directory.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = 0
    if cached and cached[1] == stamp and not refresh:
        return (directory, stamp), cached[2]
    keys = ring.public_keys()
    with _lock:
        _keyrings[directory] = (ring, stamp, keys)
    return (directory, stamp), keys


def public_keys(*, refresh: bool = False) -> dict[str, VerificationKey]:
    """Every published key by kid; re-read only when the key directory changes (rotation)."""
    return _keyring(refresh=refresh)[1]


def _cache_size() -> int:
    """How many verified tokens a process keeps."""
    return int(current_app.config["JXJD_VERIFY_CACHE_SIZE"])


def _remember(token: str, stamp: tuple[str, int], payload: dict[str, Any]) -> None:
    """Keep a verified token (oldest entries make room first)."""
    size = _cache_size()
    if size <= 0:
        return
    with _lock:
        while _verified and len(_verified) >= size:
            _verified.pop(next(iter(_verified)), None)
        _verified[token] = (stamp, payload)


# ---- look-ups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCertificate:
    """The register's copy of a certificate, as the public look-up reads it (read-only)."""

    serial: str
    token: str
    payload: dict[str, Any]
    alg: str
    kid: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    # Correct-and-reissue: the serial of the certificate that replaced this one, or that this
    # one replaces (None when there was no correction).
    replaced_by: str | None = None
    replaces: str | None = None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "valid"


_CERTIFICATES = Certificate.__table__
_LINKED = ("replaced_by", "replaces")


def _serial_of(column: sa.Column) -> sa.ScalarSelect:
    """The serial of the certificate a link column points at (a primary-key look-up)."""
    other = _CERTIFICATES.alias()
    return sa.select(other.c.serial).where(other.c.id == column).scalar_subquery()


# Built once: the hot path of every look-up only binds the serial.
_BY_SERIAL = sa.select(
    *(
        _CERTIFICATES.c[name]
        for name in StoredCertificate.__dataclass_fields__
        if name not in _LINKED
    ),
    _serial_of(_CERTIFICATES.c.replaced_by_id).label("replaced_by"),
    _serial_of(_CERTIFICATES.c.replaces_id).label("replaces"),
).where(_CERTIFICATES.c.serial == sa.bindparam("serial"))
# PostgreSQL: the same look-up as one prepared statement. When the scanned token is the stored
# one (every genuine QR code until a re-signing), neither the token nor the payload travels back:
# the caller already holds both, verified.
_BY_SERIAL_SQL = (
    "SELECT c.serial, c.token = %(t)s AS same,"
    " CASE WHEN c.token = %(t)s THEN NULL ELSE c.token END AS token,"
    " CASE WHEN c.token = %(t)s THEN NULL ELSE c.payload END AS payload,"
    " c.alg, c.kid, c.issued_at, c.revoked_at, c.revoked_reason,"
    f" (SELECT o.serial FROM {_CERTIFICATES.name} o WHERE o.id = c.replaced_by_id),"
    f" (SELECT o.serial FROM {_CERTIFICATES.name} o WHERE o.id = c.replaces_id)"
    f" FROM {_CERTIFICATES.name} c WHERE c.serial = %(s)s"
)


def find_certificate(
    serial: str, scanned: tuple[str, dict[str, Any]] | None = None
) -> StoredCertificate | None:
    """The stored certificate with this serial, or None (also for text that is no serial).

    `scanned` is a verified (token, payload) already in hand: when the stored token is that
    token, its copy is used instead of reading the same bytes back. The public look-up is the
    service's hottest path and only reads: no ORM session, one indexed query.
    """
    if not isinstance(serial, str):
        return None
    # As typed (older, case-sensitive serials), then as a Crockford serial (CONTRACT §13): any
    # case, hyphens and spaces ignored; a new serial is all capitals, so the two cannot collide.
    engine = autocommit_reader()
    for candidate in _candidates(serial):
        if engine.dialect.name != "postgresql":
            with engine.connect() as conn:
                row = conn.execute(_BY_SERIAL, {"serial": candidate}).first()
            if row is not None:
                return StoredCertificate(**row._mapping)
            continue
        found = _read_prepared(candidate, scanned)
        if found is not None:
            return found
    return None


def _candidates(serial: str):
    """The serial as typed, then its Crockford form if that differs (computed only if needed)."""
    if _SERIAL_RE.fullmatch(serial):
        yield serial
    typed = crockford.normalize(serial)
    if typed != serial and crockford.is_canonical(typed, SERIAL_LENGTH):
        if _SERIAL_RE.fullmatch(typed):
            yield typed


def _read_prepared(
    serial: str, scanned: tuple[str, dict[str, Any]] | None
) -> StoredCertificate | None:
    """One prepared statement on the autocommit reader, without SQLAlchemy's execution.

    Saves about 100 µs of CPU per look-up over a Core execute (measured, scripts/bench_verify.py).
    """
    token, payload = scanned if scanned is not None else ("", {})
    found = fetch_prepared(_BY_SERIAL_SQL, {"s": serial, "t": token})
    if found is None:
        return None
    (
        number,
        same,
        stored_token,
        stored_payload,
        alg,
        kid,
        issued_at,
        revoked_at,
        reason,
        replaced_by,
        replaces,
    ) = found[1]
    return StoredCertificate(
        serial=number,
        token=token if same else stored_token,
        payload=payload if same else stored_payload,
        alg=alg,
        kid=kid,
        issued_at=issued_at.astimezone(UTC),
        revoked_at=revoked_at.astimezone(UTC) if revoked_at is not None else None,
        revoked_reason=reason,
        replaced_by=replaced_by,
        replaces=replaces,
    )


def _check_token(token: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str | None]:
    """Checks, verified payload and failure code of a token, against the published keys."""
    stamp, keys = _keyring()
    known = _verified.get(token) if _verified else None
    if known is not None and known[0] == stamp and _cache_size() > 0:
        return [dict(c) for c in _SIGNATURE_CHECKS], known[1], None
    outcome = verify_token(token, keys)
    if outcome.kid is not None and outcome.kid not in keys and outcome.error:
        # A key created since the cache was filled (same-tick mtime): read the directory again.
        stamp, keys = _keyring(refresh=True)
        if outcome.kid in keys:
            outcome = verify_token(token, keys)
    if outcome.valid and outcome.payload is not None:
        _remember(token, stamp, outcome.payload)
        return outcome.checks, outcome.payload, None
    steps = {c["step"]: c["ok"] for c in outcome.checks}
    if not steps.get("well_formed"):
        code = "malformed_token"
    elif not steps.get("key_known"):
        code = "unknown_key"
    elif not steps.get("signature"):
        code = "bad_signature"
    elif outcome.kid is not None and keys[outcome.kid].compromised:
        code = "key_compromised"
    else:
        code = "outside_key_window"
    return outcome.checks, None, code


def _with_status(checks: list[dict[str, Any]], cert: StoredCertificate) -> Verification:
    """The final step: a genuine certificate is valid unless revoked."""
    revoked = cert.revoked_at is not None
    checks.append({"step": "status", "ok": not revoked})
    if revoked:
        return Verification(REVOKED, checks, cert, "revoked")
    return Verification(VALID, checks, cert)


def _transcript_outcome(checks: list[dict[str, Any]], transcript: Any) -> Verification:
    """A genuine transcript is valid as of its issue; a changed archive adds a notice."""
    changes = transcripts.changes_since(transcript)
    checks.append({"step": "record_current", "ok": not changes["record_changed"]})
    code = "record_changed" if changes["record_changed"] else None
    return Verification(VALID, checks, None, code, TRANSCRIPT, transcript, changes)


def verify_transcript(
    token: str | None, payload: dict[str, Any] | None, checks: list, serial: str | None
) -> Verification:
    """The transcript steps after the signature: the register's copy, then what changed since."""
    if token is None:  # by serial alone: its stored token goes through the signature steps
        transcript = transcripts.find(serial or "")
        if transcript is None:
            return Verification(NOT_FOUND, [], None, "unknown_serial")
        checks, payload, code = _check_token(transcript.token)
        if payload is None:
            return Verification(INVALID, checks, None, code, TRANSCRIPT)
    elif payload is None:
        return Verification(INVALID, checks, None, "malformed_token", TRANSCRIPT)
    else:
        sn = payload.get("sn")
        if serial is not None and transcripts.normalize_serial(serial) != sn:
            checks.append({"step": "payload_matches", "ok": False})
            return Verification(INVALID, checks, None, "serial_mismatch", TRANSCRIPT)
        transcript = transcripts.find(sn) if isinstance(sn, str) else None
        if transcript is None:
            checks.append({"step": "payload_matches", "ok": False})
            return Verification(NOT_FOUND, checks, None, "unknown_serial", TRANSCRIPT)
    if transcript.payload != payload or payload.get("sn") != transcript.serial:
        checks.append({"step": "payload_matches", "ok": False})
        return Verification(INVALID, checks, None, "payload_mismatch", TRANSCRIPT)
    checks.append({"step": "payload_matches", "ok": True})
    return _transcript_outcome(checks, transcript)


def verify_certificate(token: str | None = None, serial: str | None = None) -> Verification:
    """Verify a scanned token (optionally against the serial in the URL), or a serial alone.

    Token: signature by a published key, then the verified payload must equal the stored
    certificate's payload for its `sn`, then the status. Serial alone: the stored certificate's
    own token goes through the same steps. Nothing from an unverified token is ever returned.
    """
    token = token.strip() if token else None
    serial = serial.strip() if serial else None
    if token:
        checks, payload, code = _check_token(token)
        if payload is None:
            return Verification(INVALID, checks, None, code)
        if payload.get("kind") == TRANSCRIPT:
            return verify_transcript(token, payload, checks, serial)
        sn = payload.get("sn")
        if serial is not None and serial != sn:
            checks.append({"step": "payload_matches", "ok": False})
            return Verification(INVALID, checks, None, "serial_mismatch")
        cert = find_certificate(sn, (token, payload)) if isinstance(sn, str) else None
        if cert is None:
            checks.append({"step": "payload_matches", "ok": False})
            return Verification(NOT_FOUND, checks, None, "unknown_serial")
        if cert.payload != payload:
            checks.append({"step": "payload_matches", "ok": False})
            return Verification(INVALID, checks, None, "payload_mismatch")
        checks.append({"step": "payload_matches", "ok": True})
        return _with_status(checks, cert)

    cert = find_certificate(serial or "")
    if cert is None:
        if transcripts.normalize_serial(serial or "") is not None:
            return verify_transcript(None, None, [], serial)
        return Verification(NOT_FOUND, [], None, "unknown_serial")
    checks, payload, code = _check_token(cert.token)
    if payload is None:
        return Verification(INVALID, checks, None, code)
    matches = payload == cert.payload and payload.get("sn") == cert.serial
    checks.append({"step": "payload_matches", "ok": matches})
    if not matches:
        return Verification(INVALID, checks, None, "payload_mismatch")
    return _with_status(checks, cert)
