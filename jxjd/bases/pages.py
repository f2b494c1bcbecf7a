"""The base pages: the list, one base, its change filings and the desk that handles them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor
from jxjd.bases import bp, changes, services
from jxjd.bases.models import CHANGE_FIELDS, CHANGE_STATUSES
from jxjd.bases.schemas import BaseChangeAcceptArgs, BaseChangeArgs, BaseChangeRejectArgs
from jxjd.common.enums import BASE_STATUSES
from jxjd.common.schema import load
from jxjd.departments.services import active_departments
from jxjd.forms import FormErrors, place_errors, submit
from jxjd.transactions import attempt
from jxjd.web import page


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "change_statuses": CHANGE_STATUSES,
        "change_fields": CHANGE_FIELDS,
        "base_moves": services.TRANSITIONS,
        "department_options": active_departments,
    }


@bp.get("/bases")
@page("base.read")
def bases_page():
    """The bases in the signed-in account's scope, with status and specialties."""
    status = request.args.get("status") or None
    bases = services.list_bases_for(current_actor(), status=status)
    return render_template("bases/list.html", bases=bases, statuses=BASE_STATUSES, status=status)


@bp.get("/bases/<int:base_id>")
@page("base.read")
def base_page(base_id: int):
    """One base: specialties and status history."""
    base = services.get_base(current_actor(), base_id)
    return render_template("bases/detail.html", base=base)


CHANGE_LABELS = {
    "name": "新的机构名称",
    "address": "新的地址",
    "contact.name": "新的联系人",
    "contact.phone": "新的联系电话",
    "contact.email": "新的电子邮箱",
    "note": "变更说明",
}


def _change_from_form() -> dict[str, Any]:
    """The change form in the API's shape: only the fields filled in."""
    form = request.form
    data: dict[str, Any] = {"note": form.get("note", "")}
    for key in ("name", "address"):
        if form.get(key, "").strip():
            data[key] = form[key]
    contact = {
        k: form[f"contact.{k}"]
        for k in ("name", "phone", "email")
        if form.get(f"contact.{k}", "").strip()
    }
    if contact:
        data["contact"] = contact
    return load(BaseChangeArgs(), data)


@bp.route("/bases/<int:base_id>/changes", methods=["GET", "POST"])
@page("base_change.read", performs=("base_change.file",))
def base_changes_page(base_id: int):
    """A base's change filings (history) and the form to file a new one."""
    actor = current_actor()
    base = services.get_base(actor, base_id)

    def changes_html(errors: FormErrors | None) -> str:
        items = changes.list_changes_for_base(base)
        return render_template(
            "bases/changes.html", base=base, items=items, errors=errors or FormErrors()
        )

    if request.method == "GET":
        return changes_html(None)

    def done(_change: Any):
        flash("变更已报送，待省人社厅备案", "success")
        return redirect(url_for("bases.base_changes_page", base_id=base_id))

    return submit(
        lambda: changes.file_base_change(
            actor, services.get_base(actor, base_id, "base_change.file"), _change_from_form()
        ),
        done=done,
        again=changes_html,
        place=CHANGE_LABELS,
    )


@bp.get("/base-changes")
@page("base_change.desk")
def changes_page():
    """Change filings to handle (admin) or to follow (dept)."""
    status = request.args.get("status", "pending") or None
    items = changes.list_changes_for(current_actor(), status=status, action="base_change.desk")
    return render_template("bases/change_desk.html", items=items, status=status)


def _decide(change_id: int, accept: bool) -> None:
    actor = current_actor()
    change = changes.get_change(actor, change_id)
    if accept:
        reason = load(BaseChangeAcceptArgs(), request.form.to_dict())["reason"] or ""
        changes.accept_base_change(actor, change, reason.strip())
    else:
        args = load(BaseChangeRejectArgs(), request.form.to_dict())
        changes.reject_base_change(actor, change, args["reason"])


def _decide_page(change_id: int, accept: bool):
    _, problem = attempt(lambda: _decide(change_id, accept))
    if problem is None:
        flash("已予备案，基地信息已更新" if accept else "已不予备案", "success")
    else:
        flash("；".join(place_errors(problem, None).summary) or problem.detail, "error")
    return redirect(url_for("bases.changes_page"))


@bp.post("/base-changes/<int:change_id>/accept")
@page("base_change.decide")
def accept_change_page(change_id: int):
    """Accept a change filing."""
    return _decide_page(change_id, True)


@bp.post("/base-changes/<int:change_id>/reject")
@page("base_change.decide")
def reject_change_page(change_id: int):
    """Refuse a change filing."""
    return _decide_page(change_id, False)
