#!/usr/bin/env python3
"""The job worker's memory around large upload jobs, kept and replaced (JXJD_RECYCLE_AFTER_ROWS).

A fresh SQLite database (or the empty PostgreSQL database named by --database-url) and a
throwaway redis-server; `flask --app app jobs worker` runs as a process of its own, and the
uploads reach it as jobs (`Prefer: respond-async`). Printed: the worker's resident set size at
start, after a small warm-up job, and after each large job, once with the worker kept
(JXJD_RECYCLE_AFTER_ROWS=0) and once replaced after each large job (the rows given).

    .venv/bin/python scripts/bench_job_memory.py [--rows 10000] [--jobs 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/jxjd_bench]

Needs redis-server (Debian: apt-get install -y redis-server). A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_ingest import (  # noqa: E402 (the scripts folder is on the path only now)
    base_token,
    build_app,
    create_sessions,
    drop_schema,
    make_people,
    roster_xlsx,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    """A process's resident set size now, MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def wait_for(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def run_jobs(app, env, session_ids, token, rosters, recycle_after: int, rows: int) -> None:
    """One worker process; a warm-up job, then the large ones; its RSS after each."""
    from rq import Worker

    from jxjd.jobs.services import queue

    client = app.test_client()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker"],
        cwd=ROOT,
        env={**env, "JXJD_RECYCLE_AFTER_ROWS": str(recycle_after)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: Worker.count(queue=queue()) > 0, "the worker")
        label = "kept" if not recycle_after else f"replaced after {recycle_after:,} rows"
        print(f"\n== worker {label} (pid {worker.pid})")
        print(f"  {'at start':<28}{rss_mib(worker.pid):6.0f} MiB")
        for n, (session_id, data) in enumerate(zip(session_ids, rosters, strict=True)):
            resp = client.post(
                f"/api/v1/sessions/{session_id}/attendance",
                data={"file": (io.BytesIO(data), "学员名单.xlsx")},
                headers={"Authorization": f"Bearer {token}", "Prefer": "respond-async"},
                content_type="multipart/form-data",
            )
            if resp.status_code != 202:
                raise SystemExit(f"not a job: {resp.status_code} {resp.get_data(as_text=True)}")
            location = resp.headers["Location"]
            started = time.perf_counter()

            def done(location=location) -> bool:
                state = client.get(location, headers={"Authorization": f"Bearer {token}"})
                return state.get_json()["status"] in ("finished", "failed")

            wait_for(done, "the job", timeout=600)
            took = time.perf_counter() - started
            wait_for(lambda: Worker.count(queue=queue()) > 0, "the worker again")
            time.sleep(1.0)  # a replaced worker has started afresh by now
            what = "warm-up job (10 rows)" if n == 0 else f"job {n} ({rows:,} rows)"
            assert worker.poll() is None, "the worker process ended"
            print(f"  {'after ' + what:<28}{rss_mib(worker.pid):6.0f} MiB   ({took:.1f} s)")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of each large roster")
    parser.add_argument("--jobs", type=int, default=2, help="large jobs per worker")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty PostgreSQL database (default: a temporary SQLite file)",
    )
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install -y redis-server)")

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-") as tmp:
        port = free_port()
        redis_url = f"redis://127.0.0.1:{port}/0"
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            cwd=tmp,
        )
        app = build_app(Path(tmp), args.database_url, max(20_000, args.rows))
        try:
            app.config["JXJD_JOBS_REDIS"] = redis_url
            env = {
                **os.environ,
                "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "JXJD_KEY_DIR": app.config["JXJD_KEY_DIR"],
                "JXJD_QR_CACHE_DIR": app.config["JXJD_QR_CACHE_DIR"],
                "JXJD_PUBLIC_URL": app.config["JXJD_PUBLIC_URL"],
                "JXJD_JOBS_REDIS": redis_url,
            }
            per_worker = 1 + args.jobs
            base, sessions = create_sessions(2 * per_worker)
            token = base_token(base)
            taken: set[str] = set()
            sizes = [10] + [args.rows] * args.jobs
            for number, recycle_after in enumerate((0, args.rows)):
                mine = sessions[number * per_worker : (number + 1) * per_worker]
                rosters = [roster_xlsx(make_people(size, rng, taken)) for size in sizes]
                ids = [s.id for s in mine]
                run_jobs(app, env, ids, token, rosters, recycle_after, args.rows)
        finally:
            drop_schema(app, args.database_url)
            redis.terminate()
            redis.wait(timeout=30)


if __name__ == "__main__":
    main()
