"""The public verification shapes: every signed field, a masked ID only, never the token."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from jxjd.common.fields import Timestamp
from jxjd.common.time import isoformat, to_local


def _signed(key: str):
    """A field read from the certificate's signed payload."""
    return fields.Function(lambda c: c.payload.get(key))


class PublicCertificateSchema(Schema):
    """What anyone holding the QR code may see: the signed fields and the status."""

    serial = fields.String()
    name = _signed("name")
    id_masked = _signed("id_masked")
    title = _signed("title")
    base = _signed("base")
    category = _signed("category")
    hours = _signed("hours")
    start_date = _signed("start_date")
    end_date = _signed("end_date")
    issued_at = Timestamp()
    kid = fields.String()
    alg = fields.String()
    status = fields.String()
    revoked_at = fields.Function(
        lambda c: to_local(c.revoked_at).date().isoformat() if c.revoked_at else None,
        metadata={"description": "撤销日期 YYYY-MM-DD（未撤销为 null）"},
    )
    revoked_reason = fields.String(allow_none=True)


class VerifyCheckSchema(Schema):
    """One verification step that ran, and whether it passed."""

    step = fields.String(
        metadata={
            "enum": [
                "well_formed",
                "key_known",
                "signature",
                "key_window",
                "payload_matches",
                "status",
            ]
        }
    )
    ok = fields.Boolean()


class VerificationSchema(Schema):
    """GET /api/v1/verify: the result, a plain reason, the certificate (or null), the steps."""

    result = fields.String(metadata={"enum": ["valid", "revoked", "invalid", "not_found"]})
    reason = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    certificate = fields.Nested(PublicCertificateSchema, allow_none=True)
    checks = fields.List(fields.Nested(VerifyCheckSchema))


def dump_public_certificate(cert) -> dict[str, Any]:
    """PublicCertificateSchema().dump(cert), written out: the verify API's hot path."""
    p = cert.payload
    return {
        "serial": cert.serial,
        "name": p.get("name"),
        "id_masked": p.get("id_masked"),
        "title": p.get("title"),
        "base": p.get("base"),
        "category": p.get("category"),
        "hours": p.get("hours"),
        "start_date": p.get("start_date"),
        "end_date": p.get("end_date"),
        "issued_at": isoformat(cert.issued_at),
        "kid": cert.kid,
        "alg": cert.alg,
        "status": cert.status,
        "revoked_at": to_local(cert.revoked_at).date().isoformat() if cert.revoked_at else None,
        "revoked_reason": cert.revoked_reason,
    }


def dump_verification(outcome) -> dict[str, Any]:
    """VerificationSchema().dump(outcome) without marshmallow's per-call cost (same output)."""
    cert = outcome.certificate
    return {
        "result": outcome.result,
        "reason": outcome.reason,
        "reason_code": outcome.reason_code,
        "certificate": dump_public_certificate(cert) if cert is not None else None,
        "checks": [{"step": c["step"], "ok": c["ok"]} for c in outcome.checks],
    }
