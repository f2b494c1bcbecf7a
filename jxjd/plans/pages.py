"""The plan pages: a base's plans and the plan editor; the plans a department or admin acts on.

The editor keeps any number of item rows. Without script, "添加一项" / "删除此项" / "复制上一年度"
/ "导入" are submit buttons that come back with the rows changed (nothing saved); with script
(static/app.js) rows are added and removed in place. Saving goes through the page/form layer
(jxjd/forms.py): the draft is saved and the browser redirected, or the editor comes back with
every typed value and each error beside its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.access import can
from jxjd.auth import current_actor
from jxjd.bases.models import Base
from jxjd.bases.services import get_base
from jxjd.common.params import form_integer
from jxjd.common.schema import load
from jxjd.common.text import check_text
from jxjd.common.time import local_today
from jxjd.common.types import hours_json
from jxjd.common.xlsx import xlsx_response
from jxjd.errors import NotFound, Problem, ValidationFailed, field_error
from jxjd.forms import FormErrors, Typed, place_errors, submit
from jxjd.plans import bp, importing, services
from jxjd.plans.models import Plan
from jxjd.plans.schemas import MAX_ITEMS, PlanArgs, PlanItemsArgs
from jxjd.transactions import attempt
from jxjd.web import page

ITEM_LABELS = {key: header for key, header, _ in importing.COLUMNS}
ITEM_FIELDS = tuple(ITEM_LABELS)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # a 500-row template is a few dozen KB

Rows = list[dict[str, str]]


@bp.get("/plans")
@page("plan.read")
def plans_page():
    """A base sees its plans; a department the plans to review; admin the plans to file."""
    actor = current_actor()
    if can(actor, "base.desk"):
        base = get_base(actor, actor.base_id)
        return render_template(
            "plans/base.html",
            base=base,
            plans=services.list_plans(base),
            next_year=local_today().year + 1,
        )
    return render_template("plans/waiting.html", plans=services.plans_waiting_for(actor))


# ---- the editor: rows as typed ↔ the API's items -------------------------------------------


def _posted_rows() -> Rows:
    """The item rows of the posted form, in order, renumbered (rows removed by script are gone)."""
    form = request.form
    count = form_integer(form.get("rows", "0"))
    count = min(count, MAX_ITEMS) if isinstance(count, int) else 0
    return [
        {key: form.get(f"{key}_{i}", "") for key in ITEM_FIELDS}
        for i in range(count)
        if any(f"{key}_{i}" in form for key in ITEM_FIELDS)
    ]


def _is_blank(row: dict[str, str]) -> bool:
    return not any(row[k].strip() for k in ("title", "sessions", "trainees", "hours"))


def _items(rows: Rows) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled rows as the API's items, and each item's row (blank rows are skipped)."""
    items, where = [], []
    for index, row in enumerate(rows):
        if _is_blank(row):
            continue
        item: dict[str, Any] = dict(row)
        for key in ("sessions", "trainees"):
            item[key] = form_integer(row[key]) if row[key].strip() else None
        item["hours"] = row["hours"].strip() or None
        items.append(item)
        where.append(index)
    return items, where


def _placer(where: list[int]):
    """Errors of items[k].field go beside that row's input; the year beside the year."""

    def place(error: Mapping[str, Any]) -> tuple[str, str] | None:
        path = error.get("field") or ""
        if path == "year":
            return "year", "年度"
        if path == "items_file":
            return "items_file", "导入文件"
        if path.startswith("items[") and "]." in path:
            index, key = path[len("items[") :].split("].", 1)
            if index.isdigit() and int(index) < len(where) and key in ITEM_LABELS:
                row = where[int(index)]
                return f"{key}_{row}", f"第 {row + 1} 项的{ITEM_LABELS[key]}"
        return None

    return place


def _rows_of(plan: Plan) -> Rows:
    return [
        {
            **{key: str(getattr(item, key)) for key in ITEM_FIELDS},
            "hours": str(hours_json(item.hours)),
        }
        for item in plan.items
    ]


def _editor(base: Base, plan: Plan | None, year: str, rows: Rows, errors: FormErrors | None):
    """The editor page with these rows (at least one) as typed."""
    rows = rows or [importing.blank_item()]
    values = {f"{key}_{i}": row.get(key, "") for i, row in enumerate(rows) for key in ITEM_FIELDS}
    typed = Typed(None, {"year": year, **values})
    specialties = [s.name for s in base.specialties]
    for row in rows:  # a copied or typed specialty the base lost stays visible, with its error
        if row.get("specialty") and row["specialty"] not in specialties:
            specialties.append(row["specialty"])
    return render_template(
        "plans/edit.html",
        base=base,
        plan=plan,
        rows=rows,
        typed=typed,
        errors=errors or FormErrors(),
        specialty_options=[(name, name) for name in specialties],
        typed_blank=Typed(),
        errors_blank=FormErrors(),
        max_items=MAX_ITEMS,
    )


def _changed_rows(action: str, base: Base, year: str, rows: Rows) -> Rows:
    """The rows after an editing button (no saving): add, remove, copy last year, import."""
    filled = [row for row in rows if not _is_blank(row)]
    if action == "add":
        return rows + [importing.blank_item()]
    if action.startswith("remove-"):
        index = form_integer(action[len("remove-") :])
        return [row for i, row in enumerate(rows) if i != index]
    if action == "copy":
        number = form_integer(year)
        if not isinstance(number, int):
            raise ValidationFailed(
                [field_error("invalid_year", "请先填写要新建计划的年度", field="year")]
            )
        source = services.plan_to_copy(current_actor(), base, number - 1)
        flash(f"已复制 {source.year} 年度计划的 {len(source.items)} 个项目，请核对后保存", "info")
        return filled + _rows_of(source)
    if action == "import":
        upload = request.files.get("items_file")
        data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
        if not data:
            raise ValidationFailed(
                [field_error("no_file", "请选择按模板填写的 .xlsx 文件", field="items_file")]
            )
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValidationFailed(
                [
                    field_error(
                        "file_too_large", "文件超过 2 MB，请只保留计划项目", field="items_file"
                    )
                ]
            )
        imported = importing.read_items(data)
        flash(f"已从模板导入 {len(imported)} 个项目，请核对后保存", "info")
        return filled + imported
    raise NotFound("未知操作")


