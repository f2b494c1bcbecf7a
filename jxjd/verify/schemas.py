"""The public verification shapes: every signed field, a masked ID only, never the token."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from jxjd.certificates.fields import SCHEMA_FIELDS
from jxjd.certificates.schemas import signed_fields
from jxjd.common.fields import Timestamp
from jxjd.common.time import isoformat, to_local
from jxjd.transcripts.schemas import TranscriptYearSchema
from jxjd.transcripts.services import public_view


def _revoked_on(cert: Any) -> str | None:
    """The revocation date YYYY-MM-DD in China Standard Time (None while valid)."""
    return to_local(cert.revoked_at).date().isoformat() if cert.revoked_at else None


PublicCertificateSchema = Schema.from_dict(
    {
        "serial": fields.String(),
        **signed_fields(),
        "issued_at": Timestamp(),
        "kid": fields.String(),
        "alg": fields.String(),
        "status": fields.String(),
        "revoked_at": fields.Function(
            _revoked_on, metadata={"description": "撤销日期 YYYY-MM-DD（未撤销为 null）"}
        ),
        "revoked_reason": fields.String(allow_none=True),
        "replaced_by": fields.String(
            allow_none=True, metadata={"description": "更正后换发的新证书编号（未更正为 null）"}
        ),
        "replaces": fields.String(
            allow_none=True, metadata={"description": "本证书因更正而取代的旧证书编号"}
        ),
    },
    name="PublicCertificateSchema",
)
PublicCertificateSchema.__doc__ = (
    "What anyone holding the QR code may see: the signed fields and the status."
)
_SIGNED_KEYS = tuple(f.key for f in SCHEMA_FIELDS)


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
                "record_current",
            ]
        }
    )
    ok = fields.Boolean()


class PublicTranscriptSchema(Schema):
    """A verified transcript: the signed statement as of issue, and what changed since."""

    serial = fields.String()
    name = fields.String()
    id_masked = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    years = fields.List(fields.Nested(TranscriptYearSchema))
    all_years_compliant = fields.Boolean()
    issued_at = Timestamp(metadata={"description": "签发时间：认定单所述为此时的学时情况"})
    kid = fields.String()
    alg = fields.String()
    record_changed = fields.Boolean(metadata={"description": "签发后学时记录是否已有变更"})
    changed_years = fields.List(fields.Integer())
    hours_reduced_years = fields.List(
        fields.Integer(), metadata={"description": "签发后学时减少的年度（如证书被撤销）"}
    )
    notice = fields.String(allow_none=True)


class VerificationSchema(Schema):
    """GET /api/v1/verify: the result, a plain reason, the certificate or transcript, the steps."""

    kind = fields.String(metadata={"enum": ["certificate", "transcript"]})
    result = fields.String(metadata={"enum": ["valid", "revoked", "invalid", "not_found"]})
    reason = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    certificate = fields.Nested(PublicCertificateSchema, allow_none=True)
    transcript = fields.Nested(PublicTranscriptSchema, allow_none=True)
    checks = fields.List(fields.Nested(VerifyCheckSchema))


def dump_public_certificate(cert) -> dict[str, Any]:
    """PublicCertificateSchema().dump(cert), written out: the verify API's hot path."""
    p = cert.payload
    out = {"serial": cert.serial}
    for key in _SIGNED_KEYS:
        out[key] = p.get(key)
    out["issued_at"] = isoformat(cert.issued_at)
    out["kid"], out["alg"], out["status"] = cert.kid, cert.alg, cert.status
    out["revoked_at"] = _revoked_on(cert)
    out["revoked_reason"] = cert.revoked_reason
    out["replaced_by"] = cert.replaced_by
    out["replaces"] = cert.replaces
    return out


def dump_verification(outcome) -> dict[str, Any]:
    """VerificationSchema().dump(outcome) without marshmallow's per-call cost (same output)."""
    cert = outcome.certificate
    transcript = None
    if outcome.transcript is not None:
        transcript = PublicTranscriptSchema().dump(
            {**public_view(outcome.transcript), **outcome.changes}
        )
    return {
        "kind": outcome.kind,
        "result": outcome.result,
        "reason": outcome.reason,
        "reason_code": outcome.reason_code,
        "certificate": dump_public_certificate(cert) if cert is not None else None,
        "transcript": transcript,
        "checks": [{"step": c["step"], "ok": c["ok"]} for c in outcome.checks],
    }
