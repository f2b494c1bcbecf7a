"""CONTRACT §5 endpoints and the session pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor, require
from jxjd.bases.services import get_base_for, get_base_for_write
from jxjd.common.paging import current_page, paged
from jxjd.common.params import form_integer, query_year
from jxjd.common.schema import json_body, load
from jxjd.errors import Problem
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.plans.services import filed_plans_by_year
from jxjd.sessions import bp, services
from jxjd.sessions.schemas import SessionArgs, SessionSchema
from jxjd.web import require_page


@bp.post("/api/v1/bases/<int:base_id>/sessions")
@require(roles={"base", "admin"})
@doc(
    "登记培训班次（先检查范围与备案计划，任何一项不通过都不保存）",
    body=SessionArgs,
    response=SessionSchema,
    status=201,
    tags=["sessions"],
    errors=(404, 422),
)
def create_session(base_id: int):
    """Create a session after every check passes."""
    actor = current_actor()
    base = get_base_for_write(actor, base_id)
    args = load(SessionArgs(), json_body())
    session = services.schedule_session(actor, base, args)
    db.session.commit()
    return SessionSchema().dump(session), 201


@bp.get("/api/v1/sessions/<int:session_id>")
@require(roles={"admin", "dept", "base"})
@doc("培训班次详情（含检查结果与提示）", response=SessionSchema, tags=["sessions"], errors=(404,))
def get_session(session_id: int):
    """One session."""
    return SessionSchema().dump(services.get_session_for(current_actor(), session_id))


@bp.get("/api/v1/bases/<int:base_id>/sessions")
@require(roles={"admin", "dept", "base"})
@doc(
    "基地的培训班次",
    response=SessionSchema(many=True),
    tags=["sessions"],
    query={"year": "年度（按结束日期）"},
)
@paged
def list_sessions(base_id: int):
    """A base's sessions, optionally for one year."""
    base = get_base_for(current_actor(), base_id)
    year = query_year()
    sessions = services.list_sessions(base, year, current_page())
    return {"sessions": SessionSchema(many=True).dump(sessions)}


@bp.route("/sessions", methods=["GET", "POST"])
@require_page(roles={"base"})
def sessions_page():
    """A base's sessions and the form that creates one, showing failed checks in words."""
    actor = current_actor()
    base = get_base_for(actor, actor.base_id)
    problem = None
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
        item_id = form_integer(raw.get("plan_item_id", ""))
        raw["plan_item_id"] = item_id if isinstance(item_id, int) and item_id > 0 else None
        try:
            session = services.schedule_session(actor, base, load(SessionArgs(), raw))
            db.session.commit()
            flash(f"已登记培训班次“{session.title}”", "success")
            return redirect(url_for("sessions.sessions_page"))
        except Problem as exc:
            db.session.rollback()
            problem = exc
    year = query_year()
    sessions = services.list_sessions(base)
    plans = filed_plans_by_year(base.id, {s.year for s in sessions} | _nearby_years())
    return render_template(
        "sessions/base.html",
        base=base,
        sessions=services.list_sessions(base, year),
        plans=plans,
        problem=problem,
        form=request.form if problem else {},
    ), (problem.status if problem else 200)


def _nearby_years() -> set[int]:
    from jxjd.common.time import local_today

    this = local_today().year
    return {this - 1, this, this + 1}
