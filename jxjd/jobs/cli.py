"""`flask --app app jobs worker`: run background jobs (one job at a time per process)."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask.cli import AppGroup

from jxjd.jobs.services import work

log = logging.getLogger(__name__)

jobs_cli = AppGroup("jobs", help="Background jobs (RQ on the rate limits' Redis).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Process queued jobs; run several for parallel jobs.

    After a very large job (an upload of JXJD_RECYCLE_AFTER_ROWS rows or more) the worker
    starts itself again with the same command line (exec: same process id, so a supervisor
    sees nothing), and its memory is back at the baseline.
    """
    if work(burst=burst):
        command = [sys.executable, *sys.orig_argv[1:]]
        log.warning(
            "job worker %s: starting afresh after a large job (memory back to baseline)",
            os.getpid(),
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, command)
