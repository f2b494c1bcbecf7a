"""The Chinese pages: the 申请表 form and the application desk."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from jxjd.access import can
from jxjd.applications import bp, services
from jxjd.applications.models import APPLICATION_STATUSES, EDUCATIONS, TITLES, Application
from jxjd.applications.schemas import (
    ApplicationArgs,
    ApplicationRecommendArgs,
    ApplicationRejectArgs,
    ApplicationSchema,
    ApplicationSiteVisitArgs,
    ExpertReviewArgs,
    PublicNoticeArgs,
)
from jxjd.auth import Actor, current_actor
from jxjd.bases.changes import list_changes_for
from jxjd.common.params import form_integer
from jxjd.common.schema import load
from jxjd.common.time import local_today
from jxjd.departments.services import active_departments
from jxjd.errors import Problem, field_error
from jxjd.extensions import db
from jxjd.transactions import attempt, commit_request
from jxjd.web import page

# The 申请表's single-value fields, by section: (input name = JSON path, label, kind).
FORM_SECTIONS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "申报单位",
        [
            ("unit_name", "单位名称", "text"),
            ("credit_code", "统一社会信用代码", "text"),
            ("department", "主管部门", "department"),
            ("address", "单位地址", "text"),
            ("postcode", "邮编", "text"),
            ("email", "E-mail", "email"),
        ],
    ),
    (
        "负责人与联系人",
        [
            ("leader.name", "负责人姓名", "text"),
            ("leader.position", "负责人职务", "text"),
            ("leader.phone", "负责人电话", "tel"),
            ("contact.name", "联系人姓名", "text"),
            ("contact.position", "联系人职务", "text"),
            ("contact.phone", "联系人电话", "tel"),
        ],
    ),
    (
        "培训规模",
        [
            ("capacity.concurrent_trainees", "可同时容纳培训人数（人）", "int"),
            ("capacity.yearly_trainees", "每年培训人数（人）", "int"),
        ],
    ),
    (
        "教学场地及设施",
        [
            ("facilities.land_area_m2", "占地面积（㎡）", "area"),
            ("facilities.building_area_m2", "建筑面积（㎡）", "area"),
            ("facilities.practice_area_m2", "实训场地（㎡）", "area"),
            ("facilities.classrooms.count", "普通教室（间）", "int"),
            ("facilities.classrooms.area_m2", "普通教室面积（㎡）", "area"),
            ("facilities.multimedia_rooms.count", "多功能教室（间）", "int"),
            ("facilities.multimedia_rooms.area_m2", "多功能教室面积（㎡）", "area"),
            ("facilities.network_center_m2", "网络学习中心（㎡）", "area"),
            ("facilities.halls.count", "礼堂（会议室）（间）", "int"),
            ("facilities.halls.area_m2", "礼堂（会议室）面积（㎡）", "area"),
            ("facilities.canteen_capacity", "餐厅容纳（人）", "int"),
            ("facilities.dorm_capacity", "宿舍容纳（人）", "int"),
            ("facilities.other", "其它教学设施设备", "textarea"),
        ],
    ),
    (
        "人员情况",
        [
            ("staff.authorized", "定编人数（人）", "int"),
            ("staff.current", "现有人数（人）", "int"),
            ("staff.managers", "管理人员（人）", "int"),
            ("staff.full_time_teachers", "专职教师（人）", "int"),
            ("staff.full_time_senior", "其中高级职称（人）", "int"),
            ("staff.full_time_intermediate", "其中中级职称（人）", "int"),
            ("staff.part_time_teachers", "兼职教师（人）", "int"),
            ("staff.part_time_senior", "其中高级职称（人）", "int"),
            ("staff.part_time_intermediate", "其中中级职称（人）", "int"),
            ("staff.others", "其他人员（人）", "int"),
        ],
    ),
]
SCALAR_FIELDS = {name: (label, kind) for _, items in FORM_SECTIONS for name, label, kind in items}
ROW_FIELDS = {
    "managers": ("name", "position", "duties", "phone"),
    "teachers": (
        "id",
        "name",
        "id_number",
        "education",
        "graduated_from",
        "major",
        "graduated_year",
        "title",
        "full_time",
        "subjects",
        "years_teaching",
        "specialties",
    ),
    "specialties": ("name", "levels", "audiences"),
}
_ROW_KEY = re.compile(r"^(managers|teachers|specialties)-([0-9]{1,6})-(\w+)$")
_ROW_FIELD = re.compile(r"^(managers|teachers|specialties)\[(\d+)\]")
_UNIT = re.compile(r"（[^）]*）$")  # "占地面积（㎡）" → "占地面积"
_SPLIT = re.compile(r"[、,，;；\s]+")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "application_statuses": APPLICATION_STATUSES,
        "educations": EDUCATIONS,
        "titles": TITLES,
        "action_labels": services.ACTION_LABELS,
        "department_options": active_departments,
    }


# ---- the form ↔ the JSON shape --------------------------------------------------------------


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data.setdefault(key, {})
    data[last] = value


def _get_path(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(raw: str) -> Any:
    """A form number: blank → not filled; digits → int; anything else is left to the schema."""
    raw = raw.strip()
    if not raw:
        return None
    return form_integer(raw)


def form_to_data(form: MultiDict) -> dict[str, Any]:
    """The posted form as the API's JSON shape (blank rows dropped)."""
    data: dict[str, Any] = {}
    for name, (_, kind) in SCALAR_FIELDS.items():
        raw = form.get(name, "")
        if kind == "int":
            value: Any = _number(raw)
        elif kind == "area":
            value = raw.strip() or None
        else:
            value = raw
        _set_path(data, name, value)
    rows: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in ROW_FIELDS}
    for key in form.keys():
        match = _ROW_KEY.match(key)
        if not match or match.group(3) not in ROW_FIELDS[match.group(1)]:
            continue
        kind, index, field = match.group(1), int(match.group(2)), match.group(3)
        row = rows[kind].setdefault(index, {})
        if field in ("levels", "audiences"):
            row[field] = form.getlist(key)
        elif field == "specialties":
            row[field] = [s for s in _SPLIT.split(form.get(key, "")) if s]
        elif field in ("graduated_year", "years_teaching", "id"):
            row[field] = _number(form.get(key, ""))
        elif field == "full_time":
            row[field] = {"1": True, "0": False}.get(form.get(key, ""))
        elif field in ("education", "title"):
            row[field] = form.get(key) or None
        elif field == "id_number":
            row[field] = form.get(key, "").strip() or None  # blank: keep the saved number
        else:
            row[field] = form.get(key, "")
    for kind, by_index in rows.items():
        data[kind] = [
            row
            for _, row in sorted(by_index.items())
            if any(v not in (None, "", []) for k, v in row.items() if k != "id")
        ]
    return data


