"""CONTRACT §10 endpoints: applications and their workflow, the public directory, change filing."""

from __future__ import annotations

from flask import request

from jxjd.applications import bp, changes, services
from jxjd.applications.schemas import (
    ApplicationArgs,
    ApplicationRecognitionSchema,
    ApplicationRecommendArgs,
    ApplicationRejectArgs,
    ApplicationSchema,
    ApplicationSiteVisitArgs,
    ApplicationSummarySchema,
    BaseChangeAcceptArgs,
    BaseChangeArgs,
    BaseChangeRejectArgs,
    BaseChangeSchema,
    DirectorySchema,
    ExpertReviewArgs,
    PublicNoticeArgs,
)
from jxjd.auth import current_actor, require
from jxjd.bases.services import get_base_for, get_base_for_write
from jxjd.common.schema import json_body, load
from jxjd.evaluations.services import excellent_base_ids
from jxjd.extensions import db
from jxjd.openapi import doc

READERS = {"applicant", "admin", "dept"}
TAGS = ["applications"]


def _dump(app) -> dict:
    return ApplicationSchema().dump(app)


@bp.post("/api/v1/applications")
@require(roles={"applicant"})
@doc(
    "新建申请表草稿（申报单位；可先保存不完整的内容）。统一社会信用代码默认为申报账号绑定的代码，"
    "填写其他单位的有效代码返回 403 credit_code_mismatch",
    body=ApplicationArgs,
    response=ApplicationSchema,
    status=201,
    tags=TAGS,
    errors=(422,),
)
def create_application():
    """Save a new draft application for the applicant's own unit."""
    args = load(ApplicationArgs(), json_body())
    app = services.create_application(current_actor(), args)
    db.session.commit()
    return _dump(app), 201


@bp.get("/api/v1/applications")
@require(roles=READERS)
@doc(
    "申请列表（申报单位：本单位；主管部门：本部门；省人社厅：全部）",
    response=ApplicationSummarySchema(many=True),
    tags=TAGS,
    query={"status": "按状态筛选"},
)
def list_applications():
    """The applications the caller may see."""
    apps = services.list_applications_for(current_actor(), status=request.args.get("status"))
    return {"applications": ApplicationSummarySchema(many=True).dump(apps)}


@bp.get("/api/v1/applications/<int:application_id>")
@require(roles=READERS)
@doc(
    "申请详情（含评审、考察、公示与全部办理记录）",
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404,),
)
def get_application(application_id: int):
    """One application with its history."""
    return _dump(services.get_application_for(current_actor(), application_id))


@bp.put("/api/v1/applications/<int:application_id>")
@require(roles={"applicant"})
@doc(
    "修改申请表草稿（整体替换；教师行带 id 且不填 id_number 时保留已保存的身份证号）",
    body=ApplicationArgs,
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404, 409, 422),
)
def update_application(application_id: int):
    """Replace a draft's fields; only drafts can change."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(ApplicationArgs(), json_body())
    services.update_application(actor, app, args)
    db.session.commit()
    return _dump(app)


@bp.post("/api/v1/applications/<int:application_id>/submit")
@require(roles={"applicant"})
@doc(
    "提交申请（第七条条件全部检查，未通过时 422 列出每一项）",
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404, 409, 422),
)
def submit_application(application_id: int):
    """Draft → submitted, or every failed condition."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    services.submit_application(actor, app)
    db.session.commit()
    return _dump(app)


@bp.post("/api/v1/applications/<int:application_id>/recommend")
@require(roles={"dept"})
@doc(
    "主管部门推荐（submitted → recommended）",
    body=ApplicationRecommendArgs,
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404, 409, 422),
)
def recommend_application(application_id: int):
    """The competent department recommends the unit."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(ApplicationRecommendArgs(), json_body())
    services.recommend_application(actor, app, args["opinion"] or "")
    db.session.commit()
    return _dump(app)


@bp.post("/api/v1/applications/<int:application_id>/reviews")
@require(roles={"admin"})
@doc(
    "专家评审意见（recommended|under_review → under_review，可多位专家）",
    body=ExpertReviewArgs,
    response=ApplicationSchema,
    status=201,
    tags=TAGS,
    errors=(404, 409, 422),
)
def add_review(application_id: int):
    """Record one expert's review and score."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(ExpertReviewArgs(), json_body())
    services.add_review(
        actor, app, reviewer=args["reviewer"], score=args["score"], opinion=args["opinion"] or ""
    )
    db.session.commit()
    return _dump(app), 201


@bp.post("/api/v1/applications/<int:application_id>/site-visit")
@require(roles={"admin"})
@doc(
    "实地考察结果（评审中）",
    body=ApplicationSiteVisitArgs,
    response=ApplicationSchema,
    status=201,
    tags=TAGS,
    errors=(404, 409, 422),
)
def record_site_visit(application_id: int):
    """Record a site visit and whether it passed."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(ApplicationSiteVisitArgs(), json_body())
    services.record_site_visit(
        actor, app, visited_on=args["date"], findings=args["findings"] or "", passed=args["passed"]
    )
    db.session.commit()
    return _dump(app), 201


@bp.post("/api/v1/applications/<int:application_id>/notice")
@require(roles={"admin"})
@doc(
    "公示（under_review → on_notice；start_date 默认为今天；需至少一份评审意见和通过的实地考察）",
    body=PublicNoticeArgs,
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404, 409, 422),
)
def start_notice(application_id: int):
    """Put the application on public notice."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(PublicNoticeArgs(), json_body())
    services.start_notice(actor, app, days=args["days"], start_date=args["start_date"])
    db.session.commit()
    return _dump(app)


