"""The roster upload and the trainee-list export as background jobs (Prefer: respond-async)."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, current_app

from jxjd.attendance import services
from jxjd.attendance.importing import Roster, build_error_report_xlsx
from jxjd.attendance.views import trainees_answer
from jxjd.auth import Actor
from jxjd.errors import Problem
from jxjd.jobs.services import (
    replace_worker_after_job,
    report_progress,
    run_as_job,
    run_file_job,
)
from jxjd.sessions.services import get_session
from jxjd.transactions import rollback_request


def _replace_worker_if_large(roster: Roster) -> None:
    """A very large roster leaves the worker larger: a fresh one takes the next job (as
    gunicorn.conf.py replaces a web worker after such an upload)."""
    recycle_after = current_app.config["JXJD_RECYCLE_AFTER_ROWS"]
    if recycle_after and len(roster.rows) >= recycle_after:
        replace_worker_after_job()


def upload_job(actor: Actor, session_id: int, roster: Roster, mode: str) -> dict[str, Any]:
    """Store the roster as the synchronous upload would; its answer's body is the result."""
    _replace_worker_if_large(roster)

    def upload() -> dict[str, Any]:
        report_progress(5)
        session = get_session(actor, session_id, "attendance.upload")
        result = services.upload_roster(actor, session, roster, mode=mode, progress=report_progress)
        return result.to_dict()

    return run_as_job(upload)


def page_upload_job(actor: Actor, session_id: int, roster: Roster, mode: str) -> dict[str, Any]:
    """The upload page's job: what the page shows afterwards, whether the roster was stored
    or refused: {"result", "problem", "report"} (the error report as base64 .xlsx, or None).

    A refused roster is not a failed job here: its problem is the page's answer, and the
    error report needs the rows, which only the job holds.
    """
    _replace_worker_if_large(roster)

    def upload() -> dict[str, Any]:
        report_progress(5)
        session = get_session(actor, session_id, "attendance.upload")
        try:
            result = services.upload_roster(
                actor, session, roster, mode=mode, progress=report_progress
            )
        except Problem as problem:
            rollback_request()
            errors = problem.errors or []
            return {"result": None, "problem": problem.to_dict(), "report": _report(roster, errors)}
        return {
            "result": result.to_dict(),
            "problem": None,
            "report": _report(roster, result.rejected),
        }

    return run_as_job(upload)


def _report(roster: Roster, errors: list[dict[str, Any]]) -> str | None:
    """The error report of a roster's row errors, base64-encoded (None without row errors)."""
    if not any(e.get("row") for e in errors):
        return None
    return base64.b64encode(build_error_report_xlsx(roster.rows, errors)).decode()


def trainees_job(actor: Actor, session_id: int, search: str) -> dict[str, Any]:
    """The trainee-list workbook; the result links the file the synchronous request answers."""

    def build() -> Response:
        report_progress(5)
        return trainees_answer(actor, session_id, search)

    return run_file_job(build)
