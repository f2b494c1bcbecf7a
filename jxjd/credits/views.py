"""CONTRACT §14: POST/GET /api/v1/credits, approve/reject/revoke, evidence, bulk import."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from jxjd.auth import current_actor
from jxjd.common.paging import current_page, paged
from jxjd.common.params import query_mode, query_year
from jxjd.common.schema import json_body, load
from jxjd.common.time import local_today
from jxjd.common.types import hours_json
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.credits import bp, importing, services, turnaround, workbooks
from jxjd.credits.evidence import Evidence, read_evidence
from jxjd.credits.models import CREDIT_STATUSES, Credit
from jxjd.credits.schemas import CreditArgs, CreditOut, DecisionArgs
from jxjd.errors import ValidationFailed, field_error
from jxjd.openapi import Body, doc
from jxjd.rules.conversions import conversions_for


def credit_input(args: dict[str, Any]) -> services.CreditInput:
    """A loaded CreditArgs as the service's input."""
    return services.CreditInput(**{k: args[k] for k in services.CreditInput.__dataclass_fields__})


def _body_and_evidence() -> tuple[dict[str, Any], Evidence | None]:
    """JSON, or multipart/form-data with the fields and an optional `evidence` file."""
    if request.mimetype == "multipart/form-data":
        args = load(CreditArgs(), request.form.to_dict())
        upload = request.files.get("evidence")
        if upload is None or not upload.filename:
            return args, None
        try:
            return args, read_evidence(upload.stream)
        finally:
            upload.close()
    return load(CreditArgs(), json_body()), None


def created(credit: Credit) -> dict[str, Any]:
    """The 201 body of CONTRACT §14."""
    return {
        "id": credit.id,
        "status": credit.status,
        "category": credit.category,
        "hours": hours_json(credit.hours),
        "form": credit.form,
        "rule_version": credit.rule_version,
    }


@bp.post("/api/v1/credits")
@doc(
    "录入学时认定（省人社厅、主管部门、用人单位）或本人申报（附证明材料，multipart 字段 evidence）",
    action="credit.create",
    status=201,
    errors=(404, 409, 413, 415, 422),
)
def create():
    """Enter or claim one credit; it waits for review."""
    args, evidence = _body_and_evidence()
    return created(services.create_credit(current_actor(), credit_input(args), evidence))


def _status_arg() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in CREDIT_STATUSES:
        raise ValidationFailed(
            [
                field_error(
                    "invalid_parameter", "status 须为 " + "、".join(CREDIT_STATUSES), field="status"
                )
            ],
            code="invalid_parameter",
        )
    return status


@bp.get("/api/v1/credits")
@paged
@doc(
    "学时认定列表（省人社厅全部，主管部门本部门范围，用人单位本单位录入，本人自己的）",
    action="credit.read",
    response=CreditOut(many=True),
    listed_as="credits",
    query={"status": "pending、approved、rejected 或 revoked", "year": "年度"},
)
def list_credits():
    """The credits the caller may see."""
    return services.list_credits(
        current_actor(), status=_status_arg(), year=query_year(), page=current_page()
    )


@bp.get("/api/v1/credits/<int:credit_id>")
@doc("一条学时认定", action="credit.read", response=CreditOut, errors=(404,))
def get(credit_id: int):
    """One credit."""
    return services.get_credit(current_actor(), credit_id)


@bp.get("/api/v1/credits/<int:credit_id>/evidence")
@doc(
    "学时认定的证明材料（PDF 或照片）",
    action="credit.read",
    content="application/octet-stream",
    errors=(404,),
)
def evidence(credit_id: int):
    """The evidence file, never rendered inline as HTML."""
    actor = current_actor()
    data, content_type = services.evidence_of(actor, services.get_credit(actor, credit_id))
    resp = Response(data, mimetype=content_type)
    resp.headers["Content-Disposition"] = f"inline; filename=evidence-{credit_id}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _decide(credit_id: int, to: str, args: Body) -> Credit:
    actor = current_actor()
    credit = services.get_credit(actor, credit_id, "credit.decide")
    return services.decide(actor, credit, to, args["opinion"])