@bp.post("/api/v1/applications/<int:application_id>/recognize")
@require(roles={"admin"})
@doc(
    "认定（公示期结束后；创建基地并编发牌匾证书编号）",
    response=ApplicationRecognitionSchema,
    status=201,
    tags=TAGS,
    errors=(404, 409, 422),
)
def recognize_application(application_id: int):
    """Recognize the unit as a base once the notice has ended."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    services.recognize_application(actor, app)
    db.session.commit()
    body = {
        "application_id": app.id,
        "status": app.status,
        "base_id": app.base_id,
        "plaque_number": app.plaque_number,
        "recognized_on": app.base.recognized_on,
    }
    return ApplicationRecognitionSchema().dump(body), 201


@bp.post("/api/v1/applications/<int:application_id>/reject")
@require(roles={"admin"})
@doc(
    "不予认定（任何未终结的状态 → rejected）",
    body=ApplicationRejectArgs,
    response=ApplicationSchema,
    tags=TAGS,
    errors=(404, 409, 422),
)
def reject_application(application_id: int):
    """Refuse the application with a reason."""
    actor = current_actor()
    app = services.get_application_for(actor, application_id)
    args = load(ApplicationRejectArgs(), json_body())
    services.reject_application(actor, app, args["reason"])
    db.session.commit()
    return _dump(app)


@bp.get("/api/v1/directory")
@doc(
    "省级继续教育基地名录（公开；仅已认定、限期整改的基地，及正在公示的申报单位）",
    response=DirectorySchema,
    tags=["directory"],
    public=True,
)
def directory():
    """The public directory of bases and of applications on public notice."""
    body = DirectorySchema().dump(
        {"bases": services.directory_bases(), "on_notice": services.applications_on_notice()}
    )
    excellent = excellent_base_ids()
    for base in body["bases"]:
        base["excellent"] = base["id"] in excellent  # 第二十二条: shown in the directory
    return body


# ---- change filing (第三十一条) --------------------------------------------------------------


@bp.post("/api/v1/bases/<int:base_id>/changes")
@require(roles={"admin", "base"})
@doc(
    "报送基地名称、地址或联系方式变更（基地本身或省人社厅；待省人社厅备案）",
    body=BaseChangeArgs,
    response=BaseChangeSchema,
    status=201,
    tags=["base-changes"],
    errors=(404, 422),
)
def file_change(base_id: int):
    """File a change of the base's name, address or contacts."""
    actor = current_actor()
    base = get_base_for_write(actor, base_id)
    args = load(BaseChangeArgs(), json_body())
    change = changes.file_base_change(actor, base, args)
    db.session.commit()
    return BaseChangeSchema().dump(change), 201


@bp.get("/api/v1/bases/<int:base_id>/changes")
@require(roles={"admin", "dept", "base"})
@doc(
    "基地变更备案记录（原值、新值、报送与办理人、时间）",
    response=BaseChangeSchema(many=True),
    tags=["base-changes"],
    errors=(404,),
)
def list_base_changes(base_id: int):
    """Every change filing of one base."""
    base = get_base_for(current_actor(), base_id)
    items = changes.list_changes_for_base(base)
    return {"base_id": base.id, "changes": BaseChangeSchema(many=True).dump(items)}


@bp.get("/api/v1/base-changes")
@require(roles={"admin", "dept", "base"})
@doc(
    "变更备案列表（按角色范围）",
    response=BaseChangeSchema(many=True),
    tags=["base-changes"],
    query={"status": "pending | accepted | rejected"},
)
def list_changes():
    """The change filings the caller may see."""
    items = changes.list_changes_for(current_actor(), status=request.args.get("status"))
    return {"changes": BaseChangeSchema(many=True).dump(items)}


@bp.get("/api/v1/base-changes/<int:change_id>")
@require(roles={"admin", "dept", "base"})
@doc("变更备案详情", response=BaseChangeSchema, tags=["base-changes"], errors=(404,))
def get_change(change_id: int):
    """One change filing."""
    return BaseChangeSchema().dump(changes.get_change_for(current_actor(), change_id))


@bp.post("/api/v1/base-changes/<int:change_id>/accept")
@require(roles={"admin"})
@doc(
    "予以备案：基地信息更新为新值，原值保留在记录中",
    body=BaseChangeAcceptArgs,
    response=BaseChangeSchema,
    tags=["base-changes"],
    errors=(404, 409),
)
def accept_change(change_id: int):
    """Accept a change filing; the base takes the new values."""
    actor = current_actor()
    change = changes.get_change_for(actor, change_id)
    args = load(BaseChangeAcceptArgs(), json_body())
    changes.accept_base_change(actor, change, args["reason"] or "")
    db.session.commit()
    return BaseChangeSchema().dump(change)


@bp.post("/api/v1/base-changes/<int:change_id>/reject")
@require(roles={"admin"})
@doc(
    "不予备案（须说明原因）",
    body=BaseChangeRejectArgs,
    response=BaseChangeSchema,
    tags=["base-changes"],
    errors=(404, 409, 422),
)
def reject_change(change_id: int):
    """Refuse a change filing with a reason."""
    actor = current_actor()
    change = changes.get_change_for(actor, change_id)
    args = load(BaseChangeRejectArgs(), json_body())
    changes.reject_base_change(actor, change, args["reason"])
    db.session.commit()
    return BaseChangeSchema().dump(change)


from jxjd.applications import pages  # noqa: E402, F401  (registers the HTML pages on `bp`)
