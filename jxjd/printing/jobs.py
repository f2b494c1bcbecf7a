"""The session certificates PDF as a background job (Prefer: respond-async), with progress."""

from __future__ import annotations

from typing import Any

from flask import Response

from jxjd.auth import Actor
from jxjd.jobs.services import progress_between, report_progress, run_file_job
from jxjd.printing.views import session_pdf_answer


def session_pdf_job(actor: Actor, session_id: int, part: int | None) -> dict[str, Any]:
    """Render the PDF the synchronous request answers; progress follows the pages drawn."""

    def build() -> Response:
        report_progress(5)
        return session_pdf_answer(actor, session_id, part, progress_between(10, 95))

    return run_file_job(build)
