"""`flask jobs worker` starts itself afresh after a very large job (JXJD_RECYCLE_AFTER_ROWS, 3
here), as gunicorn.conf.py replaces a web worker: same process id, a new RQ worker, and the
jobs queued behind the large one are still done.

The worker shares the suite's database (its fixtures make the base and session), so this runs in
the PostgreSQL pass, as tests/foundation/test_worker_recycling.py does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job

from jxjd.extensions import db
from jxjd.jobs.services import queue
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.jobs.test_jobs import ASYNC, _post

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="the worker shares the suite's database (the PostgreSQL pass runs this)",
)


def _state(client, resp, headers) -> dict:
    return client.get(resp.headers["Location"], headers=headers).get_json()


def test_the_job_worker_starts_afresh_after_a_large_job(
    app, client, open_session, jobs_redis, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "JXJD_RECYCLE_AFTER_ROWS", 3)
    target = open_session()
    db.session.commit()  # the worker reads what the fixture made
    large = _post(client, target, roster_xlsx(trainees(3)), ASYNC)
    small = _post(client, target, roster_xlsx(trainees(1)), ASYNC)
    assert (large.status_code, small.status_code) == (202, 202)

    env = {k: v for k, v in os.environ.items() if not k.startswith("JXJD_")}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        JXJD_KEY_DIR=app.config["JXJD_KEY_DIR"],
        JXJD_PUBLIC_URL=app.config["JXJD_PUBLIC_URL"],
        JXJD_QR_CACHE_DIR=str(tmp_path / "qr"),
        JXJD_JOBS_REDIS=jobs_redis,
        JXJD_RECYCLE_AFTER_ROWS="3",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db.session.remove()
                if _state(client, small, target.headers)["status"] in ("finished", "failed"):
                    break
                assert worker.poll() is None, log.read_text()
                time.sleep(0.2)
            first = _state(client, large, target.headers)
            second = _state(client, small, target.headers)
            assert worker.poll() is None  # still the same process
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    text = log.read_text()
    assert (first["status"], first["result"]["recorded"]) == ("finished", 3), text
    assert (second["status"], second["result"]["recorded"]) == ("finished", 1), text
    assert text.count("starting afresh after a large job") == 1, text
    with app.app_context():
        names = {
            Job.fetch(r.get_json()["id"], connection=queue().connection).worker_name
            for r in (large, small)
        }
    assert len(names) == 2  # the second job was run by the new worker