def _values_from(app: Application) -> dict[str, Any]:
    """A saved application in the form's shape (teachers with their masked ID)."""
    return ApplicationSchema().dump(app)


def _rows_for_form(data: dict[str, Any], app: Application | None) -> dict[str, list[dict]]:
    masked = {t.id: t.id_masked for t in app.teachers} if app is not None else {}
    teachers = []
    for t in data.get("teachers") or []:
        t = dict(t)
        t.setdefault("id_masked", masked.get(t.get("id") or 0, ""))
        teachers.append(t)
    return {
        "managers": data.get("managers") or [],
        "teachers": teachers,
        "specialties": data.get("specialties") or [],
    }


ROW_NOUNS = {"managers": "位管理人员", "teachers": "位教师", "specialties": "个专业"}
COLUMN_LABELS = {
    "name": "姓名",
    "position": "职务",
    "duties": "分管工作",
    "phone": "联系电话",
    "id_number": "身份证号",
    "education": "学历",
    "graduated_from": "毕业学校",
    "major": "所学专业",
    "graduated_year": "毕业年份",
    "title": "职称",
    "full_time": "专职/兼职",
    "subjects": "现任课程",
    "years_teaching": "任课年限",
    "specialties": "任教专业",
    "levels": "培训层次",
    "audiences": "培训对象",
}
_ROW_PATH = re.compile(r"^(managers|teachers|specialties)\[(\d+)\](?:\.(\w+))?")


def error_text(error: dict[str, Any]) -> str:
    """One error as a plain Chinese sentence that says where it is."""
    field, message = error.get("field") or "", error["message"]
    if field and message.startswith(f"{field}："):
        message = message[len(field) + 1 :]
    if not field:
        return message
    if field in SCALAR_FIELDS:
        where = SCALAR_FIELDS[field][0]
        return message if _UNIT.sub("", where) in message else f"{where}：{message}"
    match = _ROW_PATH.match(field)
    if match:
        kind, index, column = match.group(1), int(match.group(2)), match.group(3)
        row = f"第{index + 1}{ROW_NOUNS[kind]}"
        if message.startswith(row):
            return message
        if kind == "specialties" and column == "name" and "专业" in message:
            return message
        return f"{row}的{COLUMN_LABELS.get(column, column)}：{message}" if column else message
    return message


