"""CONTRACT §9 and the province-wide report (JSON, .xlsx, page with a chart)."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from jxjd.auth import Actor, current_actor
from jxjd.bases.services import get_base, list_bases_for
from jxjd.common.params import checked_year, query_year
from jxjd.common.time import local_today
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.errors import ValidationFailed, field_error
from jxjd.jobs.services import accepted, start, wants_async
from jxjd.openapi import doc
from jxjd.reports import bp
from jxjd.reports.exporting import province_report_xlsx
from jxjd.reports.services import base_report, province_report_for
from jxjd.web import page

JOBS = "jxjd.reports.jobs"


def _year_arg(default: int | None = None) -> int:
    year = query_year(default=default)
    if year is None:
        raise ValidationFailed([field_error("required", "请指定年度（year=YYYY）", field="year")])
    return year


def _province_report(year: int, actor: Actor | None = None) -> dict:
    """Every base's figures for a year (a department sees its own bases)."""
    actor = actor or current_actor()
    return province_report_for(actor, checked_year(year), list_bases_for(actor))


def base_report_answer(actor: Actor, base_id: int, year: int) -> dict:
    """The §9 report of a base (synchronous, or a job's result)."""
    return base_report(get_base(actor, base_id), year)


def province_report_answer(actor: Actor, year: int) -> dict:
    """The province report (synchronous, or a job's result)."""
    return _province_report(year, actor)


def province_xlsx_answer(actor: Actor, year: int) -> Response:
    """The province report workbook as the download answer (synchronous, or a job's file)."""
    report = _province_report(year, actor)
    return xlsx_response(province_report_xlsx(report), f"jxjd-report-{year}.xlsx")


def _maybe_job(actor: Actor, kind: str, func: str, *args: Any) -> Any:
    """202 and a job when the request prefers it and a queue is there; else None."""
    if wants_async():
        job_id = start(actor, kind, func, actor, *args)
        if job_id is not None:
            return accepted(job_id)
    return None


@bp.get("/api/v1/bases/<int:base_id>/report")
@doc(
    "基地年度培训完成情况（Prefer: respond-async 时以后台任务生成，202 + Location）",
    action="base.read",
    tags=["reports"],
    query={"year": "年度（必填）"},
    errors=(404, 422),
)
def get_base_report(base_id: int):
    """Sessions, trainees, person-times, trainee-hours and plan vs actual for a year."""
    actor = current_actor()
    base, year = get_base(actor, base_id), _year_arg()
    job = _maybe_job(actor, "report.base", f"{JOBS}.base_report_job", base.id, year)
    return job or base_report_answer(actor, base.id, year)


@bp.get("/api/v1/reports/<int:year>")
@doc(
    "全省（或本部门）基地年度培训完成情况，含学时来源（基地培训与各类学时认定；"
    "Prefer: respond-async 时以后台任务生成）",
    action="report.province",
)
def get_province_report(year: int):
    """Every base's figures for a year (a department sees its own bases)."""
    actor = current_actor()
    job = _maybe_job(actor, "report.province", f"{JOBS}.province_report_job", checked_year(year))
    return job or province_report_answer(actor, year)


@bp.get("/api/v1/reports/<int:year>.xlsx")
@doc(
    "全省基地年度培训完成情况（Excel；Prefer: respond-async 时以后台任务生成）",
    action="report.province",
    content=XLSX_MIMETYPE,
)
def get_province_report_xlsx(year: int):
    """The same report as a workbook."""
    actor = current_actor()
    job = _maybe_job(actor, "report.province_xlsx", f"{JOBS}.province_xlsx_job", checked_year(year))
    return job or province_xlsx_answer(actor, year)


@bp.get("/reports")
@page("report.province")
def reports_page():
    """The yearly report with a bar chart of trainees per base against the minimum line."""
    year = _year_arg(default=local_today().year)
    report = _province_report(year)
    return render_template("reports/province.html", report=report, year=year)


@bp.get("/reports/<int:year>.xlsx")
@page("report.province")
def reports_xlsx_page(year: int):
    """Download the report from the page."""
    return xlsx_response(province_report_xlsx(_province_report(year)), f"jxjd-report-{year}.xlsx")
