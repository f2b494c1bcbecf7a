"""CONTRACT §7 (issuing half): certificate records, QR images, revocation, JWKS, printable page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from jxjd.auth import current_actor
from jxjd.certificates import services
from jxjd.certificates.fields import PAGE_FIELDS
from jxjd.certificates.schemas import CertificateSchema, RevokeArgs
from jxjd.common.paging import current_page, paged
from jxjd.openapi import Body, doc
from jxjd.sessions.services import get_session
from jxjd.web import page

# Defined here, not in the package: certificates/__init__.py stays empty so that the offline
# verifier can import the signing module without Flask.
bp = Blueprint("certificates", __name__)
# The fields the print and verify pages list, from the one registry (certificates.fields).
bp.record_once(lambda state: state.app.jinja_env.globals.update(certificate_fields=PAGE_FIELDS))


@bp.get("/.well-known/jwks.json")
@doc(
    "证书签名公钥（JWKS，含已停用的历史密钥）",
    action="certificate.verify",
    tags=["certificates"],
    public=True,
)
def jwks():
    """Every key that ever signed a certificate, retired ones included."""
    resp = services.signing_keys().jwks()
    return resp, 200, {"Cache-Control": "public, max-age=300"}


@bp.get("/api/v1/sessions/<int:session_id>/certificates")
@paged
@doc(
    "班次已签发的电子证书",
    action="session.read",
    response=CertificateSchema(many=True),
    listed_as="certificates",
    errors=(404,),
)
def session_certificates(session_id: int):
    """A session's certificates."""
    return services.certificates_of_session(
        get_session(current_actor(), session_id), current_page()
    )


@bp.get("/api/v1/me/certificates")
@doc(
    "我的电子证书",
    action="archive.own",
    response=CertificateSchema(many=True),
    listed_as="certificates",
)
def my_certificates():
    """The signed-in person's certificates."""
    return services.certificates_of_person(current_actor().person_id)


@bp.get("/api/v1/certificates/<serial>")
@doc("证书详情", action="certificate.read", response=CertificateSchema, errors=(404,))
def get_certificate(serial: str):
    """One certificate's full record."""
    return services.certificate_for(current_actor(), serial)


def _qr(serial: str, kind: str, mimetype: str) -> Response:
    """The QR image; 304 when the client holds it already (the ETag names the URL it encodes)."""
    cert = services.qr_certificate_for(current_actor(), serial)
    etag = services.qr_etag(cert, kind)
    # An identified answer is no-store (auth.no_store_when_identified: no shared or disk cache
    # keeps a person's certificate), so a client revalidates: a re-signed certificate encodes
    # another URL, hence another tag, and an image the client holds costs no file read.
    headers = {"ETag": f'"{etag}"'}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(services.qr_image(cert, kind), mimetype=mimetype, headers=headers)


@bp.get("/api/v1/certificates/<serial>/qr.png")
@doc(
    "证书二维码（PNG）",
    action="certificate.read",
    content="image/png",
    errors=(404,),
    ahead=services.read_qr_certificate_ahead,  # with the caller's token: one round trip
)
def qr_png(serial: str):
    """The QR code of the verify URL."""
    return _qr(serial, "png", "image/png")


@bp.get("/api/v1/certificates/<serial>/qr.svg")
@doc(
    "证书二维码（SVG）",
    action="certificate.read",
    content="image/svg+xml",
    errors=(404,),
    ahead=services.read_qr_certificate_ahead,
)
def qr_svg(serial: str):
    """The QR code of the verify URL, as SVG."""
    return _qr(serial, "svg", "image/svg+xml")


@bp.post("/api/v1/certificates/<serial>/revoke")
@doc(
    "撤销证书（省人社厅或签发基地，须说明原因）",
    action="certificate.revoke",
    body=RevokeArgs,
    response=CertificateSchema,
    errors=(404, 409, 422),
)
def revoke(serial: str, args: Body):
    """Revoke one certificate; its hours stop counting, the record stays."""
    actor = current_actor()
    return services.revoke_certificate(actor, services.certificate_for(actor, serial), **args)


@bp.post("/api/v1/sessions/<int:session_id>/certificates/revoke")
@doc(
    "撤销班次的全部证书（省人社厅，如乱发证，第二十三条）",
    action="certificate.revoke_session",
    body=RevokeArgs,
    errors=(404, 422),
)
def revoke_session(session_id: int, args: Body):
    """Revoke every certificate of a session."""
    actor = current_actor()
    session = get_session(actor, session_id)
    count = services.revoke_session_certificates(actor, session, reason=args["reason"])
    return {"session_id": session.id, "revoked": count}


@bp.get("/certificates/<serial>")
@page("certificate.read")
def certificate_page(serial: str):
    """A printable certificate (A4) with the QR code, every signed field and the masked ID."""
    cert = services.certificate_for(current_actor(), serial)
    svg = services.qr_image(cert, "svg").decode()
    return render_template(
        "certificates/print.html",
        cert=cert,
        qr_svg=svg,
        verify_url=services.verify_url(cert.serial, cert.token),
    )