def _placed_errors(
    errors: list[dict[str, Any]], data: dict[str, Any]
) -> tuple[dict[str, list[str]], dict[tuple[str, int], list[str]]]:
    """Errors placed next to their input: by field name, or by table row."""
    by_field: dict[str, list[str]] = {}
    by_row: dict[tuple[str, int], list[str]] = {}
    specialty_rows = {s.get("name"): i for i, s in enumerate(data.get("specialties") or [])}
    for e in errors:
        field = e.get("field") or ""
        match = _ROW_FIELD.match(field)
        if match:
            by_row.setdefault((match.group(1), int(match.group(2))), []).append(e["text"])
        elif field in SCALAR_FIELDS:
            by_field.setdefault(field, []).append(e["text"])
        elif e["code"] == "too_few_teachers" and field in specialty_rows:
            by_row.setdefault(("specialties", specialty_rows[field]), []).append(e["text"])
    return by_field, by_row


def _render_form(
    app: Application | None,
    data: dict[str, Any],
    errors: list[dict[str, Any]] | None = None,
    problem: Problem | None = None,
    status: int = 200,
):
    errors = [dict(e, text=error_text(e)) for e in errors or []]
    by_field, by_row = _placed_errors(errors, data)
    html = render_template(
        "applications/form.html",
        app=app,
        data=data,
        get=_get_path,
        rows=_rows_for_form(data, app),
        sections=FORM_SECTIONS,
        errors=errors,
        problem=problem,
        by_field=by_field,
        by_row=by_row,
    )
    return html, status


def _problem_errors(problem: Problem) -> list[dict[str, Any]]:
    if problem.errors:
        return [dict(e) for e in problem.errors]
    return [field_error(problem.code, problem.detail)]


def _save(app: Application | None, data: dict[str, Any]) -> Application:
    actor = current_actor()
    args = load(ApplicationArgs(), data)
    if app is None:
        return services.create_application(actor, args)
    return services.update_application(actor, app, args)


def _save_and_maybe_submit(app: Application | None, data: dict[str, Any]):
    """Save the draft (create or replace), then submit when asked; errors go back to the form."""
    saved, problem = attempt(lambda: _save(app, data))
    if problem is not None:
        return _render_form(app, data, _problem_errors(problem), problem, problem.status)
    assert saved is not None  # no problem: the draft was saved
    if request.form.get("action") != "submit":
        flash("草稿已保存，可随时继续填写", "success")
        return redirect(url_for("applications.edit_page", application_id=saved.id))
    # The draft is kept even when the submit check fails: it is committed first.
    commit_request()
    _, problem = attempt(lambda: services.submit_application(current_actor(), saved))
    if problem is not None:
        app = db.session.get_one(Application, saved.id)
        flash("草稿已保存，但提交检查未通过，请按提示修改后再提交", "error")
        # The saved draft, not the posted form: its teacher rows carry the new row ids and the
        # masked ID numbers, so numbers left blank on the next submit are kept, not lost.
        return _render_form(
            app, _values_from(app), _problem_errors(problem), problem, problem.status
        )
    flash("申请已提交，等待主管部门推荐", "success")
    return redirect(url_for("applications.detail_page", application_id=saved.id))


# ---- pages for applicants, departments and the HR department ---------------------------------


@bp.get("/applications")
@page("application.desk")
def applications_page():
    """The desk: one's applications (applicant) or those to handle (dept, admin)."""
    actor = current_actor()
    if not can(actor, "application.read"):  # a base files changes, not applications
        return redirect(url_for("bases.base_changes_page", base_id=actor.base_id))
    status = request.args.get("status") or None
    apps = services.list_applications_for(actor, status=status)
    pending = 0
    if can(actor, "base_change.desk"):
        pending = len(list_changes_for(actor, status="pending", action="base_change.desk"))
    return render_template(
        "applications/list.html", apps=apps, status=status, pending_changes=pending
    )


