"""CONTRACT §4 endpoints (the pages are in pages.py)."""

from __future__ import annotations

from jxjd.auth import current_actor
from jxjd.bases.services import get_base
from jxjd.common.paging import current_page, paged
from jxjd.common.params import query_year
from jxjd.openapi import Body, doc
from jxjd.plans import bp, services
from jxjd.plans.schemas import PlanArgs, PlanItemsArgs, PlanSchema, ReviewArgs


@bp.post("/api/v1/bases/<int:base_id>/plans")
@doc(
    "新建年度培训计划（草稿；已备案年度则为新版本）",
    action="plan.create",
    body=PlanArgs,
    response=PlanSchema,
    status=201,
    errors=(404, 409, 422),
)
def create_plan(base_id: int, args: Body):
    """Create a draft plan for a year."""
    actor = current_actor()
    return services.create_plan(actor, get_base(actor, base_id), args["year"], args["items"])


@bp.get("/api/v1/bases/<int:base_id>/plans")
@paged
@doc(
    "基地的年度计划（全部版本）",
    action="plan.read",
    response=PlanSchema(many=True),
    listed_as="plans",
    query={"year": "年度"},
)
def list_plans(base_id: int):
    """A base's plans."""
    return services.list_plans(get_base(current_actor(), base_id), query_year(), current_page())


@bp.get("/api/v1/plans/<int:plan_id>")
@doc("年度计划详情", action="plan.read", response=PlanSchema, errors=(404,))
def get_plan(plan_id: int):
    """One plan version with its items."""
    return services.get_plan(current_actor(), plan_id)


@bp.put("/api/v1/plans/<int:plan_id>")
@doc(
    "修改草稿或退回的计划",
    action="plan.update",
    body=PlanItemsArgs,
    response=PlanSchema,
    errors=(404, 409, 422),
)
def update_plan(plan_id: int, args: Body):
    """Replace a draft's items."""
    actor = current_actor()
    return services.update_plan(actor, services.get_plan(actor, plan_id), args["items"])


@bp.post("/api/v1/plans/<int:plan_id>/submit")
@doc("提交计划给主管部门审核", action="plan.submit", response=PlanSchema, errors=(404, 409, 422))
def submit_plan(plan_id: int):
    """draft|returned → submitted."""
    actor = current_actor()
    return services.submit_plan(actor, services.get_plan(actor, plan_id))


@bp.post("/api/v1/plans/<int:plan_id>/review")
@doc(
    "主管部门审核计划",
    action="plan.review",
    body=ReviewArgs,
    response=PlanSchema,
    errors=(404, 409, 422),
)
def review_plan(plan_id: int, args: Body):
    """submitted → reviewed or returned."""
    actor = current_actor()
    return services.review_plan(actor, services.get_plan(actor, plan_id), **args)


@bp.post("/api/v1/plans/<int:plan_id>/file")
@doc("省人社厅备案计划", action="plan.file", response=PlanSchema, errors=(404, 409))
def file_plan(plan_id: int):
    """reviewed → filed."""
    actor = current_actor()
    return services.file_plan(actor, services.get_plan(actor, plan_id))
