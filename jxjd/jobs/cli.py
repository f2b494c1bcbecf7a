"""`flask --app app jobs worker`: run background jobs (one job at a time per process)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.jobs.services import work

jobs_cli = AppGroup("jobs", help="Background jobs (RQ on the rate limits' Redis).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Process queued jobs; run several for parallel jobs."""
    work(burst=burst)
