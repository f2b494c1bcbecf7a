"""CONTRACT §13: 学时认定单 — issue, read, print, PDF; an employer's download by share code."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, redirect, render_template, request, url_for

from jxjd.archive.services import checked_viewer, get_person
from jxjd.auth import current_actor
from jxjd.certificates.qr import render_svg
from jxjd.common.paging import current_page, paged
from jxjd.errors import Gone, NotFound
from jxjd.openapi import Body, doc
from jxjd.throttle import Counter, client_key, refuse_if_over
from jxjd.transactions import attempt
from jxjd.transcripts import bp, services
from jxjd.transcripts.schemas import (
    SharedTranscriptArgs,
    TranscriptArgs,
    TranscriptIssuedSchema,
    TranscriptListSchema,
    TranscriptSchema,
)
from jxjd.web import page

PDF = "application/pdf"
# The share-code allowances of the archive look-up (same scopes: one budget per client).
SHARE_LOOKUPS = Counter("share-lookups", "JXJD_SHARE_LOOKUP_LIMIT")
SHARE_FAILURES = Counter("share-failures", "JXJD_SHARE_LOOKUP_LIMIT")


def _pdf(transcript) -> Response:
    """The transcript PDF as a download that caches never keep."""
    name = f"学时认定单-{transcript.serial}.pdf"
    return Response(
        services.pdf(transcript),
        mimetype=PDF,
        headers={
            "Content-Disposition": (
                f'attachment; filename="transcript-{transcript.serial}.pdf"; '
                f"filename*=UTF-8''{quote(name)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


def _issued(transcript) -> dict:
    return {
        "serial": transcript.serial,
        "token": transcript.token,
        "url": services.url_of(transcript),
    }


@bp.post("/api/v1/me/transcripts")
@doc(
    "开具本人学时认定单（按年度、科目类别的学时与达标情况，截至签发时；电子签名，可扫码核验）",
    action="transcript.issue",
    body=TranscriptArgs,
    response=TranscriptIssuedSchema,
    status=201,
    tags=["transcripts"],
    errors=(422,),
)
def issue_transcript(args: Body):
    """Issue a signed transcript of the caller's own hours for a span of years."""
    actor = current_actor()
    start, end = services.transcript_span(args["from"], args["to"])
    return _issued(services.issue(actor, get_person(actor), start, end))


@bp.get("/api/v1/me/transcripts")
@paged
@doc(
    "本人开具过的学时认定单（新的在前）",
    action="transcript.read",
    response=TranscriptListSchema,
    tags=["transcripts"],
)
def list_transcripts():
    """The caller's transcripts, each with what changed in the archive since."""
    person = get_person(current_actor())
    items = [services.detail(t) for t in services.transcripts_of(person, current_page())]
    return TranscriptListSchema().dump({"transcripts": items})


@bp.get("/api/v1/transcripts/<serial>")
@doc(
    "学时认定单（本人）",
    action="transcript.read",
    response=TranscriptSchema,
    tags=["transcripts"],
    errors=(404,),
)
def get_transcript(serial: str):
    """One of the caller's transcripts as signed, with what changed since."""
    return services.detail(services.transcript_for(current_actor(), serial))


@bp.get("/api/v1/transcripts/<serial>.pdf")
@doc(
    "学时认定单 PDF（A4，内嵌中文字体，含可核验二维码）",
    action="transcript.read",
    tags=["transcripts"],
    content=PDF,
    errors=(404,),
)
def transcript_pdf(serial: str):
    """One of the caller's transcripts as a printable PDF."""
    return _pdf(services.transcript_for(current_actor(), serial))


@bp.post("/api/v1/shared/transcript.pdf")
@doc(
    "凭授权码下载学时认定单 PDF（授权年度，截至下载时签发；无账号时填写查询单位和查询人，"
    "记录并告知本人；与授权码查询共用每分钟次数限制）",
    action="grant.transcript",
    body=SharedTranscriptArgs,
    tags=["grants", "transcripts"],
    content=PDF,
    public=True,
    identify=True,
    errors=(400, 403, 404, 410, 422, 429),
)
def shared_transcript(args: Body):
    """A transcript of the grant's years, issued now and downloaded as PDF; logged."""
    actor = current_actor(optional=True)
    viewer = checked_viewer(args["viewer"]) if actor is None else None
    client = client_key()
    counter = SHARE_FAILURES if actor is not None else SHARE_LOOKUPS
    refuse_if_over((counter, client))
    if actor is None:
        counter.hit(client)
    try:
        transcript = services.issue_shared(actor, args["code"], viewer)
    except (NotFound, Gone):
        if actor is not None:
            counter.hit(client)
        raise
    return _pdf(transcript)


# ---- pages -------------------------------------------------------------------------------------


@bp.route("/me/transcripts", methods=["GET", "POST"])
@page("transcript.read")
def me_transcripts_page():
    """My transcripts, and the form to issue one."""
    actor = current_actor()
    person = get_person(actor)
    problem = None
    if request.method == "POST":

        def step():
            start, end = services.transcript_span(request.form.get("from"), request.form.get("to"))
            return services.issue(actor, person, start, end)

        issued, problem = attempt(step)
        if problem is None:
            return redirect(url_for("transcripts.transcript_page", serial=issued.serial))
    items = [services.detail(t) for t in services.transcripts_of(person)]
    return render_template(
        "transcripts/list.html", person=person, items=items, problem=problem, form=request.form
    )


@bp.get("/transcripts/<serial>")
@page("transcript.read")
def transcript_page(serial: str):
    """A printable transcript (A4) with the QR code."""
    transcript = services.transcript_for(current_actor(), serial)
    data = services.detail(transcript)
    return render_template(
        "transcripts/print.html",
        t=data,
        qr_svg=render_svg(data["url"]).decode(),
        public_url=current_app.config["JXJD_PUBLIC_URL"],
    )


@bp.get("/transcripts/<serial>.pdf")
@page("transcript.read")
def transcript_pdf_page(serial: str):
    """The transcript PDF, from the transcript page."""
    return _pdf(services.transcript_for(current_actor(), serial))
