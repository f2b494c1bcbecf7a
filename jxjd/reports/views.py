"""CONTRACT §9 and the province-wide report (JSON, .xlsx, page with a chart)."""

from __future__ import annotations

from flask import render_template

from jxjd.auth import current_actor
from jxjd.bases.services import get_base, list_bases_for
from jxjd.common.params import checked_year, query_year
from jxjd.common.time import local_today
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.errors import ValidationFailed, field_error
from jxjd.openapi import doc
from jxjd.reports import bp
from jxjd.reports.exporting import province_report_xlsx
from jxjd.reports.services import base_report, province_report_for
from jxjd.web import page


def _year_arg(default: int | None = None) -> int:
    year = query_year(default=default)
    if year is None:
        raise ValidationFailed([field_error("required", "请指定年度（year=YYYY）", field="year")])
    return year


def _province_report(year: int) -> dict:
    """Every base's figures for a year (a department sees its own bases)."""
    actor = current_actor()
    return province_report_for(actor, checked_year(year), list_bases_for(actor))


@bp.get("/api/v1/bases/<int:base_id>/report")
@doc(
    "基地年度培训完成情况",
    action="base.read",
    tags=["reports"],
    query={"year": "年度（必填）"},
    errors=(404, 422),
)
def get_base_report(base_id: int):
    """Sessions, trainees, person-times, trainee-hours and plan vs actual for a year."""
    base = get_base(current_actor(), base_id)
    return base_report(base, _year_arg())


@bp.get("/api/v1/reports/<int:year>")
@doc(
    "全省（或本部门）基地年度培训完成情况，含学时来源（基地培训与各类学时认定）",
    action="report.province",
)
def get_province_report(year: int):
    """Every base's figures for a year (a department sees its own bases)."""
    return _province_report(year)


@bp.get("/api/v1/reports/<int:year>.xlsx")
@doc("全省基地年度培训完成情况（Excel）", action="report.province", content=XLSX_MIMETYPE)
def get_province_report_xlsx(year: int):
    """The same report as a workbook."""
    return xlsx_response(province_report_xlsx(_province_report(year)), f"jxjd-report-{year}.xlsx")


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
