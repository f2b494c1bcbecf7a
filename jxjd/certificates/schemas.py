"""Certificate shapes: the full record (privileged) and the public projection."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load

from jxjd.certificates.fields import SCHEMA_FIELDS
from jxjd.common.fields import Timestamp
from jxjd.common.schema import Args
from jxjd.common.text import Text


class RevokeArgs(Args):
    reason = Text("reason", label="撤销原因", required=True)

    @pre_load
    def _absent_is_blank(self, data, **kwargs):
        # An absent reason is the same mistake as a blank one: one code (missing_reason) for
        # clients to handle, answered by the service.
        if isinstance(data, dict) and data.get("reason") is None:
            return {**data, "reason": ""}
        return data


def _payload_member(key: str) -> Any:
    """Read one member of a certificate's signed payload."""
    return lambda cert: cert.payload.get(key)


def signed_fields() -> dict[str, fields.Field]:
    """The signed members of the API's certificate objects (certificates.fields), in order."""
    return {
        f.key: fields.Function(_payload_member(f.key), metadata={"description": f.label})
        for f in SCHEMA_FIELDS
    }


def _verify_url(cert: Any) -> str:
    from jxjd.certificates.services import verify_url

    return verify_url(cert.serial, cert.token)


CertificateSchema = Schema.from_dict(
    {
        "serial": fields.String(),
        "status": fields.String(),
        **signed_fields(),
        "session_id": fields.Integer(),
        "issued_at": Timestamp(),
        "alg": fields.String(),
        "kid": fields.String(),
        "token": fields.String(),
        "verify_url": fields.Function(_verify_url),
        "revoked_at": Timestamp(),
        "revoked_reason": fields.String(allow_none=True),
        "replaced_by": fields.Function(
            lambda cert: cert.replaced_by.serial if cert.replaced_by else None,
            metadata={"description": "更正后换发的新证书编号（未更正为 null）"},
        ),
        "replaces": fields.Function(
            lambda cert: cert.replaces.serial if cert.replaces else None,
            metadata={"description": "本证书因更正而取代的旧证书编号（否则为 null）"},
        ),
    },
    name="CertificateSchema",
)
CertificateSchema.__doc__ = (
    "The full record, for the owner, the issuing base, its department and admin."
)
