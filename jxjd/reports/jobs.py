"""Reports and their workbook as background jobs (Prefer: respond-async), run as the request's
actor and authorized again as its view was."""

from __future__ import annotations

from typing import Any

from flask import Response

from jxjd.access import authorize
from jxjd.auth import Actor
from jxjd.jobs.services import report_progress, run_as_job, run_file_job
from jxjd.reports.views import base_report_answer, province_report_answer, province_xlsx_answer


def base_report_job(actor: Actor, base_id: int, year: int) -> dict[str, Any]:
    """A base's §9 report; the result is the synchronous answer's body."""

    def work() -> dict[str, Any]:
        report_progress(5)
        return base_report_answer(actor, base_id, year)  # get_base authorizes as the view did

    return run_as_job(work)


def province_report_job(actor: Actor, year: int) -> dict[str, Any]:
    """The province report; the result is the synchronous answer's body."""

    def work() -> dict[str, Any]:
        authorize(actor, "report.province")
        report_progress(5)
        return province_report_answer(actor, year)

    return run_as_job(work)


def province_xlsx_job(actor: Actor, year: int) -> dict[str, Any]:
    """The province report workbook; the result links the file the synchronous request answers."""

    def work() -> Response:
        authorize(actor, "report.province")
        report_progress(5)
        return province_xlsx_answer(actor, year)

    return run_file_job(work)
