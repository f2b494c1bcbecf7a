"""Certificate shapes: the full record (privileged) and the public projection."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_load

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


class CertificateSchema(Schema):
    """The full record, for the owner, the issuing base, its department and admin."""

    serial = fields.String()
    status = fields.String()
    name = fields.Function(lambda c: c.payload["name"])
    id_masked = fields.Function(lambda c: c.payload["id_masked"])
    title = fields.Function(lambda c: c.payload["title"])
    base = fields.Function(lambda c: c.payload["base"])
    category = fields.Function(lambda c: c.payload["category"])
    hours = fields.Function(lambda c: c.payload["hours"])
    start_date = fields.Function(lambda c: c.payload.get("start_date"))
    end_date = fields.Function(lambda c: c.payload["end_date"])
    session_id = fields.Integer()
    issued_at = Timestamp()
    alg = fields.String()
    kid = fields.String()
    token = fields.String()
    verify_url = fields.Method("get_verify_url")
    revoked_at = Timestamp()
    revoked_reason = fields.String(allow_none=True)

    def get_verify_url(self, cert):
        from jxjd.certificates.services import verify_url

        return verify_url(cert.serial, cert.token)
