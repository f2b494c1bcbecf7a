"""gunicorn reads this file from its working directory (`gunicorn app:app`); pass it with -c otherwise.

Request-size limits, a start-up check, the access-log format and the metrics folder live here;
workers, bind address and the rest stay on the command line (README "Deployment guide").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Let everything up to the app's own limits (8,000-character request line, 8 KB per header field,
# 32 KB of headers) through, so clients get the app's problem+json 414/431 rather than gunicorn's
# plain HTML answer; gunicorn's hard maximum for the request line is 8190.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 100

# The access log (when enabled with --access-logfile) carries each request's X-Request-ID, the id
# the app's own log lines have.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s'


def post_worker_init(worker) -> None:
    """The first worker warns about settings that are wrong for production: rate limits kept in
    each worker's memory, and QR codes that point at a loopback address."""
    from jxjd.config import public_url_warning
    from jxjd.ratelimit import unshared_warning

    if worker.age == 1:
        config = getattr(worker.wsgi, "config", {})
        messages = (
            unshared_warning(worker.wsgi, worker.cfg.workers),
            public_url_warning(config.get("JXJD_PUBLIC_URL", "")),
        )
        for message in messages:
            if message:
                worker.log.warning(message)


def post_request(worker, req, environ, resp) -> None:
    """After a very large upload (JXJD_RECYCLE_AFTER_ROWS) the worker finishes and is replaced,
    as with max_requests: the memory its allocator kept goes with it."""
    if environ.get("jxjd.recycle_worker"):  # jxjd.attendance.views.RECYCLE_WORKER
        worker.log.info(
            "replacing worker %s after a large upload (memory back to baseline)", worker.pid
        )
        worker.alive = False


# ---- metrics across workers (jxjd/metrics.py) ---------------------------------------------------
# prometheus-client keeps each worker's values in files in PROMETHEUS_MULTIPROC_DIR and /metrics
# adds them up, so whichever worker answers the scrape reports the whole instance. One folder per
# gunicorn master (never shared between instances); without one in the environment a private
# folder is made here, emptied at start and removed at exit.
_MADE_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _MADE_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="jxjd-metrics-")


def on_starting(server) -> None:
    """Start from zero: values a previous run left in the folder would be added to this one's."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    """A worker has gone (max_requests, timeout, crash): its counts stay, its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the folder made above."""
    if _MADE_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
