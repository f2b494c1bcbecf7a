"""CONTRACT §3 endpoints and the base list page."""

from __future__ import annotations

from flask import render_template, request

from jxjd.auth import current_actor, require
from jxjd.bases import bp, services
from jxjd.bases.schemas import BaseArgs, BaseDetailSchema, BaseSchema, SpecialtiesArgs, StatusArgs
from jxjd.common.enums import BASE_STATUSES
from jxjd.common.paging import current_page, paged
from jxjd.common.schema import json_body, load
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.web import require_page

READERS = {"admin", "dept", "base"}


@bp.post("/api/v1/bases")
@require(roles={"admin"})
@doc(
    "登记基地",
    body=BaseArgs,
    response=BaseDetailSchema,
    status=201,
    tags=["bases"],
    errors=(409, 422),
)
def create_base():
    """Register a base with its recognized specialties."""
    args = load(BaseArgs(), json_body())
    base = services.create_base(current_actor(), args)
    db.session.commit()
    return BaseDetailSchema().dump(base), 201


@bp.get("/api/v1/bases")
@require(roles=READERS)
@doc(
    "基地列表（按角色范围）",
    response=BaseSchema(many=True),
    tags=["bases"],
    query={"status": "按状态筛选", "department": "按主管部门筛选"},
)
@paged
def list_bases():
    """The bases the caller may see."""
    bases = services.list_bases_for(
        current_actor(),
        status=request.args.get("status"),
        department=request.args.get("department"),
        page=current_page(),
    )
    return {"bases": BaseSchema(many=True).dump(bases)}


@bp.get("/api/v1/bases/<int:base_id>")
@require(roles=READERS)
@doc("基地详情（含状态变更历史）", response=BaseDetailSchema, tags=["bases"], errors=(404,))
def get_base(base_id: int):
    """One base with its status history."""
    return BaseDetailSchema().dump(services.get_base_for(current_actor(), base_id))


@bp.post("/api/v1/bases/<int:base_id>/status")
@require(roles={"admin"})
@doc(
    "变更基地状态",
    body=StatusArgs,
    response=BaseDetailSchema,
    tags=["bases"],
    errors=(404, 409, 422),
)
def change_status(base_id: int):
    """Move a base to another status (CONTRACT §3 transitions)."""
    actor = current_actor()
    base = services.get_base_for(actor, base_id)
    args = load(StatusArgs(), json_body())
    services.change_base_status(actor, base, args["status"], args["reason"])
    db.session.commit()
    return BaseDetailSchema().dump(base)


@bp.put("/api/v1/bases/<int:base_id>/specialties")
@require(roles={"admin"})
@doc(
    "替换基地认定专业",
    body=SpecialtiesArgs,
    response=BaseDetailSchema,
    tags=["bases"],
    errors=(404, 422),
)
def put_specialties(base_id: int):
    """Replace the recognized specialty list."""
    actor = current_actor()
    base = services.get_base_for(actor, base_id)
    args = load(SpecialtiesArgs(), json_body())
    services.replace_specialties(actor, base, args["specialties"])
    db.session.commit()
    return BaseDetailSchema().dump(base)


@bp.get("/bases")
@require_page(roles=READERS)
def bases_page():
    """The bases in the signed-in account's scope, with status and specialties."""
    status = request.args.get("status") or None
    bases = services.list_bases_for(current_actor(), status=status)
    return render_template("bases/list.html", bases=bases, statuses=BASE_STATUSES, status=status)


@bp.get("/bases/<int:base_id>")
@require_page(roles=READERS)
def base_page(base_id: int):
    """One base: specialties and status history."""
    base = services.get_base_for(current_actor(), base_id)
    return render_template("bases/detail.html", base=base)
