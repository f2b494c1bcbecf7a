"""CONTRACT §6: the roster template, uploads (file or JSON), the error report, the pages."""

from __future__ import annotations

import base64

from flask import (
    Response,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from jxjd.attendance import bp, services
from jxjd.attendance.corrections import correct_record
from jxjd.attendance.exporting import trainees_xlsx
from jxjd.attendance.importing import (
    Roster,
    build_error_report_xlsx,
    build_template_xlsx,
    roster_from_file,
    rows_from_json,
)
from jxjd.attendance.schemas import CorrectArgs
from jxjd.auth import Actor, current_actor
from jxjd.certificates.schemas import CertificateSchema
from jxjd.certificates.services import certificate_for, certificates_of_session
from jxjd.common.memory import release_memory_after
from jxjd.common.paging import Page, current_page, paged
from jxjd.common.params import query_mode
from jxjd.common.schema import json_body, load
from jxjd.common.types import hours_json
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.errors import BadRequest, NotFound, Problem, ValidationFailed, field_error
from jxjd.forms import FormErrors, submit, typed
from jxjd.jobs.services import accepted, job_state, start, wants_async, worker_listening
from jxjd.openapi import Body, doc
from jxjd.sessions.services import get_session
from jxjd.transactions import attempt
from jxjd.web import page

LARGE_UPLOAD_ROWS = 5000  # from this size on, memory is handed back after the upload
RECYCLE_WORKER = "jxjd.recycle_worker"  # the WSGI environ key gunicorn.conf.py looks for
UPLOAD_JOB = "jxjd.attendance.jobs.upload_job"
PAGE_UPLOAD_JOB = "jxjd.attendance.jobs.page_upload_job"
TRAINEES_JOB = "jxjd.attendance.jobs.trainees_job"


def _max_rows() -> int:
    return current_app.config["JXJD_MAX_ROSTER_ROWS"]


def _template(session) -> bytes:
    return build_template_xlsx(session_hours=session.hours, max_rows=_max_rows())


def _file_roster(upload) -> Roster:
    """An uploaded file's roster, read within the upload size and row limits."""
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    data = upload.read(max_bytes + 1)
    return roster_from_file(data, upload.filename or "", max_bytes=max_bytes, max_rows=_max_rows())


def _roster_from_request() -> Roster:
    """The uploaded roster: multipart field `file`, or JSON {"rows": [...]}."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                [field_error("missing_file", "请选择要上传的名单文件（字段 file）", field="file")]
            )
        return _file_roster(upload)
    if request.mimetype == "application/json":
        body = json_body()
        if not isinstance(body, dict):
            raise BadRequest('请求体须为 JSON 对象 {"rows": [...]}')
        rows = body.get("rows")
        cap = _max_rows()
        if isinstance(rows, list) and len(rows) > cap:
            message = f"rows 最多 {cap} 条（当前 {len(rows)} 条），请按班次拆分后分批提交"
            raise ValidationFailed(
                [field_error("too_many_items", message, field="rows")], code="too_many_items"
            )
        return Roster(rows_from_json(rows, max_rows=cap))
    raise Problem(
        '请以 multipart/form-data（字段 file）上传 .xlsx/.csv 文件，或提交 JSON {"rows": [...]}',
        status=415,
        code="unsupported_file",
        title="不支持的文件类型",
    )


@bp.get("/api/v1/sessions/<int:session_id>/attendance/template")
@doc(
    "下载学员名单模板（.xlsx，身份证号列为文本格式）",
    action="session.read",
    content=XLSX_MIMETYPE,
)
def template(session_id: int):
    """The roster template."""
    session = get_session(current_actor(), session_id)
    return xlsx_response(_template(session), f"学员名单模板-{session.id}.xlsx")


@bp.post("/api/v1/sessions/<int:session_id>/attendance")
@doc(
    "上传学员名单（.xlsx/.csv 文件或 JSON），合格学员自动签发电子证书",
    action="attendance.upload",
    query={"mode": "strict（默认，有错误则整份不保存）或 partial（保存正确行）"},
    errors=(404, 413, 415, 422),
)
def upload(session_id: int):
    """Store a session's roster; strict refuses the whole file on any row error.

    With `Prefer: respond-async` the file is checked for shape here and stored by a job: 202
    and Location: /api/v1/jobs/{id}, whose result is this answer's body.
    """
    actor = current_actor()
    session = get_session(actor, session_id, "attendance.upload")
    mode = query_mode()
    roster = _roster_from_request()
    if len(roster.rows) >= LARGE_UPLOAD_ROWS:
        after_this_request(release_memory_after)  # the worker gives the memory back
    recycle_after = current_app.config["JXJD_RECYCLE_AFTER_ROWS"]
    if recycle_after and len(roster.rows) >= recycle_after:
        # What the allocator keeps, the process keeps: gunicorn.conf.py's post_request
        # replaces this worker once the answer is out.
        request.environ[RECYCLE_WORKER] = True
    if wants_async():
        job_id = start(actor, "attendance.upload", UPLOAD_JOB, actor, session.id, roster, mode)
        if job_id is not None:  # without a queue, answered at once as without the header
            return accepted(job_id)
    result = services.upload_roster(actor, session, roster, mode=mode)
    return result.to_dict()


@bp.post("/api/v1/sessions/<int:session_id>/attendance/error-report")
@doc(
    "名单错误报告（.xlsx：原始各行加“错误说明”列；不保存任何数据）",
    action="attendance.upload",
    content=XLSX_MIMETYPE,
    errors=(404, 413, 415, 422),
)
def error_report(session_id: int):
    """Check a roster without storing it and return the rows with their errors in Chinese."""
    actor = current_actor()
    session = get_session(actor, session_id, "attendance.upload")
    raw = _roster_from_request().rows
    # A check only (dry run, nothing written): storing a good roster (and signing its
    # certificates) to roll it back would cost as much as the upload itself.
    errors = services.import_attendance(actor, session, raw, dry_run=True).rejected
    return xlsx_response(build_error_report_xlsx(raw, errors), f"名单错误报告-{session.id}.xlsx")


@bp.get("/api/v1/sessions/<int:session_id>/attendance")
@paged
@doc("班次的学员记录（身份证号脱敏）", action="session.read", errors=(404,))
def records(session_id: int):
    """The stored attendance of a session, ID numbers masked."""
    session = get_session(current_actor(), session_id)
    rows = services.list_records(session, current_page())
    return {
        "session_id": session.id,
        "records": [
            {
                "name": r.name,
                "id_masked": r.person.id_masked,
                "employer": r.employer,
                "hours": hours_json(r.hours),
                "result": r.result,
                "credited_hours": hours_json(r.credited_hours),
                "name_differs": r.name_differs,
                "certificate": r.certificate.serial if r.certificate else None,
            }
            for r in rows
        ],
    }


@bp.post("/api/v1/certificates/<serial>/correct")
@doc(
    "更正证书对应的学员记录（姓名、工作单位、学时、科目类别）并换发新证书，须说明原因",
    action="certificate.correct",
    body=CorrectArgs,
    response=CertificateSchema,
    status=201,
    errors=(404, 409, 422),
)
def correct(serial: str, args: Body):
    """Correct a record: the old certificate is revoked (naming the correction), a new one issued."""
    actor = current_actor()
    return correct_record(actor, certificate_for(actor, serial, "certificate.correct"), **args)


# ---- pages ---------------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/template.xlsx")
@page("session.read")
def template_page(session_id: int):
    """The roster template, from the page."""
    session = get_session(current_actor(), session_id)
    return xlsx_response(_template(session), f"学员名单模板-{session.id}.xlsx")


def _page_roster() -> tuple[Roster, str]:
    """The roster and mode the upload form posted; 422 without a file."""
    mode = "partial" if request.form.get("mode") == "partial" else "strict"
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            [field_error("missing_file", "请选择要上传的名单文件", field="file")]
        )
    return _file_roster(upload), mode


def _report_href(data: bytes | str | None) -> str | None:
    """The error report as a link the page can offer (a data: URL of the .xlsx)."""
    if data is None:
        return None
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    return f"data:{XLSX_MIMETYPE};base64,{encoded}"


def _page_upload(actor, session_id: int) -> tuple[object, Problem | None, str | None]:
    """Store the uploaded roster: (result, problem, error-report link); the caller shows them."""
    session = get_session(actor, session_id, "attendance.upload")
    roster, mode = _page_roster()
    result, problem = attempt(lambda: services.upload_roster(actor, session, roster, mode=mode))
    if problem is not None and not isinstance(problem, ValidationFailed):
        raise problem
    if result is not None:
        errors = result.rejected
    else:
        errors = problem.errors if problem is not None and problem.errors else []
    report = None
    if errors and any(e.get("row") for e in errors):
        report = build_error_report_xlsx(roster.rows, errors)
    return result, problem, _report_href(report)


def _problem_from(body: dict) -> Problem:
    """A problem as a job kept it (its problem+json body), to show as a direct upload would."""
    return Problem(
        body.get("detail"),
        status=body.get("status") or 500,
        code=body.get("code") or "job_failed",
        title=body.get("title"),
        errors=body.get("errors"),
    )


def _job_outcome(actor, job_id: str) -> tuple[object, Problem | None, str | None, object]:
    """What an upload job left for the page: (result, problem, report link, running job)."""
    state, problem = attempt(lambda: job_state(actor, job_id[:64]))
    if state is None:
        return None, problem, None, None
    if state.status == "failed":
        return None, _problem_from(state.error or {}), None, None
    if state.status != "finished" or not isinstance(state.result, dict):
        return None, None, None, state  # still running: the page shows its progress
    shown = state.result
    problem = _problem_from(shown["problem"]) if shown.get("problem") else None
    return shown.get("result"), problem, _report_href(shown.get("report")), None


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@page("session.read", performs=("attendance.upload",))
def session_page(session_id: int):
    """A session: upload the roster, see the result, the rejected rows and the certificates.

    `?job=` shows what an upload job (started by the page's script) left: the same result and
    error report as a direct upload, or its progress while it runs.
    """
    actor = current_actor()
    session = get_session(actor, session_id)
    result = problem = report_href = job = None
    if request.method == "POST":
        outcome, problem = attempt(lambda: _page_upload(actor, session_id))
        if outcome is not None:
            result, problem, report_href = outcome
        session = get_session(actor, session_id)
    elif request.args.get("job"):
        result, problem, report_href, job = _job_outcome(actor, request.args["job"])
    # What the class PDF prints: each record's current certificate (not those a correction replaced).
    certificates = [c for c in certificates_of_session(session) if c.replaced_by_id is None]
    search, listing = _trainee_listing()
    return render_template(
        "attendance/session.html",
        session=session,
        result=result,
        problem=problem,
        report_href=report_href,
        job=job,
        certificates=certificates,
        records=services.list_records(session, listing, search),
        search=search,
        listing=listing,
    ), (problem.status if problem and result is None else 200)


@bp.post("/sessions/<int:session_id>/upload-job")
@page("session.read", performs=("attendance.upload",))
def upload_job_page(session_id: int):
    """The upload form, sent by the page's script: 202 and a job to follow when a worker is
    listening; otherwise 503 and nothing done (the script then posts the form as without it)."""
    actor = current_actor()
    session = get_session(actor, session_id, "attendance.upload")
    if not worker_listening():
        return {"code": "jobs_unavailable", "detail": "后台任务暂不可用，名单将直接上传"}, 503
    roster, mode = _page_roster()
    job_id = start(actor, "attendance.upload", PAGE_UPLOAD_JOB, actor, session.id, roster, mode)
    if job_id is None:
        return {"code": "jobs_unavailable", "detail": "后台任务暂不可用，名单将直接上传"}, 503
    return {
        "id": job_id,
        "status_url": url_for(
            "attendance.upload_job_status_page", session_id=session.id, job_id=job_id
        ),
        "result_url": url_for(
            "attendance.session_page", session_id=session.id, job=job_id, _anchor="upload-outcome"
        ),
    }, 202


@bp.get("/sessions/<int:session_id>/upload-jobs/<job_id>")
@page("session.read")
def upload_job_status_page(session_id: int, job_id: str):
    """An upload job's status and progress, for the page's progress bar."""
    state = job_state(current_actor(), job_id[:64])
    return {"status": state.status, "progress": state.progress}


TRAINEES_PER_PAGE = 50


def _trainee_listing() -> tuple[str, Page]:
    """The trainee list's search text and page (?q=&page=; a bad page number is page 1)."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdecimal() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    return (request.args.get("q") or "").strip()[:100], Page(number=number, size=TRAINEES_PER_PAGE)


def _trainee_search() -> str:
    return (request.args.get("q") or "").strip()[:100]


def trainees_answer(actor: Actor, session_id: int, search: str) -> Response:
    """The session's trainee list (the search applied) as the workbook download answer
    (synchronous, or a job's file)."""
    session = get_session(actor, session_id)
    records = services.list_records(session, search=search)
    return xlsx_response(trainees_xlsx(session, records), f"学员名单-{session.id}.xlsx")


@bp.get("/api/v1/sessions/<int:session_id>/trainees.xlsx")
@doc(
    "班次学员名单与证书（Excel，身份证号脱敏；Prefer: respond-async 时以后台任务生成）",
    action="session.read",
    content=XLSX_MIMETYPE,
    query={"q": "按姓名、单位、身份证号或证书编号筛选（可选）"},
    errors=(404,),
)
def trainees_export(session_id: int):
    """The trainee list as on the session page's download; a job when the request prefers."""
    actor, search = current_actor(), _trainee_search()
    if wants_async():
        session = get_session(actor, session_id)
        job_id = start(actor, "session.trainees", TRAINEES_JOB, actor, session.id, search)
        if job_id is not None:
            return accepted(job_id)
    return trainees_answer(actor, session_id, search)


@bp.get("/sessions/<int:session_id>/trainees.xlsx")
@page("session.read")
def trainees_xlsx_page(session_id: int):
    """The session's trainee list (the search applied) as an Excel workbook."""
    return trainees_answer(current_actor(), session_id, _trainee_search())


CORRECTION_LABELS = {
    "reason": "更正原因",
    "name": "姓名",
    "employer": "工作单位",
    "hours": "学时",
    "category": "科目类别",
}


@bp.route("/sessions/<int:session_id>/trainees/<serial>/correct", methods=["GET", "POST"])
@page("certificate.correct")
def correct_page(session_id: int, serial: str):
    """Correct a trainee's record and reissue the certificate; an error keeps what was typed."""
    actor = current_actor()
    session = get_session(actor, session_id)
    cert = certificate_for(actor, serial, "certificate.correct")
    if cert.session_id != session.id:
        raise NotFound("本班次没有这张证书")
    record = cert.record
    saved = {
        "name": record.name,
        "employer": record.employer or "",
        "hours": hours_json(record.credited_hours),
        "category": record.category or session.category,
    }

    def step():
        posted = {key: request.form.get(key, "") for key in CORRECTION_LABELS}
        return correct_record(actor, cert, **load(CorrectArgs(), posted))

    def done(new):
        flash(
            f"已更正 {new.payload.get('name', '')} 的记录：旧证书 {serial} 已撤销，"
            f"新证书 {new.serial} 已签发",
            "success",
        )
        return redirect(url_for("attendance.session_page", session_id=session.id))

    def again(errors: FormErrors):
        current = certificate_for(actor, serial, "certificate.correct")
        return render_template(
            "attendance/correct.html",
            cert=current,
            record=current.record,
            session=session,
            typed=typed(saved),
            errors=errors,
        )

    if request.method == "POST":
        return submit(step, done=done, again=again, place=CORRECTION_LABELS)
    return again(FormErrors())