@bp.post("/api/v1/credits/<int:credit_id>/approve")
@doc(
    "认定（审核通过）",
    action="credit.decide",
    body=DecisionArgs,
    response=CreditOut,
    errors=(404, 409),
)
def approve(credit_id: int, args: Body):
    """pending → approved."""
    return _decide(credit_id, "approved", args)


@bp.post("/api/v1/credits/<int:credit_id>/reject")
@doc(
    "不予认定（须填写意见）",
    action="credit.decide",
    body=DecisionArgs,
    response=CreditOut,
    errors=(404, 409),
)
def reject(credit_id: int, args: Body):
    """pending → rejected."""
    return _decide(credit_id, "rejected", args)


@bp.post("/api/v1/credits/<int:credit_id>/revoke")
@doc(
    "撤销已认定的学时（须填写原因）",
    action="credit.decide",
    body=DecisionArgs,
    response=CreditOut,
    errors=(404, 409),
)
def revoke(credit_id: int, args: Body):
    """approved → revoked: it stops counting."""
    return _decide(credit_id, "revoked", args)


def credits_frame_from_upload(
    missing: str = "请选择要上传的文件（字段 file）",
) -> tuple[Any, str, bytes]:
    """The uploaded file (multipart field `file`) read into a bounded frame, with its name and
    bytes (the API's import and the entry page's); `missing` says that no file was chosen."""
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    if upload is None or not upload.filename:
        raise ValidationFailed([field_error("missing_file", missing, field="file")])
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    try:
        data = upload.read(max_bytes + 1)
    finally:
        upload.close()
    frame = importing.read_table(
        data,
        upload.filename,
        max_bytes=max_bytes,
        max_rows=current_app.config["JXJD_MAX_ROSTER_ROWS"],
    )
    return frame, upload.filename, data


@bp.post("/api/v1/credits/import")
@doc(
    "批量导入学时认定（.xlsx/.csv：姓名、身份证号、年度、形式、数量、学时、名称、主办单位、开始日期、结束日期）",
    action="credit.create",
    query={"mode": "strict（默认，有错误则整份不保存）或 partial（保存正确行）"},
    errors=(413, 415, 422),
)
def import_():
    """Import credits from another platform's export; idempotent."""
    mode = query_mode()
    frame, filename, data = credits_frame_from_upload()
    result = importing.import_credits(
        current_actor(),
        frame,
        mode=mode,
        filename=filename,
        sha256=importing.file_sha256(data),
    )
    return result.to_dict()


def turnaround_args() -> tuple[int, str]:
    """?year= (default this year) and ?by=month|form of the turnaround figures."""
    return query_year(default=local_today().year), turnaround.grouping(request.args.get("by"))


@bp.get("/api/v1/credits/turnaround")
@doc(
    "学时认定待审核队列与审核用时（中位数、90 百分位天数，按月份或认定形式）",
    action="credit.turnaround",
    query={"year": "决定年度（默认今年）", "by": "month（默认）或 form"},
    errors=(422,),
)
def get_turnaround():
    """The caller's pending queue and the year's review turnaround."""
    year, by = turnaround_args()
    return turnaround.turnaround(current_actor(), year, by)


@bp.get("/api/v1/credits/import/template")
@doc(
    "学时认定导入模板（.xlsx：表头、身份证号文本格式、形式下拉、填写说明和本年度折算表）",
    action="credit.desk",
    content=XLSX_MIMETYPE,
    query={"year": "折算表年度（默认今年）"},
)
def import_template():
    """The import template; it holds no person's data."""
    table = conversions_for(query_year(default=local_today().year))
    data = workbooks.template_xlsx(table, current_app.config["JXJD_MAX_ROSTER_ROWS"])
    return xlsx_response(data, "学时认定导入模板.xlsx")
