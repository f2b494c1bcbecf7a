"""CONTRACT §4 endpoints and the plan pages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.access import can
from jxjd.auth import current_actor
from jxjd.bases.services import get_base
from jxjd.common.paging import current_page, paged
from jxjd.common.params import query_year
from jxjd.common.schema import load
from jxjd.common.text import check_text
from jxjd.errors import NotFound
from jxjd.openapi import Body, doc
from jxjd.plans import bp, services
from jxjd.plans.schemas import PlanArgs, PlanItemsArgs, PlanSchema, ReviewArgs
from jxjd.transactions import attempt
from jxjd.web import page

MAX_FORM_ROWS = 50
ITEM_FIELDS = (
    "specialty",
    "title",
    "category",
    "level",
    "audience",
    "form",
    "sessions",
    "trainees",
    "hours",
)


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


# ---- pages ---------------------------------------------------------------------------------


@bp.get("/plans")
@page("plan.read")
def plans_page():
    """A base sees its plans; a department the plans to review; admin the plans to file."""
    actor = current_actor()
    if can(actor, "base.desk"):
        base = get_base(actor, actor.base_id)
        return render_template("plans/base.html", base=base, plans=services.list_plans(base))
    return render_template("plans/waiting.html", plans=services.plans_waiting_for(actor))


def _form_plan() -> dict[str, Any]:
    """The page form (one item per numbered row) in the API's shape."""
    form = request.form
    rows = _int(form.get("rows"))
    # The page sends a handful of rows; never loop over an arbitrary count from the client.
    rows = min(rows, MAX_FORM_ROWS) if isinstance(rows, int) else 0
    items = [
        {key: form.get(f"{key}_{i}", "") for key in ITEM_FIELDS}
        for i in range(rows)
        if form.get(f"title_{i}")
    ]
    for item in items:
        item["sessions"], item["trainees"] = _int(item["sessions"]), _int(item["trainees"])
    return {"year": _int(form.get("year")), "items": items}


@bp.post("/plans/new")
@page("base.desk", performs=("plan.create",))
def new_plan_page():
    """Create a draft plan from the page form (one item per row)."""
    actor = current_actor()
    base = get_base(actor, actor.base_id)

    def create():
        data = load(PlanArgs(), _form_plan())
        return services.create_plan(actor, base, data["year"], data["items"])

    plan, problem = attempt(create)
    if problem is not None:
        plans = services.list_plans(base)
        html = render_template(
            "plans/base.html", base=base, plans=plans, problem=problem, form=request.form
        )
        return html, problem.status
    flash(f"已保存 {plan.year} 年度计划草稿（第 {plan.version} 版）", "success")
    return redirect(url_for("plans.plans_page"))


def _plan_action(action: str, plan_id: int) -> None:
    actor = current_actor()
    plan = services.get_plan(actor, plan_id)
    if action == "submit":
        services.submit_plan(actor, plan)
    elif action in ("approve", "return"):
        comment = request.form.get("comment", "")
        check_text(comment, "opinion", field="comment", label="审核意见")
        services.review_plan(actor, plan, approve=action == "approve", comment=comment)
    elif action == "file":
        services.file_plan(actor, plan)
    else:
        raise NotFound("未知操作")


@bp.post("/plans/<int:plan_id>/<action>")
@page("plan.read", performs=("plan.submit", "plan.review", "plan.file"))
def plan_action_page(plan_id: int, action: str):
    """Submit, approve, return or file a plan from the page."""
    _, problem = attempt(lambda: _plan_action(action, plan_id))
    if problem is None:
        flash("操作成功", "success")
    else:
        flash(problem.detail, "error")
    return redirect(url_for("plans.plans_page"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