def _edit(base: Base, plan: Plan | None):
    """One press of a button in the editor: change the rows, or save (and maybe submit)."""
    actor = current_actor()
    rows = _posted_rows()
    year = request.form.get("year", "") if plan is None else str(plan.year)
    action = request.form.get("action", "save")
    if action not in ("save", "submit"):
        changed, problem = attempt(lambda: _changed_rows(action, base, year, rows))
        if problem is not None:
            errors = place_errors(problem, _placer([]))
            return _editor(base, plan, year, rows, errors), problem.status
        return _editor(base, plan, year, changed or [], None)
    items, where = _items(rows)

    def save() -> Plan:
        if plan is None:
            data = load(PlanArgs(), {"year": form_integer(year) if year else None, "items": items})
            saved = services.create_plan(actor, base, data["year"], data["items"])
        else:
            data = load(PlanItemsArgs(), {"items": items})
            saved = services.update_plan(actor, plan, data["items"])
        if action == "submit":
            services.submit_plan(actor, saved)
        return saved

    def done(saved: Plan):
        what = "已保存并提交主管部门审核" if action == "submit" else "已保存草稿"
        flash(
            f"{saved.year} 年度计划（第 {saved.version} 版，{len(saved.items)} 个项目）{what}",
            "success",
        )
        return redirect(url_for("plans.plans_page"))

    return submit(
        save,
        done=done,
        again=lambda errors: _editor(base, plan, year, rows, errors),
        place=_placer(where),
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@page("base.desk", performs=("plan.create", "plan.submit"))
def new_plan_page():
    """The editor for a new plan; `?year=2028&copy=1` starts from the year before's items."""
    actor = current_actor()
    base = get_base(actor, actor.base_id)
    if request.method == "POST":
        return _edit(base, None)
    year = request.args.get("year") or str(local_today().year + 1)
    if request.args.get("copy"):
        number = form_integer(year)
        source, problem = attempt(
            lambda: services.plan_to_copy(actor, base, number - 1 if isinstance(number, int) else 0)
        )
        if problem is not None:
            return _editor(base, None, year, [], place_errors(problem, _placer([]))), 422
        return _editor(base, None, year, _rows_of(source), None)
    return _editor(base, None, year, [], None)


def _editable(plan_id: int, action: str) -> Plan | None:
    plan = services.get_plan(current_actor(), plan_id, action)
    if plan.status in ("draft", "returned"):
        return plan
    flash(f"{plan.year} 年度计划（第 {plan.version} 版）已提交或备案，不能再修改", "error")
    return None


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@page("base.desk", performs=("plan.update", "plan.submit"))
def edit_plan_page(plan_id: int):
    """A draft or returned version in the editor, with the department's opinion beside it."""
    plan = _editable(plan_id, "plan.update")
    if plan is None:
        return redirect(url_for("plans.plans_page"))
    base = get_base(current_actor(), plan.base_id)
    if request.method == "POST":
        return _edit(base, plan)
    return _editor(base, plan, str(plan.year), _rows_of(plan), None)


@bp.post("/plans/<int:plan_id>/delete")
@page("base.desk", performs=("plan.delete",))
def delete_plan_page(plan_id: int):
    """Delete a draft or returned version."""
    actor = current_actor()

    def delete() -> str:
        plan = services.get_plan(actor, plan_id, "plan.delete")
        what = f"{plan.year} 年度计划（第 {plan.version} 版）"
        services.delete_plan(actor, plan)
        return what

    what, problem = attempt(delete)
    if problem is None:
        flash(f"已删除{what}", "success")
    else:
        flash(problem.detail, "error")
    return redirect(url_for("plans.plans_page"))


@bp.get("/plans/template.xlsx")
@page("base.desk")
def plan_template_page():
    """The import template, with the base's specialties in the drop-down."""
    actor = current_actor()
    base = get_base(actor, actor.base_id)
    data = importing.template_xlsx([s.name for s in base.specialties])
    return xlsx_response(data, "年度培训计划项目导入模板.xlsx")


# ---- review and filing ---------------------------------------------------------------------

DONE = {
    "submit": "已提交主管部门审核",
    "approve": "已审核通过",
    "return": "已退回基地修改",
    "file": "已备案",
}


def _plan_action(action: str, plan_id: int) -> Plan:
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
    return plan


@bp.post("/plans/<int:plan_id>/<action>")
@page("plan.read", performs=("plan.submit", "plan.review", "plan.file"))
def plan_action_page(plan_id: int, action: str):
    """Submit, approve, return or file a plan from the page."""
    plan, problem = attempt(lambda: _plan_action(action, plan_id))
    if problem is not None:
        flash(_sentence(problem), "error")
    elif plan is not None:
        flash(
            f"{plan.base.name} {plan.year} 年度计划（第 {plan.version} 版）{DONE[action]}",
            "success",
        )
    return redirect(url_for("plans.plans_page"))


def _sentence(problem: Problem) -> str:
    """A problem as one Chinese sentence for a flash message (no field paths, no codes)."""
    if isinstance(problem, ValidationFailed) and problem.errors:
        return "；".join(place_errors(problem, None).summary)
    return problem.detail
