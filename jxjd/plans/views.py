"""CONTRACT §4 endpoints and the plan pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor, require
from jxjd.bases.services import get_base_for, get_base_for_write
from jxjd.common.paging import current_page, paged
from jxjd.common.params import query_year
from jxjd.common.schema import json_body, load
from jxjd.common.text import check_text
from jxjd.errors import Problem
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.plans import bp, services
from jxjd.plans.schemas import PlanArgs, PlanItemsArgs, PlanSchema, ReviewArgs
from jxjd.web import require_page

MAX_FORM_ROWS = 50


@bp.post("/api/v1/bases/<int:base_id>/plans")
@require(roles={"base", "admin"})
@doc(
    "新建年度培训计划（草稿；已备案年度则为新版本）",
    body=PlanArgs,
    response=PlanSchema,
    status=201,
    tags=["plans"],
    errors=(404, 409, 422),
)
def create_plan(base_id: int):
    """Create a draft plan for a year."""
    actor = current_actor()
    base = get_base_for_write(actor, base_id)
    args = load(PlanArgs(), json_body())
    plan = services.create_plan(actor, base, args["year"], args["items"])
    db.session.commit()
    return PlanSchema().dump(plan), 201


@bp.get("/api/v1/bases/<int:base_id>/plans")
@require(roles={"admin", "dept", "base"})
@doc(
    "基地的年度计划（全部版本）",
    response=PlanSchema(many=True),
    tags=["plans"],
    query={"year": "年度"},
)
@paged
def list_plans(base_id: int):
    """A base's plans."""
    base = get_base_for(current_actor(), base_id)
    year = query_year()
    return {"plans": PlanSchema(many=True).dump(services.list_plans(base, year, current_page()))}


@bp.get("/api/v1/plans/<int:plan_id>")
@require(roles={"admin", "dept", "base"})
@doc("年度计划详情", response=PlanSchema, tags=["plans"], errors=(404,))
def get_plan(plan_id: int):
    """One plan version with its items."""
    return PlanSchema().dump(services.get_plan_for(current_actor(), plan_id))


@bp.put("/api/v1/plans/<int:plan_id>")
@require(roles={"base", "admin"})
@doc(
    "修改草稿或退回的计划",
    body=PlanItemsArgs,
    response=PlanSchema,
    tags=["plans"],
    errors=(404, 409, 422),
)
def update_plan(plan_id: int):
    """Replace a draft's items."""
    actor = current_actor()
    plan = services.get_plan_for(actor, plan_id)
    args = load(PlanItemsArgs(), json_body())
    services.update_plan(actor, plan, args["items"])
    db.session.commit()
    return PlanSchema().dump(plan)


@bp.post("/api/v1/plans/<int:plan_id>/submit")
@require(roles={"base"})
@doc("提交计划给主管部门审核", response=PlanSchema, tags=["plans"], errors=(404, 409, 422))
def submit_plan(plan_id: int):
    """draft|returned → submitted."""
    actor = current_actor()
    plan = services.get_plan_for(actor, plan_id)
    services.submit_plan(actor, plan)
    db.session.commit()
    return PlanSchema().dump(plan)


@bp.post("/api/v1/plans/<int:plan_id>/review")
@require(roles={"dept", "admin"})
@doc(
    "主管部门审核计划", body=ReviewArgs, response=PlanSchema, tags=["plans"], errors=(404, 409, 422)
)
def review_plan(plan_id: int):
    """submitted → reviewed or returned."""
    actor = current_actor()
    plan = services.get_plan_for(actor, plan_id)
    args = load(ReviewArgs(), json_body())
    services.review_plan(actor, plan, approve=args["approve"], comment=args["comment"])
    db.session.commit()
    return PlanSchema().dump(plan)


@bp.post("/api/v1/plans/<int:plan_id>/file")
@require(roles={"admin"})
@doc("省人社厅备案计划", response=PlanSchema, tags=["plans"], errors=(404, 409))
def file_plan(plan_id: int):
    """reviewed → filed."""
    actor = current_actor()
    plan = services.get_plan_for(actor, plan_id)
    services.file_plan(actor, plan)
    db.session.commit()
    return PlanSchema().dump(plan)


# ---- pages ---------------------------------------------------------------------------------


@bp.get("/plans")
@require_page(roles={"admin", "dept", "base"})
def plans_page():
    """A base sees its plans; a department the plans to review; admin the plans to file."""
    actor = current_actor()
    if actor.role == "base":
        base = get_base_for(actor, actor.base_id)
        return render_template("plans/base.html", base=base, plans=services.list_plans(base))
    return render_template("plans/waiting.html", plans=services.plans_waiting_for(actor))


@bp.post("/plans/new")
@require_page(roles={"base"})
def new_plan_page():
    """Create a draft plan from the page form (one item per row)."""
    actor = current_actor()
    base = get_base_for(actor, actor.base_id)
    form = request.form
    items = []
    rows = _int(form.get("rows"))
    # The page sends a handful of rows; never loop over an arbitrary count from the client.
    rows = min(rows, MAX_FORM_ROWS) if isinstance(rows, int) else 0
    for i in range(rows):
        if not form.get(f"title_{i}"):
            continue
        items.append(
            {
                key: form.get(f"{key}_{i}", "")
                for key in (
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
            }
        )
    try:
        data = load(
            PlanArgs(),
            {
                "year": _int(form.get("year")),
                "items": [
                    {**it, "sessions": _int(it["sessions"]), "trainees": _int(it["trainees"])}
                    for it in items
                ],
            },
        )
        plan = services.create_plan(actor, base, data["year"], data["items"])
        db.session.commit()
    except Problem as exc:
        db.session.rollback()
        return render_template(
            "plans/base.html", base=base, plans=services.list_plans(base), problem=exc, form=form
        ), exc.status
    flash(f"已保存 {plan.year} 年度计划草稿（第 {plan.version} 版）", "success")
    return redirect(url_for("plans.plans_page"))


@bp.post("/plans/<int:plan_id>/<action>")
@require_page(roles={"admin", "dept", "base"})
def plan_action_page(plan_id: int, action: str):
    """Submit, approve, return or file a plan from the page."""
    actor = current_actor()
    try:
        plan = services.get_plan_for(actor, plan_id)
        if action == "submit":
            services.submit_plan(actor, plan)
        elif action in ("approve", "return"):
            comment = request.form.get("comment", "")
            check_text(comment, "opinion", field="comment", label="审核意见")
            services.review_plan(actor, plan, approve=action == "approve", comment=comment)
        elif action == "file":
            services.file_plan(actor, plan)
        else:
            raise Problem("未知操作", status=404, code="not_found")
        db.session.commit()
        flash("操作成功", "success")
    except Problem as exc:
        db.session.rollback()
        flash(exc.detail, "error")
    return redirect(url_for("plans.plans_page"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
