"""CONTRACT §3 endpoints and change filing (第三十一条); the pages are in pages.py."""

from __future__ import annotations

from flask import request

from jxjd.auth import current_actor
from jxjd.bases import bp, changes, services
from jxjd.bases.schemas import (
    BaseArgs,
    BaseChangeAcceptArgs,
    BaseChangeArgs,
    BaseChangeRejectArgs,
    BaseChangeSchema,
    BaseDetailSchema,
    BaseSchema,
    SpecialtiesArgs,
    StatusArgs,
)
from jxjd.common.paging import current_page, paged
from jxjd.openapi import Body, doc

CHANGE_TAGS = ["base-changes"]


@bp.post("/api/v1/bases")
@doc(
    "登记基地",
    action="base.create",
    body=BaseArgs,
    response=BaseDetailSchema,
    status=201,
    errors=(409, 422),
)
def create_base(args: Body):
    """Register a base with its recognized specialties."""
    return services.create_base(current_actor(), dict(args))


@bp.get("/api/v1/bases")
@paged
@doc(
    "基地列表（按角色范围）",
    action="base.read",
    response=BaseSchema(many=True),
    listed_as="bases",
    query={"status": "按状态筛选", "department": "按主管部门筛选"},
)
def list_bases():
    """The bases the caller may see."""
    return services.list_bases_for(
        current_actor(),
        status=request.args.get("status"),
        department=request.args.get("department"),
        page=current_page(),
    )


@bp.get("/api/v1/bases/<int:base_id>")
@doc("基地详情（含状态变更历史）", action="base.read", response=BaseDetailSchema, errors=(404,))
def get_base(base_id: int):
    """One base with its status history."""
    return services.get_base(current_actor(), base_id)


@bp.post("/api/v1/bases/<int:base_id>/status")
@doc(
    "变更基地状态",
    action="base.status",
    body=StatusArgs,
    response=BaseDetailSchema,
    errors=(404, 409, 422),
)
def change_status(base_id: int, args: Body):
    """Move a base to another status (CONTRACT §3 transitions)."""
    actor = current_actor()
    return services.change_base_status(actor, services.get_base(actor, base_id), **args)


@bp.put("/api/v1/bases/<int:base_id>/specialties")
@doc(
    "替换基地认定专业",
    action="base.specialties",
    body=SpecialtiesArgs,
    response=BaseDetailSchema,
    errors=(404, 422),
)
def put_specialties(base_id: int, args: Body):
    """Replace the recognized specialty list."""
    actor = current_actor()
    return services.replace_specialties(
        actor, services.get_base(actor, base_id), args["specialties"]
    )


# ---- change filing (第三十一条) --------------------------------------------------------------


@bp.post("/api/v1/bases/<int:base_id>/changes")
@doc(
    "报送基地名称、地址或联系方式变更（基地本身或省人社厅；待省人社厅备案）",
    action="base_change.file",
    body=BaseChangeArgs,
    response=BaseChangeSchema,
    status=201,
    tags=CHANGE_TAGS,
    errors=(404, 422),
)
def file_change(base_id: int, args: Body):
    """File a change of the base's name, address or contacts."""
    actor = current_actor()
    return changes.file_base_change(actor, services.get_base(actor, base_id), dict(args))


@bp.get("/api/v1/bases/<int:base_id>/changes")
@doc(
    "基地变更备案记录（原值、新值、报送与办理人、时间）",
    action="base_change.read",
    response=BaseChangeSchema(many=True),
    tags=CHANGE_TAGS,
    errors=(404,),
)
def list_base_changes(base_id: int):
    """Every change filing of one base."""
    base = services.get_base(current_actor(), base_id)
    items = changes.list_changes_for_base(base)
    return {"base_id": base.id, "changes": BaseChangeSchema(many=True).dump(items)}


@bp.get("/api/v1/base-changes")
@doc(
    "变更备案列表（按角色范围）",
    action="base_change.read",
    response=BaseChangeSchema(many=True),
    listed_as="changes",
    tags=CHANGE_TAGS,
    query={"status": "pending | accepted | rejected"},
)
def list_changes():
    """The change filings the caller may see."""
    return changes.list_changes_for(current_actor(), status=request.args.get("status"))


@bp.get("/api/v1/base-changes/<int:change_id>")
@doc(
    "变更备案详情",
    action="base_change.read",
    response=BaseChangeSchema,
    tags=CHANGE_TAGS,
    errors=(404,),
)
def get_change(change_id: int):
    """One change filing."""
    return changes.get_change(current_actor(), change_id)


@bp.post("/api/v1/base-changes/<int:change_id>/accept")
@doc(
    "予以备案：基地信息更新为新值，原值保留在记录中",
    action="base_change.decide",
    body=BaseChangeAcceptArgs,
    response=BaseChangeSchema,
    tags=CHANGE_TAGS,
    errors=(404, 409),
)
def accept_change(change_id: int, args: Body):
    """Accept a change filing; the base takes the new values."""
    actor = current_actor()
    change = changes.get_change(actor, change_id)
    return changes.accept_base_change(actor, change, args["reason"] or "")


@bp.post("/api/v1/base-changes/<int:change_id>/reject")
@doc(
    "不予备案（须说明原因）",
    action="base_change.decide",
    body=BaseChangeRejectArgs,
    response=BaseChangeSchema,
    tags=CHANGE_TAGS,
    errors=(404, 409, 422),
)
def reject_change(change_id: int, args: Body):
    """Refuse a change filing with a reason."""
    actor = current_actor()
    return changes.reject_base_change(actor, changes.get_change(actor, change_id), args["reason"])
