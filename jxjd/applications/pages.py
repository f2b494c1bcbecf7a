"""The Chinese pages: the 申请表 form and the application desk."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
from jxjd.errors import ValidationFailed, field_error
from jxjd.forms import FormErrors, Placer, message_of, place_errors, submit
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


def _place(data: dict[str, Any]) -> Placer:
    """Where each error of the 申请表 goes: beside its input, or at the foot of its table row."""
    specialty_rows = {s.get("name"): i for i, s in enumerate(data.get("specialties") or [])}

    def place(error: Mapping[str, Any]) -> tuple[str, str] | None:
        field = error.get("field") or ""
        if field in SCALAR_FIELDS:
            return field, _UNIT.sub("", SCALAR_FIELDS[field][0])
        match = _ROW_PATH.match(field)
        if match:
            kind, index, column = match.group(1), int(match.group(2)), match.group(3)
            row = f"第{index + 1}{ROW_NOUNS[kind]}"
            label = f"{row}的{COLUMN_LABELS.get(column, column)}" if column else row
            message = message_of(error)
            # A message that already says which row (or which specialty) needs no label.
            if message.startswith(row) or (kind == "specialties" and "专业" in message):
                label = ""
            return f"{kind}-{index}", label
        if error.get("code") == "too_few_teachers" and field in specialty_rows:
            return f"specialties-{specialty_rows[field]}", ""
        return None

    return place


def _render_form(app: Application | None, data: dict[str, Any], errors: FormErrors | None = None):
    return render_template(
        "applications/form.html",
        app=app,
        data=data,
        get=_get_path,
        rows=_rows_for_form(data, app),
        sections=FORM_SECTIONS,
        errors=errors or FormErrors(),
    )


def _save(app: Application | None, data: dict[str, Any]) -> Application:
    actor = current_actor()
    args = load(ApplicationArgs(), data)
    if app is None:
        return services.create_application(actor, args)
    return services.update_application(actor, app, args)


def _save_and_maybe_submit(app: Application | None, data: dict[str, Any]):
    """Save the draft (create or replace), then submit when asked; errors go back to the form.

    A draft that saved but failed the submit check is committed and the browser sent to it
    (post/redirect/get), where the failed conditions are listed: reloading never saves twice.
    """
    submitting = request.form.get("action") == "submit"

    def done(saved: Application):
        if not submitting:
            flash("草稿已保存，可随时继续填写", "success")
            return redirect(url_for("applications.edit_page", application_id=saved.id))
        commit_request()  # the draft is kept even when the submit check fails
        _, problem = attempt(lambda: services.submit_application(current_actor(), saved))
        if problem is not None:
            flash("草稿已保存，但提交检查未通过，请按提示修改后再提交", "error")
            return redirect(url_for("applications.edit_page", application_id=saved.id, check=1))
        flash("申请已提交，等待主管部门推荐", "success")
        return redirect(url_for("applications.detail_page", application_id=saved.id))

    return submit(
        lambda: _save(app, data),
        done=done,
        again=lambda errors: _render_form(app, data, errors),
        place=_place(data),
    )


def _check_errors(app: Application) -> FormErrors:
    """The submit check's failed conditions of a saved draft, placed beside the form's inputs."""
    problems, live_base = services.submission_problems(app)
    if live_base is not None:
        message = f"统一社会信用代码 {live_base.credit_code} 已是省级继续教育基地，不能重复申请"
        problems.insert(0, field_error("duplicate_credit_code", message, field="credit_code"))
    if not problems:
        return FormErrors()
    failed = ValidationFailed(problems, detail=f"申请未通过提交检查，共{len(problems)}项问题")
    data = _values_from(app)
    return place_errors(failed, _place(data))


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
    # After a failed submit (or ?check=1) the saved draft comes with what is still missing.
    errors = _check_errors(app) if request.args.get("check") else None
    return _render_form(app, _values_from(app), errors)


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
    """Run one workflow step from a page form; the message names the application and the step."""
    actor = current_actor()

    def step() -> Application:
        app = services.get_application(actor, application_id)
        action(actor, app)
        return app

    app, problem = attempt(step)
    if app is not None:
        flash(f"“{app.unit_name or f'申请编号 {app.id}'}”的申请{done}", "success")
    elif problem is not None:
        flash("；".join(place_errors(problem, None).summary) or problem.detail, "error")
    return redirect(url_for("applications.detail_page", application_id=application_id))


@bp.post("/applications/<int:application_id>/submit")
@page("application.edit")
def submit_page(application_id: int):
    """Submit a saved draft from its detail page."""
    return _act(application_id, services.submit_application, "已提交，等待主管部门推荐")


@bp.post("/applications/<int:application_id>/recommend")
@page("application.recommend")
def recommend_page(application_id: int):
    """The department's recommendation."""
    form = request.form.to_dict()

    def action(actor: Actor, app: Application) -> None:
        opinion = load(ApplicationRecommendArgs(), form)["opinion"] or ""
        services.recommend_application(actor, app, opinion.strip())

    return _act(application_id, action, "已由主管部门推荐，等待省人社厅评审")


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

    return _act(application_id, action, "已记录一份专家评审意见")


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

    return _act(application_id, action, "已记录实地考察结果")


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
