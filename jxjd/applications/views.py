"""CONTRACT §10 endpoints: applications (申请表) and their workflow; the pages are in pages.py."""

from __future__ import annotations

from flask import request

from jxjd.applications import bp, services
from jxjd.applications.schemas import (
    ApplicationArgs,
    ApplicationRecognitionSchema,
    ApplicationRecommendArgs,
    ApplicationRejectArgs,
    ApplicationSchema,
    ApplicationSiteVisitArgs,
    ApplicationSummarySchema,
    ExpertReviewArgs,
    PublicNoticeArgs,
)
from jxjd.auth import current_actor
from jxjd.openapi import Body, doc


def _get(application_id: int):
    return services.get_application(current_actor(), application_id)


@bp.post("/api/v1/applications")
@doc(
    "新建申请表草稿（申报单位；可先保存不完整的内容）。统一社会信用代码默认为申报账号绑定的代码，"
    "填写其他单位的有效代码返回 403 credit_code_mismatch",
    action="application.create",
    body=ApplicationArgs,
    response=ApplicationSchema,
    status=201,
    errors=(422,),
)
def create_application(args: Body):
    """Save a new draft application for the applicant's own unit."""
    return services.create_application(current_actor(), dict(args))


@bp.get("/api/v1/applications")
@doc(
    "申请列表（申报单位：本单位；主管部门：本部门；省人社厅：全部）",
    action="application.read",
    response=ApplicationSummarySchema(many=True),
    listed_as="applications",
    query={"status": "按状态筛选"},
)
def list_applications():
    """The applications the caller may see."""
    return services.list_applications_for(current_actor(), status=request.args.get("status"))


@bp.get("/api/v1/applications/<int:application_id>")
@doc(
    "申请详情（含评审、考察、公示与全部办理记录）",
    action="application.read",
    response=ApplicationSchema,
    errors=(404,),
)
def get_application(application_id: int):
    """One application with its history."""
    return _get(application_id)


@bp.put("/api/v1/applications/<int:application_id>")
@doc(
    "修改申请表草稿（整体替换；教师行带 id 且不填 id_number 时保留已保存的身份证号）",
    action="application.edit",
    body=ApplicationArgs,
    response=ApplicationSchema,
    errors=(404, 409, 422),
)
def update_application(application_id: int, args: Body):
    """Replace a draft's fields; only drafts can change."""
    return services.update_application(current_actor(), _get(application_id), dict(args))


@bp.post("/api/v1/applications/<int:application_id>/submit")
@doc(
    "提交申请（第七条条件全部检查，未通过时 422 列出每一项）",
    action="application.edit",
    response=ApplicationSchema,
    errors=(404, 409, 422),
)
def submit_application(application_id: int):
    """Draft → submitted, or every failed condition."""
    return services.submit_application(current_actor(), _get(application_id))


@bp.post("/api/v1/applications/<int:application_id>/recommend")
@doc(
    "主管部门推荐（submitted → recommended）",
    action="application.recommend",
    body=ApplicationRecommendArgs,
    response=ApplicationSchema,
    errors=(404, 409, 422),
)
def recommend_application(application_id: int, args: Body):
    """The competent department recommends the unit."""
    return services.recommend_application(current_actor(), _get(application_id), **args)


@bp.post("/api/v1/applications/<int:application_id>/reviews")
@doc(
    "专家评审意见（recommended|under_review → under_review，可多位专家）",
    action="application.decide",
    body=ExpertReviewArgs,
    response=ApplicationSchema,
    status=201,
    errors=(404, 409, 422),
)
def add_review(application_id: int, args: Body):
    """Record one expert's review and score."""
    app = _get(application_id)
    services.add_review(current_actor(), app, **args)
    return app


@bp.post("/api/v1/applications/<int:application_id>/site-visit")
@doc(
    "实地考察结果（评审中）",
    action="application.decide",
    body=ApplicationSiteVisitArgs,
    response=ApplicationSchema,
    status=201,
    errors=(404, 409, 422),
)
def record_site_visit(application_id: int, args: Body):
    """Record a site visit and whether it passed."""
    app = _get(application_id)
    findings = args["findings"] or ""
    services.record_site_visit(
        current_actor(), app, visited_on=args["date"], findings=findings, passed=args["passed"]
    )
    return app


@bp.post("/api/v1/applications/<int:application_id>/notice")
@doc(
    "公示（under_review → on_notice；start_date 默认为今天；需至少一份评审意见和通过的实地考察）",
    action="application.decide",
    body=PublicNoticeArgs,
    response=ApplicationSchema,
    errors=(404, 409, 422),
)
def start_notice(application_id: int, args: Body):
    """Put the application on public notice."""
    return services.start_notice(current_actor(), _get(application_id), **args)


@bp.post("/api/v1/applications/<int:application_id>/recognize")
@doc(
    "认定（公示期结束后；创建基地并编发牌匾证书编号）",
    action="application.decide",
    response=ApplicationRecognitionSchema,
    status=201,
    errors=(404, 409, 422),
)
def recognize_application(application_id: int):
    """Recognize the unit as a base once the notice has ended."""
    app = services.recognize_application(current_actor(), _get(application_id))
    return ApplicationRecognitionSchema().dump(
        {
            "application_id": app.id,
            "status": app.status,
            "base_id": app.base_id,
            "plaque_number": app.plaque_number,
            "recognized_on": app.base.recognized_on if app.base is not None else None,
        }
    )


@bp.post("/api/v1/applications/<int:application_id>/reject")
@doc(
    "不予认定（任何未终结的状态 → rejected）",
    action="application.decide",
    body=ApplicationRejectArgs,
    response=ApplicationSchema,
    errors=(404, 409, 422),
)
def reject_application(application_id: int, args: Body):
    """Refuse the application with a reason."""
    return services.reject_application(current_actor(), _get(application_id), **args)
