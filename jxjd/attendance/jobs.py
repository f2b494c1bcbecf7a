"""The roster upload and the trainee-list export as background jobs (Prefer: respond-async)."""

from __future__ import annotations

from typing import Any

from flask import Response

from jxjd.attendance import services
from jxjd.attendance.importing import Roster
from jxjd.attendance.views import trainees_answer
from jxjd.auth import Actor
from jxjd.jobs.services import report_progress, run_as_job, run_file_job
from jxjd.sessions.services import get_session


def upload_job(actor: Actor, session_id: int, roster: Roster, mode: str) -> dict[str, Any]:
    """Store the roster as the synchronous upload would; its answer's body is the result."""

    def upload() -> dict[str, Any]:
        report_progress(5)
        session = get_session(actor, session_id, "attendance.upload")
        result = services.upload_roster(actor, session, roster, mode=mode, progress=report_progress)
        return result.to_dict()

    return run_as_job(upload)


def trainees_job(actor: Actor, session_id: int, search: str) -> dict[str, Any]:
    """The trainee-list workbook; the result links the file the synchronous request answers."""

    def build() -> Response:
        report_progress(5)
        return trainees_answer(actor, session_id, search)

    return run_file_job(build)
