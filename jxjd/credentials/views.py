"""CONTRACT §13 (interoperable credentials): vc+jwt per certificate, status lists, did:web,
and the offline verifier page."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template

from jxjd.auth import current_actor
from jxjd.certificates import services as certificates
from jxjd.certificates.sm2 import check_setting
from jxjd.credentials import services
from jxjd.credentials.vc import VC_JWT_MEDIA_TYPE
from jxjd.openapi import doc
from jxjd.web import page

bp = Blueprint("credentials", __name__)

DID_MEDIA_TYPE = "application/did+json"
PAGE_PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


@bp.record_once
def _check_signing_setting(state) -> None:
    """Refuse to start with a JXJD_SIGNING_ALG this installation cannot honour."""
    check_setting(state.app.config.get("JXJD_SIGNING_ALG", "EdDSA"))


@bp.get("/api/v1/certificates/<serial>/credential")
@doc(
    "证书的可验证凭证（W3C VC 2.0 / Open Badges 3.0，application/vc+jwt）",
    action="certificate.read",
    tags=["certificates"],
    content=VC_JWT_MEDIA_TYPE,
    errors=(404,),
)
def certificate_credential(serial: str):
    """The certificate as an OpenBadgeCredential secured as vc+jwt."""
    cert = certificates.certificate_for(current_actor(), serial)
    token = services.credential_jwt(cert)  # the status entry is allocated on first download
    return Response(token, mimetype=VC_JWT_MEDIA_TYPE)  # API answers are no-store


@bp.get("/status/<int:list_id>")
@doc(
    "证书状态列表（W3C Bitstring Status List，application/vc+jwt）",
    action="certificate.verify",
    tags=["certificates"],
    content=VC_JWT_MEDIA_TYPE,
    public=True,
    errors=(404,),
)
def status_list(list_id: int):
    """A BitstringStatusListCredential: bit set for every revoked certificate of the list."""
    token = services.status_list_jwt(list_id)
    return Response(
        token, mimetype=VC_JWT_MEDIA_TYPE, headers={"Cache-Control": "public, max-age=300"}
    )


def _did_response() -> Response:
    body = json.dumps(services.did_document(), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype=DID_MEDIA_TYPE, headers={"Cache-Control": "public, max-age=300"})


@bp.get("/.well-known/did.json")
@doc(
    "发证机构的 DID 文档（did:web，application/did+json，与 JWKS 相同的签名公钥）",
    action="certificate.verify",
    tags=["certificates"],
    public=True,
)
def did_document():
    """The did:web document of this service (the same keys as the JWKS)."""
    return _did_response()


@bp.get("/did.json")
@page("certificate.verify")
def did_document_under_path():
    """The DID document where did:web puts it when JXJD_PUBLIC_URL has a path."""
    return _did_response()


@bp.get("/verify/offline")
@page("certificate.verify")
def offline_page():
    """The offline verifier: checks QR texts in the browser against a cached JWKS."""
    html = render_template(
        "credentials/offline.html", public_url=current_app.config["JXJD_PUBLIC_URL"]
    )
    return html, 200, {"Permissions-Policy": PAGE_PERMISSIONS_POLICY}
