"""CONTRACT §5 endpoints and the session pages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor
from jxjd.bases.services import get_base
from jxjd.common.paging import current_page, paged
from jxjd.common.params import form_integer, query_year
from jxjd.common.schema import load
from jxjd.common.time import local_today
from jxjd.forms import FormErrors, submit, typed
from jxjd.openapi import Body, doc
from jxjd.plans.services import filed_plans_by_year
from jxjd.sessions import bp, services
from jxjd.sessions.schemas import SessionArgs, SessionSchema
from jxjd.web import page


@bp.post("/api/v1/bases/<int:base_id>/sessions")
@doc(
    "登记培训班次（先检查范围与备案计划，任何一项不通过都不保存）",
    action="session.create",
    body=SessionArgs,
    response=SessionSchema,
    status=201,
    errors=(404, 422),
)
def create_session(base_id: int, args: Body):
    """Create a session after every check passes."""
    actor = current_actor()
    return services.schedule_session(actor, get_base(actor, base_id), dict(args))


@bp.get("/api/v1/sessions/<int:session_id>")
@doc(
    "培训班次详情（含检查结果与提示）", action="session.read", response=SessionSchema, errors=(404,)
)
def get_session(session_id: int):
    """One session."""
    return services.get_session(current_actor(), session_id)


@bp.get("/api/v1/bases/<int:base_id>/sessions")
@paged
@doc(
    "基地的培训班次",
    action="session.read",
    response=SessionSchema(many=True),
    listed_as="sessions",
    query={"year": "年度（按结束日期）"},
)
def list_sessions(base_id: int):
    """A base's sessions, optionally for one year."""
    return services.list_sessions(get_base(current_actor(), base_id), query_year(), current_page())


def _form_session() -> dict:
    raw: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    item_id = form_integer(raw.get("plan_item_id", ""))
    raw["plan_item_id"] = item_id if isinstance(item_id, int) and item_id > 0 else None
    return load(SessionArgs(), raw)


SESSION_LABELS = {
    "plan_item_id": "所属计划项目",
    "title": "班次名称",
    "specialty": "专业",
    "category": "科目类别",
    "level": "培训层次",
    "audience": "培训对象",
    "form": "培训形式",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "hours": "学时",
    "location": "地点",
}


def _sessions_html(base, errors: FormErrors | None) -> str:
    year = query_year()
    sessions = services.list_sessions(base)
    plans = filed_plans_by_year(base.id, {s.year for s in sessions} | _nearby_years())
    return render_template(
        "sessions/base.html",
        base=base,
        sessions=services.list_sessions(base, year),
        plans=plans,
        errors=errors or FormErrors(),
        form=typed(keys=SESSION_LABELS),
    )


@bp.route("/sessions", methods=["GET", "POST"])
@page("base.desk", performs=("session.create",))
def sessions_page():
    """A base's sessions and the form that creates one, showing failed checks in words."""
    actor = current_actor()
    base = get_base(actor, actor.base_id)
    if request.method == "GET":
        return _sessions_html(base, None)

    def done(session):
        flash(f"已登记培训班次“{session.title}”", "success")
        return redirect(url_for("sessions.sessions_page"))

    return submit(
        lambda: services.schedule_session(actor, base, _form_session()),
        done=done,
        again=lambda errors: _sessions_html(base, errors),
        place=SESSION_LABELS,
    )


def _nearby_years() -> set[int]:
    this = local_today().year
    return {this - 1, this, this + 1}