@bp.route("/applications/new", methods=["GET", "POST"])
@page("application.create")
def new_page():
    """An empty 申请表 (the applicant's credit code filled in)."""
    if request.method == "POST":
        return _save_and_maybe_submit(None, form_to_data(request.form))
    data = {"credit_code": current_actor().credit_code, "teachers": [], "specialties": []}
    return _render_form(None, data)


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@page("application.edit")
def edit_page(application_id: int):
    """The saved draft in the form, to continue, save again or submit."""
    app = services.get_application(current_actor(), application_id)
    if app.status != "draft":
        flash("申请已提交，不能再修改", "error")
        return redirect(url_for("applications.detail_page", application_id=app.id))
    if request.method == "POST":
        return _save_and_maybe_submit(app, form_to_data(request.form))
    return _render_form(app, _values_from(app))


@bp.get("/applications/<int:application_id>")
@page("application.read")
def detail_page(application_id: int):
    """The whole application, its history, and the actions open to the viewer."""
    actor = current_actor()
    app = services.get_application(actor, application_id)
    problems: list[dict[str, Any]] = []
    if app.status == "draft" and can(actor, "application.edit", app):
        problems, live_base = services.submission_problems(app)
        if live_base is not None:
            message = f"统一社会信用代码 {live_base.credit_code} 已是省级继续教育基地，不能重复申请"
            problems.insert(0, field_error("duplicate_credit_code", message, field="credit_code"))
    return render_template(
        "applications/detail.html",
        app=app,
        view=_values_from(app),
        problems=problems,
        today=local_today(),
    )


def _act(application_id: int, action: Callable[[Actor, Application], Any], done: str):
    """Run one workflow step from a page form; a problem comes back as a message."""
    actor = current_actor()
    _, problem = attempt(lambda: action(actor, services.get_application(actor, application_id)))
    if problem is None:
        flash(done, "success")
    else:
        messages = [e["message"] for e in problem.errors or []] or [problem.detail]
        flash("；".join(messages), "error")
    return redirect(url_for("applications.detail_page", application_id=application_id))


@bp.post("/applications/<int:application_id>/submit")
@page("application.edit")
def submit_page(application_id: int):
    """Submit a saved draft from its detail page."""
    return _act(application_id, services.submit_application, "申请已提交，等待主管部门推荐")


@bp.post("/applications/<int:application_id>/recommend")
@page("application.recommend")
def recommend_page(application_id: int):
    """The department's recommendation."""
    form = request.form.to_dict()

    def action(actor: Actor, app: Application) -> None:
        opinion = load(ApplicationRecommendArgs(), form)["opinion"] or ""
        services.recommend_application(actor, app, opinion.strip())

    return _act(application_id, action, "已推荐")


@bp.post("/applications/<int:application_id>/review")
@page("application.decide")
def review_page(application_id: int):
    """One expert review."""
    form = request.form.to_dict()
    form["score"] = _number(form.get("score", ""))

    def action(actor: Actor, app: Application) -> None:
        args = load(ExpertReviewArgs(), form)
        services.add_review(
            actor, app, reviewer=args["reviewer"], score=args["score"], opinion=args["opinion"]
        )

    return _act(application_id, action, "评审意见已记录")


@bp.post("/applications/<int:application_id>/site-visit")
@page("application.decide")
def site_visit_page(application_id: int):
    """A site visit's result."""
    form: dict[str, Any] = request.form.to_dict()
    form["passed"] = form.get("passed") == "1"

    def action(actor: Actor, app: Application) -> None:
        args = load(ApplicationSiteVisitArgs(), form)
        services.record_site_visit(
            actor, app, visited_on=args["date"], findings=args["findings"], passed=args["passed"]
        )

    return _act(application_id, action, "实地考察结果已记录")


@bp.post("/applications/<int:application_id>/notice")
@page("application.decide")
def notice_page(application_id: int):
    """Start the public notice."""
    form: dict[str, Any] = request.form.to_dict()
    form["days"] = _number(form.get("days", ""))
    form["start_date"] = form.get("start_date") or None

    def action(actor: Actor, app: Application) -> None:
        args = load(PublicNoticeArgs(), form)
        services.start_notice(actor, app, days=args["days"], start_date=args["start_date"])

    return _act(application_id, action, "已开始公示")


@bp.post("/applications/<int:application_id>/recognize")
@page("application.decide")
def recognize_page(application_id: int):
    """Recognize after the notice."""
    return _act(application_id, services.recognize_application, "已认定为省级继续教育基地")


@bp.post("/applications/<int:application_id>/reject")
@page("application.decide")
def reject_page(application_id: int):
    """Refuse the application."""
    form = request.form.to_dict()

    def action(actor: Actor, app: Application) -> None:
        services.reject_application(actor, app, load(ApplicationRejectArgs(), form)["reason"])

    return _act(application_id, action, "已作不予认定处理")
