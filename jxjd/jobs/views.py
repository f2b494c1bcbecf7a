"""GET /api/v1/jobs/{id}: a background job's status, progress and result (CONTRACT §15)."""

from __future__ import annotations

from jxjd.auth import current_actor
from jxjd.jobs import bp
from jxjd.jobs.services import job_file, job_state
from jxjd.openapi import doc


@bp.get("/api/v1/jobs/<job_id>")
@doc("后台任务的状态、进度与结果（仅发起人或省人社厅可查看）", action="job.read", errors=(404,))
def job(job_id: str):
    """A job started with `Prefer: respond-async`: status, progress, and the answer once done."""
    return job_state(current_actor(), job_id).to_dict()


@bp.get("/api/v1/jobs/<job_id>/file")
@doc(
    "下载后台任务生成的文件（证书 PDF、Excel 报表与名单；与同步请求的应答相同）",
    action="job.read",
    content="application/octet-stream",
    errors=(404, 409),
)
def job_file_download(job_id: str):
    """The file of a finished job (result.file): the bytes the synchronous request answers."""
    return job_file(current_actor(), job_id)
