"""The credit pages: a person's claims with a phone claim form, and the reviewer's queue."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from jxjd.auth import Actor, current_actor
from jxjd.common.paging import Page
from jxjd.common.params import query_year
from jxjd.common.schema import load
from jxjd.common.time import local_today
from jxjd.common.types import hours_json
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.credits import bp, importing, services, turnaround, workbooks
from jxjd.credits.evidence import read_evidence
from jxjd.credits.models import CREDIT_STATUSES
from jxjd.credits.schemas import CreditArgs
from jxjd.credits.views import credits_frame_from_upload
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.rules.conversions import conversions_for
from jxjd.transactions import attempt
from jxjd.web import page


def _claim_from_form(person: Person) -> services.CreditInput:
    """The claim form in the API's shape, under the person's registered name (the service
    checks that the ID number typed is the person's own)."""
    data = {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    data["name"] = person.name
    args = load(CreditArgs(), data)
    return services.CreditInput(**{k: args[k] for k in services.CreditInput.__dataclass_fields__})


def _claim(actor, person: Person):
    upload = request.files.get("evidence")
    evidence = None
    if upload is not None and upload.filename:
        try:
            evidence = read_evidence(upload.stream)
        finally:
            upload.close()
    return services.create_credit(actor, _claim_from_form(person), evidence)


@bp.route("/me/credits", methods=["GET", "POST"])
@page("credit.claim")
def my_credits_page():
    """The person's credits and their status, and the claim form (photo of the evidence)."""
    actor = current_actor()
    person = db.session.get(Person, actor.person_id) if actor.person_id else None
    errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and person is not None:
        credit, problem = attempt(lambda: _claim(actor, person))
        if credit is not None:
            done = f"“{credit.title}”（{credit.year} 年度 {hours_json(credit.hours)} 学时）"
            flash(f"{done}的学时认定申报已提交，等待审核", "success")
            return redirect(url_for("credits.my_credits_page"))
        if problem is not None:
            errors = [dict(e) for e in problem.errors or []]
            errors = errors or [field_error(problem.code, problem.detail)]
            status = problem.status
    html = render_template(
        "credits/mine.html",
        credits=services.list_credits(actor),
        table=conversions_for(local_today().year),
        statuses=CREDIT_STATUSES,
        errors=errors,
        year=local_today().year,
    )
    return html, status


@bp.get("/credits/queue")
@page("credit.decide")
def queue_page():
    """Pending credits in the reviewer's scope, oldest first, with the evidence beside each."""
    actor = current_actor()
    pending = sorted(services.list_credits(actor, status="pending"), key=lambda c: c.id)
    return render_template("credits/queue.html", credits=pending, statuses=CREDIT_STATUSES)


@bp.post("/credits/<int:credit_id>/decision")
@page("credit.decide")
def decision_page(credit_id: int):
    """Approve or reject from the queue."""
    actor = current_actor()
    to = "approved" if request.form.get("decision") == "approve" else "rejected"
    credit, problem = attempt(
        lambda: services.decide(
            actor,
            services.get_credit(actor, credit_id, "credit.decide"),
            to,
            request.form.get("opinion", ""),
        )
    )
    if credit is not None:
        what = f"{credit.name}的“{credit.title}”"
        if to == "approved":
            flash(f"已认定{what}：{credit.year} 年度计 {hours_json(credit.hours)} 学时", "success")
        else:
            flash(f"已不予认定{what}，本人可看到审核意见", "success")
    elif problem is not None:
        flash(problem.detail, "error")
    return redirect(url_for("credits.queue_page"))


@bp.get("/credits/<int:credit_id>/evidence")
@page("credit.read")
def evidence_page(credit_id: int):
    """The evidence file for a signed-in reader (the queue shows it beside the item)."""
    actor = current_actor()
    data, content_type = services.evidence_of(actor, services.get_credit(actor, credit_id))
    resp = Response(data, mimetype=content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.get("/credits/turnaround")
@page("credit.turnaround")
def turnaround_page():
    """The department's pending queue and review turnaround, per month or per form."""
    year = query_year(default=local_today().year)
    by = turnaround.grouping(request.args.get("by"))
    figures = turnaround.turnaround(current_actor(), year, by)
    return render_template(
        "credits/turnaround.html", figures=figures, groupings=turnaround.GROUPINGS
    )


# ---- entering credits: one in a form, or a workbook (admin, department, employer) ---------------

RECENT = 20  # the caller's latest entries shown under the forms


def _one_from_form() -> services.CreditInput:
    data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "what") and v.strip()}
    args = load(CreditArgs(), data)
    return services.CreditInput(**{k: args[k] for k in services.CreditInput.__dataclass_fields__})


def _workbook(actor: Actor) -> dict[str, Any]:
    """Import the uploaded workbook: the receipt or the problem, and the error report."""
    frame, filename, data = credits_frame_from_upload("请选择要上传的文件")
    mode = "partial" if request.form.get("mode") == "partial" else "strict"
    result, problem = attempt(
        lambda: importing.import_credits(
            actor, frame, mode=mode, filename=filename, sha256=importing.file_sha256(data)
        )
    )
    if problem is not None and not isinstance(problem, ValidationFailed):
        raise problem
    if result is not None:
        errors = result.rejected
    else:
        assert problem is not None  # attempt returns one or the other
        errors = list(problem.errors or [])
    report = None
    if any(e.get("row") for e in errors):
        xlsx = workbooks.error_report_xlsx(frame, errors)
        report = f"data:{XLSX_MIMETYPE};base64," + base64.b64encode(xlsx).decode()
    return {"result": result, "problem": problem, "errors": errors, "report": report}


@bp.route("/credits/enter", methods=["GET", "POST"])
@page("credit.desk", performs=("credit.create",))
def enter_page():
    """Enter one credit in a form, or many from a workbook (with the template and the error
    report); an employer reaches only the staff its rosters name, a department its people."""
    actor = current_actor()
    one_errors: list[dict[str, Any]] = []
    outcome: dict[str, Any] | None = None
    status = 200
    if request.method == "POST" and request.form.get("what") == "one":
        credit, problem = attempt(lambda: services.create_credit(actor, _one_from_form()))
        if problem is None and credit is not None:
            flash(
                f"已录入“{credit.title}”（{credit.hours.normalize():f} 学时），等待审核", "success"
            )
            return redirect(url_for("credits.enter_page"))
        assert problem is not None
        one_errors = [dict(e) for e in problem.errors or []] or [
            field_error(problem.code, problem.detail)
        ]
        status = problem.status
    elif request.method == "POST":
        outcome, problem = attempt(lambda: _workbook(actor))
        if problem is not None:
            outcome = {
                "result": None,
                "problem": problem,
                "errors": problem.errors or [],
                "report": None,
            }
        if outcome["result"] is None:
            status = outcome["problem"].status
    html = render_template(
        "credits/enter.html",
        table=conversions_for(local_today().year),
        year=local_today().year,
        one_errors=one_errors,
        one_posted=request.method == "POST" and request.form.get("what") == "one",
        outcome=outcome,
        credits=services.list_credits(actor, page=Page(number=1, size=RECENT)),
        statuses=CREDIT_STATUSES,
    )
    return html, status


@bp.get("/credits/template.xlsx")
@page("credit.desk")
def template_page():
    """The import template, from the page."""
    table = conversions_for(local_today().year)
    data = workbooks.template_xlsx(table, current_app.config["JXJD_MAX_ROSTER_ROWS"])
    return xlsx_response(data, "学时认定导入模板.xlsx")
