"""Console pages: the department table, reassignments, a department's review history, a base's
status and specialties, revoking a certificate, spot checks, opening an evaluation round, and
the admin's 待办 board. Each form is small and posts to its own handler, which runs one service
call through `attempt()` and names what was done in the flash message."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.applications.services import get_application, reassign_application_department
from jxjd.auth import current_actor
from jxjd.bases.schemas import SpecialtiesArgs, StatusArgs
from jxjd.bases.services import (
    change_base_status,
    get_base,
    reassign_base_department,
    replace_specialties,
)
from jxjd.certificates.schemas import RevokeArgs
from jxjd.certificates.services import certificate_for, revoke_certificate
from jxjd.common.enums import BASE_STATUSES, SPOT_CHECK_OUTCOMES
from jxjd.common.params import form_integer
from jxjd.common.schema import load
from jxjd.common.time import local_today
from jxjd.console import bp, dashboard, departments
from jxjd.console.schemas import DepartmentArgs, DepartmentUpdateArgs, ReassignArgs
from jxjd.errors import Problem
from jxjd.evaluations.schemas import EvaluationRoundArgs
from jxjd.evaluations.services import open_round
from jxjd.spotchecks.schemas import OutcomeArgs, SpotCheckArgs
from jxjd.spotchecks.services import (
    draw_spot_check,
    get_spot_check,
    list_spot_checks,
    record_outcome,
    reproduce,
)
from jxjd.transactions import attempt
from jxjd.web import page

# The console forms' inputs, as the error messages name them (never the API's field names).
FIELD_LABELS = {
    "status": "新的状态",
    "reason": "原因",
    "year": "年度",
    "size": "抽取班次数",
    "outcome": "抽查结论",
    "findings": "抽查情况",
    "department": "主管部门",
    "code": "编码",
    "name": "名称",
    "active": "是否启用",
    "specialties": "认定专业",
}
_ROW_FIELD = re.compile(r"^specialties\[(\d+)\]\.(name|levels|audiences)(\[\d+\])?$")
_ROW_LABELS = {"name": "专业名称", "levels": "培训层次", "audiences": "培训对象"}


def _field_label(field: str) -> str | None:
    row = _ROW_FIELD.match(field)
    if row:
        return f"第 {int(row.group(1)) + 1} 个专业的{_ROW_LABELS[row.group(2)]}"
    return FIELD_LABELS.get(field)


def _message(error: dict[str, Any]) -> str:
    """An error's message with the form's label in place of the API's field name."""
    message, field = error["message"], error.get("field") or ""
    label = _field_label(field)
    if label and message.startswith(f"{field}："):
        return f"{label}：{message[len(field) + 1 :]}"
    return message


def problem_text(problem: Problem) -> str:
    """A problem as one Chinese sentence for a flash message."""
    messages = [_message(e) for e in problem.errors or []]
    return "；".join(messages) or problem.detail


def act(step: Callable[[], Any], done: Callable[[Any], str], back: str):
    """Run a form's step: flash what was done (or why not) and go back to the page."""
    result, problem = attempt(step)
    if problem is None:
        flash(done(result), "success")
    else:
        flash(problem_text(problem), "error")
    return redirect(back)


# ---- the department table ---------------------------------------------------------------------


@bp.route("/console/departments", methods=["GET", "POST"])
@page("department.manage", performs=("department.read",))
def departments_page():
    """The departments, and the form to add one (errors shown beside it, what was typed kept)."""
    actor = current_actor()
    problem = None
    if request.method == "POST":
        args = request.form.to_dict()
        dept, problem = attempt(
            lambda: departments.create_department(
                actor, **load(DepartmentArgs(), {k: args.get(k, "") for k in ("code", "name")})
            )
        )
        if problem is None:
            flash(f"已新增主管部门“{dept.name}”（编码 {dept.code}）", "success")
            return redirect(url_for("console.departments_page"))
    html = render_template(
        "console/departments.html",
        departments=departments.list_departments(actor),
        problem=problem,
    )
    return html, problem.status if problem else 200


def _update_message(dept: Any, before: tuple[str, bool]) -> str:
    name, active = before
    parts = []
    if dept.name != name:
        parts.append(f"“{name}”已更名为“{dept.name}”")
    if dept.active != active:
        parts.append(f"“{dept.name}”已{'启用' if dept.active else '停用'}")
    return "；".join(parts) or f"“{dept.name}”没有变化"


