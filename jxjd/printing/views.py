"""CONTRACT §13: certificates as PDF, for the API (bearer tokens) and the pages (signed-in users).

`/certificates/<serial>.pdf` does not collide with `/certificates/<serial>`: Werkzeug tries the
rule with the static ".pdf" suffix first, and no serial contains a dot.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import Blueprint, Response, url_for

from jxjd.auth import Actor, current_actor
from jxjd.certificates.services import certificate_for
from jxjd.jobs.services import (
    accepted,
    job_file,
    job_state,
    start,
    wants_async,
    worker_listening,
)
from jxjd.openapi import doc
from jxjd.printing import services
from jxjd.sessions.services import get_session
from jxjd.web import page

bp = Blueprint("printing", __name__)

PDF = "application/pdf"
SESSION_PDF_JOB = "jxjd.printing.jobs.session_pdf_job"


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
    cert = certificate_for(current_actor(), serial)
    return pdf_response(
        services.certificate_pdf(cert),
        f"继续教育培训证书-{cert.serial}.pdf",
        f"certificate-{cert.serial}.pdf",
    )


def session_pdf_answer(
    actor: Actor,
    session_id: int,
    part: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> Response:
    """A session's certificates PDF as the download answer (synchronous, or a job's file)."""
    session = get_session(actor, session_id, "session.print")
    data, part, parts = services.session_pdf(session, part, progress)
    suffix = f"-第{part}部分" if parts > 1 else ""
    ascii_suffix = f"-part{part}" if parts > 1 else ""
    return pdf_response(
        data,
        f"{services.filename_part(session.title)}-证书{suffix}.pdf",
        f"session-{session.id}-certificates{ascii_suffix}.pdf",
    )


def _session(session_id: int) -> Response:
    return session_pdf_answer(current_actor(), session_id, services.session_part())


@bp.get("/api/v1/certificates/<serial>.pdf")
@doc(
    "证书 PDF（A4，内嵌中文字体，含签发机构、盖章处与可核验二维码）",
    action="certificate.read",
    tags=["certificates"],
    content=PDF,
    errors=(404,),
)
def certificate_pdf(serial: str):
    """One certificate as a printable PDF."""
    return _certificate(serial)


@bp.get("/api/v1/sessions/<int:session_id>/certificates.pdf")
@doc(
    "班次全部证书 PDF（每张证书一页 A4，按名单顺序；超过上限时用 part 分部分下载）",
    action="session.print",
    tags=["certificates"],
    content=PDF,
    query={"part": "第几部分（证书多于 JXJD_PDF_MAX_PAGES 张时，从 1 起）"},
    errors=(404, 409, 422),
)
def session_pdf(session_id: int):
    """Every certificate of a session, one page each, in roster order.

    With `Prefer: respond-async` (and a queue): checked here, rendered by a job with progress,
    202 and Location: /api/v1/jobs/{id}; the job's file is this answer.
    """
    actor = current_actor()
    part = services.session_part()
    if wants_async():
        session = get_session(actor, session_id, "session.print")
        services.session_pdf_part(session, part)  # refusals are answered now, as without jobs
        job_id = start(actor, "session.pdf", SESSION_PDF_JOB, actor, session.id, part)
        if job_id is not None:
            return accepted(job_id)
    return session_pdf_answer(actor, session_id, part)


@bp.get("/certificates/<serial>.pdf")
@page("certificate.read")
def certificate_pdf_page(serial: str):
    """The certificate PDF, from the certificate page."""
    return _certificate(serial)


@bp.get("/sessions/<int:session_id>/certificates.pdf")
@page("session.print")
def session_pdf_page(session_id: int):
    """The session's certificates PDF, from the session page."""
    return _session(session_id)


JOBS_UNAVAILABLE = {"code": "jobs_unavailable", "detail": "后台任务暂不可用，PDF 将直接生成"}


@bp.post("/sessions/<int:session_id>/pdf-job")
@page("session.print")
def session_pdf_job_page(session_id: int):
    """The print button, sent by the page's script: 202 and a job whose progress the page shows;
    without a worker 503 and nothing started (the script then opens the PDF as without it)."""
    actor = current_actor()
    part = services.session_part()
    session = get_session(actor, session_id, "session.print")
    services.session_pdf_part(session, part)  # refusals are answered now, as without jobs
    job_id = None
    if worker_listening():
        job_id = start(actor, "session.pdf", SESSION_PDF_JOB, actor, session.id, part)
    if job_id is None:
        return JOBS_UNAVAILABLE, 503
    return {
        "id": job_id,
        "status_url": url_for(
            "printing.session_pdf_job_status_page", session_id=session.id, job_id=job_id
        ),
        "file_url": url_for(
            "printing.session_pdf_job_file_page", session_id=session.id, job_id=job_id
        ),
    }, 202


@bp.get("/sessions/<int:session_id>/pdf-jobs/<job_id>")
@page("job.read")
def session_pdf_job_status_page(session_id: int, job_id: str):
    """A PDF job's status and progress, for the page's progress bar."""
    state = job_state(current_actor(), job_id[:64])
    return {"status": state.status, "progress": state.progress}


@bp.get("/sessions/<int:session_id>/pdf-jobs/<job_id>/file")
@page("job.read")
def session_pdf_job_file_page(session_id: int, job_id: str):
    """The finished job's PDF: the same bytes and headers the direct download answers."""
    return job_file(current_actor(), job_id[:64])
