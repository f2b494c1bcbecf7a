"""CONTRACT §7 (issuing half): certificate records, QR images, revocation, JWKS, printable page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from jxjd.auth import current_actor, require
from jxjd.certificates import services
from jxjd.certificates.fields import PAGE_FIELDS
from jxjd.certificates.schemas import CertificateSchema, RevokeArgs
from jxjd.common.paging import current_page, paged
from jxjd.common.schema import json_body, load
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.sessions.services import get_session_for
from jxjd.web import require_page

# Defined here, not in the package: certificates/__init__.py stays empty so that the offline
# verifier can import the signing module without Flask.
bp = Blueprint("certificates", __name__)
# The fields the print and verify pages list, from the one registry (certificates.fields).
bp.add_app_template_global(PAGE_FIELDS, "certificate_fields")

READERS = {"admin", "dept", "base", "person"}


@bp.get("/.well-known/jwks.json")
@doc("证书签名公钥（JWKS，含已停用的历史密钥）", tags=["certificates"], public=True)
def jwks():
    """Every key that ever signed a certificate, retired ones included."""
    resp = services.signing_keys().jwks()
    return resp, 200, {"Cache-Control": "public, max-age=300"}


@bp.get("/api/v1/sessions/<int:session_id>/certificates")
@require(roles={"base", "admin", "dept"})
@doc(
    "班次已签发的电子证书",
    response=CertificateSchema(many=True),
    tags=["certificates"],
    errors=(404,),
)
@paged
def session_certificates(session_id: int):
    """A session's certificates."""
    session = get_session_for(current_actor(), session_id)
    certs = services.certificates_of_session(session, current_page())
    return {"certificates": CertificateSchema(many=True).dump(certs)}


@bp.get("/api/v1/me/certificates")
@require(roles={"person"})
@doc("我的电子证书", response=CertificateSchema(many=True), tags=["certificates"])
def my_certificates():
    """The signed-in person's certificates."""
    certs = services.certificates_of_person(current_actor().person_id)
    return {"certificates": CertificateSchema(many=True).dump(certs)}


@bp.get("/api/v1/certificates/<serial>")
@require(roles=READERS)
@doc("证书详情", response=CertificateSchema, tags=["certificates"], errors=(404,))
def get_certificate(serial: str):
    """One certificate's full record."""
    return CertificateSchema().dump(services.get_certificate_for(current_actor(), serial))


@bp.get("/api/v1/certificates/<serial>/qr.png")
@require(roles=READERS)
@doc("证书二维码（PNG）", tags=["certificates"], content="image/png", errors=(404,))
def qr_png(serial: str):
    """The QR code of the verify URL."""
    cert = services.get_certificate_for(current_actor(), serial)
    return Response(
        services.qr_image(cert, "png"),
        mimetype="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@bp.get("/api/v1/certificates/<serial>/qr.svg")
@require(roles=READERS)
@doc("证书二维码（SVG）", tags=["certificates"], content="image/svg+xml", errors=(404,))
def qr_svg(serial: str):
    """The QR code of the verify URL, as SVG."""
    cert = services.get_certificate_for(current_actor(), serial)
    return Response(
        services.qr_image(cert, "svg"),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "private, max-age=86400"},
    )


def _reason() -> str:
    body = json_body()
    # An absent reason is the same mistake as a blank one: one code for clients to handle.
    if isinstance(body, dict) and body.get("reason") is None:
        body = {**body, "reason": ""}
    args = load(RevokeArgs(), body)
    reason = (args["reason"] or "").strip()
    if not reason:
        raise ValidationFailed(
            [field_error("missing_reason", "撤销证书须说明原因", field="reason")]
        )
    return reason


@bp.post("/api/v1/certificates/<serial>/revoke")
@require(roles={"admin", "base"})
@doc(
    "撤销证书（省人社厅或签发基地，须说明原因）",
    body=RevokeArgs,
    response=CertificateSchema,
    tags=["certificates"],
    errors=(404, 409, 422),
)
def revoke(serial: str):
    """Revoke one certificate; its hours stop counting, the record stays."""
    actor = current_actor()
    cert = services.get_certificate_for(actor, serial)
    services.revoke_certificate(actor, cert, reason=_reason())
    db.session.commit()
    return CertificateSchema().dump(cert)


@bp.post("/api/v1/sessions/<int:session_id>/certificates/revoke")
@require(roles={"admin"})
@doc(
    "撤销班次的全部证书（省人社厅，如乱发证，第二十三条）",
    body=RevokeArgs,
    tags=["certificates"],
    errors=(404, 422),
)
def revoke_session(session_id: int):
    """Revoke every certificate of a session."""
    actor = current_actor()
    session = get_session_for(actor, session_id)
    count = services.revoke_session_certificates(actor, session, reason=_reason())
    db.session.commit()
    return {"session_id": session.id, "revoked": count}


@bp.get("/certificates/<serial>")
@require_page(roles=READERS)
def certificate_page(serial: str):
    """A printable certificate (A4) with the QR code, every signed field and the masked ID."""
    cert = services.get_certificate_for(current_actor(), serial)
    svg = services.qr_image(cert, "svg").decode()
    return render_template(
        "certificates/print.html",
        cert=cert,
        qr_svg=svg,
        verify_url=services.verify_url(cert.serial, cert.token),
    )