@bp.post("/console/departments/<code>")
@page("department.manage")
def department_update_page(code: str):
    """Rename a department, or retire or restore it."""
    actor = current_actor()
    form = request.form
    state: dict[str, Any] = {}

    def step():
        dept = departments.get_department(actor, code)
        state["before"] = (dept.name, dept.active)
        data = {"name": form.get("name") or None}
        if form.get("active") in ("0", "1"):
            data["active"] = form["active"] == "1"
        args = load(DepartmentUpdateArgs(), data)
        return departments.update_department(actor, dept, name=args["name"], active=args["active"])

    return act(
        step,
        lambda dept: _update_message(dept, state["before"]),
        url_for("console.departments_page"),
    )


# ---- reassigning ------------------------------------------------------------------------------


def _reassign_args() -> dict[str, Any]:
    form = request.form
    return load(
        ReassignArgs(), {"department": form.get("department", ""), "reason": form.get("reason", "")}
    )


@bp.post("/console/bases/<int:base_id>/department")
@page("department.reassign")
def base_department_page(base_id: int):
    """Move a base to another department (from the base's page)."""
    actor = current_actor()
    return act(
        lambda: reassign_base_department(actor, get_base(actor, base_id), **_reassign_args()),
        lambda base: f"已将“{base.name}”的主管部门调整为“{base.department}”",
        url_for("bases.base_page", base_id=base_id),
    )


@bp.post("/console/applications/<int:application_id>/department")
@page("department.reassign")
def application_department_page(application_id: int):
    """Move an application under way to another department (from the application's page)."""
    actor = current_actor()
    return act(
        lambda: reassign_application_department(
            actor, get_application(actor, application_id), **_reassign_args()
        ),
        lambda app: f"已将申请 {app.id}（{app.unit_name}）的主管部门调整为“{app.department}”",
        url_for("applications.application_page", application_id=application_id),
    )


# ---- what a department reviewed ---------------------------------------------------------------


@bp.get("/console/reviewed")
@page("department.history")
def history_page():
    """A department's plan reviews and recommendations (admin picks the department)."""
    actor = current_actor()
    chosen = request.args.get("department") or None
    history, problem = None, None
    if actor.department or chosen:
        history, problem = attempt(lambda: departments.review_history(actor, chosen))
    html = render_template(
        "console/history.html",
        history=history,
        problem=problem,
        chosen=chosen,
        departments=[] if actor.department else departments.list_departments(actor),
    )
    return html, problem.status if problem else 200


# ---- a base's status and specialties (from the base's page) ------------------------------------


@bp.post("/console/bases/<int:base_id>/status")
@page("base.status")
def base_status_page(base_id: int):
    """Put a base into rectification, revoke it, or restore it, with the reason."""
    actor = current_actor()
    args = request.form

    def step():
        data = load(
            StatusArgs(), {"status": args.get("status", ""), "reason": args.get("reason", "")}
        )
        return change_base_status(actor, get_base(actor, base_id), **data)

    return act(
        step,
        lambda base: f"“{base.name}”已变更为“{BASE_STATUSES[base.status]}”",
        url_for("bases.base_page", base_id=base_id),
    )


def specialties_from_form(form: Any) -> list[dict[str, Any]]:
    """The specialty rows of the form (rows with no name are dropped: that removes them)."""
    rows, count = [], form.get("rows", "")
    for i in range(min(int(count), 60) if count.isdigit() else 0):
        name = form.get(f"s-{i}-name", "").strip()
        if name:
            rows.append(
                {
                    "name": name,
                    "levels": form.getlist(f"s-{i}-levels"),
                    "audiences": form.getlist(f"s-{i}-audiences"),
                }
            )
    return rows


@bp.post("/console/bases/<int:base_id>/specialties")
@page("base.specialties")
def base_specialties_page(base_id: int):
    """Replace a base's recognized specialties from the page's rows."""
    actor = current_actor()

    def step():
        data = load(SpecialtiesArgs(), {"specialties": specialties_from_form(request.form)})
        return replace_specialties(actor, get_base(actor, base_id), data["specialties"])

    return act(
        step,
        lambda base: (
            f"“{base.name}”的认定专业已更新为：{'、'.join(s.name for s in base.specialties)}"
        ),
        url_for("bases.base_page", base_id=base_id),
    )


