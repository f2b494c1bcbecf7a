"""Running work as a job: enqueue with its owner, run it as one unit of work, read its state.

A request that asks for it (`Prefer: respond-async`, RFC 7240) gets 202 and a job when a queue
is configured (`JXJD_JOBS_REDIS`, by default the rate limits' store when that is Redis); without
a queue the work is done at once, as without the header. The job runs in a worker
(`flask --app app jobs worker`), inside an app context, with one commit at its end like a
request. Its state lives in Redis only, so every instance answers for every job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from flask import Response, current_app, has_request_context, request
from rq import Queue, SimpleWorker, Worker, get_current_job
from rq.exceptions import NoSuchJobError, StopRequested
from rq.job import Job, JobStatus

from jxjd.access import authorize, job_owner
from jxjd.auth import Actor
from jxjd.common.memory import release_memory
from jxjd.errors import Conflict, NotFound, Problem
from jxjd.transactions import begin_request, commit_request, rollback_request

log = logging.getLogger(__name__)

QUEUE_NAME = "jxjd"
FILE_HEADERS = ("Content-Disposition", "Cache-Control")  # what a file answer keeps of its headers
RESULT_TTL = 24 * 3600  # a finished job's state and result are kept a day
JOB_TIMEOUT = 3600
_STATUSES = {
    JobStatus.QUEUED: "queued",
    JobStatus.DEFERRED: "queued",
    JobStatus.SCHEDULED: "queued",
    JobStatus.STARTED: "running",
    JobStatus.FINISHED: "finished",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "failed",
    JobStatus.CANCELED: "failed",
}


@dataclass(frozen=True)
class JobState:
    """What GET /api/v1/jobs/{id} answers, and the owner the policy checks."""

    id: str
    kind: str
    owner: str
    status: str  # queued | running | finished | failed
    progress: int  # 0–100
    result: Any  # the synchronous answer's body, once finished
    error: dict[str, Any] | None  # the synchronous answer's problem body, once failed
    created_at: datetime | None
    ended_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "result": self.result,
            "error": self.error,
            "created_at": _iso(self.created_at),
            "ended_at": _iso(self.ended_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def redis_url() -> str | None:
    """The Redis jobs use: JXJD_JOBS_REDIS, else the rate limits' store when it is Redis."""
    url = current_app.config.get("JXJD_JOBS_REDIS") or current_app.config["RATELIMIT_STORAGE_URI"]
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def connection() -> redis.Redis | None:
    """The app's Redis connection for jobs (one pool per app and URL), None without one."""
    url = redis_url()
    if url is None:
        return None
    pools = current_app.extensions.setdefault("jxjd_jobs_redis", {})
    if url not in pools:
        pools[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return pools[url]


def queue() -> Queue | None:
    """The jobs queue, None when no Redis is configured."""
    conn = connection()
    return None if conn is None else Queue(QUEUE_NAME, connection=conn)


def wants_async() -> bool:
    """Whether the request asks to be answered with a job (Prefer: respond-async)."""
    if not has_request_context():
        return False
    prefs = ",".join(request.headers.getlist("Prefer")).lower()
    return any(part.split(";")[0].strip() == "respond-async" for part in prefs.split(","))


def worker_listening() -> bool:
    """Whether a worker is registered on the jobs queue (a page only waits for one that is)."""
    q = queue()
    try:
        return q is not None and Worker.count(queue=q) > 0
    except redis.RedisError:
        return False


def start(actor: Actor, kind: str, func: str, *args: Any) -> str | None:
    """Enqueue `func(*args)` (a dotted path) as `actor`'s job; its id, None without a queue."""
    q = queue()
    if q is None:
        return None
    job = q.enqueue(
        func,
        *args,
        meta={"owner": job_owner(actor), "kind": kind, "progress": 0},
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
        job_timeout=JOB_TIMEOUT,
    )
    return job.id


def accepted(job_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The 202 answer to a request that became a job (RFC 7240 Preference-Applied)."""
    location = f"/api/v1/jobs/{job_id}"
    body = {"id": job_id, "status": "queued", "progress": 0, "location": location}
    return body, 202, {"Location": location, "Preference-Applied": "respond-async"}


def job_state(actor: Actor, job_id: str) -> JobState:
    """A job's state, for its owner or an admin: 404 unknown (or expired), 403 someone else's."""
    authorize(actor, "job.read")
    conn = connection()
    try:
        if conn is None or len(job_id) > 64:
            raise NoSuchJobError(job_id)
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        raise NotFound("任务不存在或已过期（任务结果保留 24 小时）") from None
    meta = job.get_meta(refresh=False)
    status = _STATUSES.get(job.get_status(refresh=False), "queued")
    result = job.return_value(refresh=False) if status == "finished" else None
    error = meta.get("error")
    if status == "failed" and error is None:
        error = {"status": 500, "code": "job_failed", "title": "任务执行失败", "detail": None}
    state = JobState(
        id=job.id,
        kind=meta.get("kind", ""),
        owner=meta.get("owner", ""),
        status=status,
        progress=100 if status == "finished" else int(meta.get("progress", 0)),
        result=result,
        error=error,
        created_at=job.enqueued_at or job.created_at,
        ended_at=job.ended_at,
    )
    authorize(actor, "job.read", state)
    return state


def report_progress(percent: int) -> None:
    """Record how far the running job is (nothing outside a job)."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = max(0, min(100, int(percent)))
        job.save_meta()


def run_as_job(work: Callable[[], Any]) -> Any:
    """Run a job's work as one unit of work: committed at its end, rolled back on any error.

    A Problem (what the synchronous answer would have been, e.g. 422) is kept as the job's
    error and the job fails; the worker's memory is handed back after large work.
    """
    begin_request()
    try:
        result = work()
        commit_request()
        return result
    except Problem as problem:
        rollback_request()
        job = get_current_job()
        if job is not None:
            job.meta["error"] = problem.to_dict()
            job.save_meta()
        raise
    except BaseException:
        rollback_request()
        raise
    finally:
        release_memory(None)


# A job whose work leaves the process much larger than it found it (a very large upload) asks
# for a fresh worker once it has finished, as gunicorn.conf.py replaces a web worker.
_replace_requested = False


def replace_worker_after_job() -> None:
    """Ask for a fresh job worker once the running job has finished (nothing outside a job).

    What the allocator keeps after a large job (Python's small-object arenas that a few live
    objects pin) stays with the process; `flask jobs worker` starts itself again instead.
    """
    global _replace_requested
    if get_current_job() is not None:
        _replace_requested = True


class _JobWorker(SimpleWorker):
    """RQ's SimpleWorker (jobs run in this process, in its app context), which stops after a
    job that asked for a fresh worker, with that job finished and its result stored."""

    replace = False

    def execute_job(self, job: Job, queue: Queue) -> None:
        global _replace_requested
        _replace_requested = False
        super().execute_job(job, queue)
        if _replace_requested:
            _replace_requested = False
            self.replace = True
            self.log.info("job worker %s: stopping after a large job, to be replaced", self.name)
            raise StopRequested()  # RQ's work loop ends here, as on a stop signal


def work(burst: bool = False) -> bool:
    """Process jobs in this process (inside the app context) until stopped, or until empty.

    True when the worker stopped after a large job and should be replaced by a fresh process
    (`flask jobs worker` does so); the jobs still queued wait for it.
    """
    q = queue()
    if q is None:
        raise RuntimeError("no Redis for jobs: set JXJD_JOBS_REDIS or JXJD_RATELIMIT_STORAGE")
    worker = _JobWorker([q], connection=q.connection)
    worker.work(burst=burst, logging_level="WARNING")
    return worker.replace


# ---- files as results (PDF, workbooks) ---------------------------------------------------------


class JobNotFinished(Conflict):
    code, title = "job_not_finished", "任务尚未完成"


def _file_key(job_id: str) -> str:
    return f"jxjd:job-file:{job_id}"


def file_answer(response: Response) -> dict[str, Any]:
    """Keep a file answer (built by the synchronous view's own function) as the running job's
    result: its bytes in Redis for as long as the job's state, its type and headers in the
    result, with the link that downloads it."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("file_answer outside a job")
    data = response.get_data()
    job.connection.set(_file_key(job.id), data, ex=RESULT_TTL)
    return {
        "file": {
            "content_type": response.mimetype,
            "size": len(data),
            "headers": {
                name: response.headers[name] for name in FILE_HEADERS if name in response.headers
            },
            "location": f"/api/v1/jobs/{job.id}/file",
        }
    }


def job_file(actor: Actor, job_id: str) -> Response:
    """The file a finished job made, for those who may read the job (404, 403, 409 unfinished)."""
    state = job_state(actor, job_id)
    if state.status in ("queued", "running"):
        raise JobNotFinished(f"任务尚未完成（进度 {state.progress}%），完成后再下载")
    file = state.result.get("file") if isinstance(state.result, dict) else None
    conn = connection()
    data = conn.get(_file_key(state.id)) if file and conn is not None else None
    if not isinstance(data, bytes) or not file:
        raise NotFound("该任务没有可下载的文件，或文件已过期（保留 24 小时）")
    return Response(data, mimetype=file["content_type"], headers=file["headers"])


def run_file_job(build: Callable[[], Response]) -> dict[str, Any]:
    """Run a job whose answer is a file (as run_as_job); its result links the file."""
    return run_as_job(lambda: file_answer(build()))


def progress_between(low: int, high: int) -> Callable[[int, int], None]:
    """A (done, total) callback that reports low..high percent, at most every 5 percent."""
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = low + (high - low) * done // max(total, 1)
        if percent - last[0] >= 5 or done >= total:
            last[0] = percent
            report_progress(percent)

    return report
