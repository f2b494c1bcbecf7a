"""The conversion table page: read a year's table; admin edits it in place."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor
from jxjd.common.enums import CATEGORIES
from jxjd.common.params import checked_year
from jxjd.common.schema import load
from jxjd.errors import field_error
from jxjd.rules import bp
from jxjd.rules.conversions import UNITS, conversions_for, set_conversions
from jxjd.rules.schemas import ConversionTableArgs
from jxjd.transactions import attempt
from jxjd.web import page

FIELDS = ("form", "label", "category", "unit", "hours_per_unit", "yearly_cap")


def _forms_from_page() -> list[dict[str, Any]]:
    """The table as posted: one row per form, blank cap = no cap, blank rows dropped."""
    columns = {name: request.form.getlist(name) for name in FIELDS}
    rows = []
    for values in zip(*(columns[name] for name in FIELDS), strict=False):
        row = dict(zip(FIELDS, (v.strip() for v in values), strict=True))
        if not row["form"]:
            continue
        row["yearly_cap"] = row["yearly_cap"] or None
        rows.append(row)
    return rows


@bp.route("/rules/<int:year>/conversions", methods=["GET", "POST"])
@page("rules.read", performs=("rules.write",))
def conversions_page(year: int):
    """A year's conversion table; admin saves a new version from the same page."""
    checked_year(year)
    errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        actor = current_actor()
        _, problem = attempt(
            lambda: set_conversions(
                actor, year, load(ConversionTableArgs(), {"forms": _forms_from_page()})["forms"]
            )
        )
        if problem is None:
            flash(f"{year} 年度学时认定折算表已保存", "success")
            return redirect(url_for("rules.conversions_page", year=year))
        errors = [dict(e) for e in problem.errors or []] or [
            field_error(problem.code, problem.detail)
        ]
        status = problem.status
    html = render_template(
        "rules/conversions.html",
        year=year,
        table=conversions_for(year),
        units=UNITS,
        categories=CATEGORIES,
        errors=errors,
    )
    return html, status