# ---- the 待办 board ----------------------------------------------------------------------------


@bp.get("/console")
@page("console.dashboard")
def dashboard_page():
    """What waits on the province: plans, applications by step, notices, bases, certificates."""
    return render_template("console/dashboard.html", todo=dashboard.todo(current_actor()))


# ---- revoking a certificate -------------------------------------------------------------------


@bp.get("/console/certificates")
@page("certificate.revoke")
def certificates_page():
    """Find a certificate by its serial, then revoke it with a reason."""
    actor = current_actor()
    serial = (request.args.get("serial") or "").strip()
    cert, problem = (None, None)
    if serial:
        cert, problem = attempt(lambda: certificate_for(actor, serial))
    html = render_template("console/certificates.html", serial=serial, cert=cert, problem=problem)
    return html, problem.status if problem else 200


@bp.post("/console/certificates/<serial>/revoke")
@page("certificate.revoke")
def certificate_revoke_page(serial: str):
    """Revoke one certificate; the verify page shows 已撤销 with the reason from then on."""
    actor = current_actor()

    def step():
        args = load(RevokeArgs(), {"reason": request.form.get("reason", "")})
        return revoke_certificate(
            actor, certificate_for(actor, serial, "certificate.revoke"), **args
        )

    return act(
        step,
        lambda cert: f"证书 {cert.serial}（{cert.payload.get('name', '')}）已撤销，其学时不再计入",
        url_for("console.certificates_page", serial=serial),
    )


# ---- spot checks ------------------------------------------------------------------------------


@bp.route("/console/spot-checks", methods=["GET", "POST"])
@page("spot_check.manage")
def spot_checks_page():
    """Every draw, newest first, and the form to draw sessions of a year."""
    actor = current_actor()
    problem = None
    if request.method == "POST":
        form = request.form
        data = {
            "year": form_integer(form.get("year", "")),
            "size": form_integer(form.get("size", "")),
        }
        check, problem = attempt(lambda: draw_spot_check(actor, **load(SpotCheckArgs(), data)))
        if problem is None:
            flash(
                f"已从 {check.year} 年度 {check.population_size} 个班次中抽取 {len(check.items)} 个",
                "success",
            )
            return redirect(url_for("console.spot_check_page", check_id=check.id))
    html = render_template(
        "console/spot_checks.html",
        checks=list_spot_checks(),
        problem=problem,
        year=local_today().year,
    )
    return html, problem.status if problem else 200


@bp.get("/console/spot-checks/<int:check_id>")
@page("spot_check.manage")
def spot_check_page(check_id: int):
    """One draw: its sessions and the inspection outcome of each."""
    check = get_spot_check(check_id)
    return render_template(
        "console/spot_check.html", check=check, outcomes=SPOT_CHECK_OUTCOMES, again=reproduce(check)
    )


@bp.post("/console/spot-checks/<int:check_id>/items/<int:session_id>")
@page("spot_check.manage")
def spot_check_outcome_page(check_id: int, session_id: int):
    """Record what the inspection of one sampled session found."""
    actor = current_actor()

    def step():
        form = request.form
        args = load(
            OutcomeArgs(),
            {"outcome": form.get("outcome", ""), "findings": form.get("findings", "")},
        )
        return record_outcome(actor, get_spot_check(check_id), session_id, **args)

    return act(
        step,
        lambda item: (
            f"班次“{item.session.title}”的抽查结果已记为“{SPOT_CHECK_OUTCOMES[item.outcome]}”"
        ),
        url_for("console.spot_check_page", check_id=check_id),
    )


# ---- evaluation rounds ------------------------------------------------------------------------


@bp.post("/console/evaluation-rounds")
@page("evaluation.open")
def evaluation_round_page():
    """Open the evaluation round of a year from the evaluations page."""
    actor = current_actor()
    form = request.form
    data = {"year": form_integer(form.get("year", "")), "name": form.get("name") or None}
    rnd, problem = attempt(lambda: open_round(actor, **load(EvaluationRoundArgs(), data)))
    if problem is not None:
        flash(problem_text(problem), "error")
        return redirect(url_for("evaluations.evaluations_page"))
    flash(f"已开展“{rnd.name}”，纳入 {len(rnd.evaluations)} 个基地", "success")
    return redirect(url_for("evaluations.round_page", round_id=rnd.id))
