"""CONTRACT §13: certificates as PDF, for the API (bearer tokens) and the pages (signed-in users).

`/certificates/<serial>.pdf` does not collide with `/certificates/<serial>`: Werkzeug tries the
rule with the static ".pdf" suffix first, and no serial contains a dot.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response

from jxjd.auth import current_actor, require
from jxjd.certificates.services import get_certificate_for
from jxjd.openapi import doc
from jxjd.printing import services
from jxjd.sessions.services import get_session_for
from jxjd.web import require_page

bp = Blueprint("printing", __name__)

PDF = "application/pdf"
CERTIFICATE_READERS = {"admin", "dept", "base", "person"}
SESSION_PRINTERS = {"base", "admin"}


def pdf_response(data: bytes, filename: str, fallback: str) -> Response:
    """A PDF download; the Chinese file name survives in every browser (RFC 6266), with an
    ASCII name for clients that ignore filename*. Personal data: never stored by caches."""
    return Response(
        data,
        mimetype=PDF,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


def _certificate(serial: str) -> Response:
    # policy: certificate.read — owner person, issuing base, admin, the base's department
    cert = get_certificate_for(current_actor(), serial)
    return pdf_response(
        services.certificate_pdf(cert),
        f"继续教育培训证书-{cert.serial}.pdf",
        f"certificate-{cert.serial}.pdf",
    )


def _session(session_id: int) -> Response:
    # policy: session.print — the base that owns the session, admin (the roles of the route)
    session = get_session_for(current_actor(), session_id)
    data, part, parts = services.session_pdf(session, services.session_part())
    suffix = f"-第{part}部分" if parts > 1 else ""
    ascii_suffix = f"-part{part}" if parts > 1 else ""
    return pdf_response(
        data,
        f"{services.filename_part(session.title)}-证书{suffix}.pdf",
        f"session-{session.id}-certificates{ascii_suffix}.pdf",
    )


@bp.get("/api/v1/certificates/<serial>.pdf")
@require(roles=CERTIFICATE_READERS)
@doc(
    "证书 PDF（A4，内嵌中文字体，含签发机构、盖章处与可核验二维码）",
    tags=["certificates"],
    content=PDF,
    errors=(404,),
)
def certificate_pdf(serial: str):
    """One certificate as a printable PDF."""
    return _certificate(serial)


@bp.get("/api/v1/sessions/<int:session_id>/certificates.pdf")
@require(roles=SESSION_PRINTERS)
@doc(
    "班次全部证书 PDF（每张证书一页 A4，按名单顺序；超过上限时用 part 分部分下载）",
    tags=["certificates"],
    content=PDF,
    query={"part": "第几部分（证书多于 JXJD_PDF_MAX_PAGES 张时，从 1 起）"},
    errors=(404, 409, 422),
)
def session_pdf(session_id: int):
    """Every certificate of a session, one page each, in roster order."""
    return _session(session_id)


@bp.get("/certificates/<serial>.pdf")
@require_page(roles=CERTIFICATE_READERS)
def certificate_pdf_page(serial: str):
    """The certificate PDF, from the certificate page."""
    return _certificate(serial)


@bp.get("/sessions/<int:session_id>/certificates.pdf")
@require_page(roles=SESSION_PRINTERS)
def session_pdf_page(session_id: int):
    """The session's certificates PDF, from the session page."""
    return _session(session_id)
