"""A very large upload leaves memory in the worker that Python's allocator keeps (README
"Deployment guide"): gunicorn.conf.py replaces the worker once it has answered, as max_requests
does, so the memory is back at the baseline. JXJD_RECYCLE_AFTER_ROWS sets the size (3 here).

The server shares the suite's database (its fixtures make the base and session), so this runs in
the PostgreSQL pass: two processes on the suite's SQLite file, which other tests replace (restore)
and reopen, left later readers with "disk I/O error".
"""

from __future__ import annotations

import os
import time

import pytest

from jxjd.extensions import db
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.foundation.test_operations_gunicorn import serve
from tests.foundation.test_rate_limit_workers import server_env  # noqa: F401 (fixture)
from tests.foundation.test_two_instances import _upload

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="the server shares the suite's database (the PostgreSQL pass runs this)",
)


def _booted(server) -> int:
    return server.log().count("Booting worker")


def test_a_large_upload_replaces_the_worker_once_it_has_answered(
    app,
    open_session,
    server_env,  # noqa: F811 (the imported fixture)
    tmp_path,
):
    env = {
        **server_env,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "JXJD_KEY_DIR": app.config["JXJD_KEY_DIR"],
        "JXJD_PUBLIC_URL": app.config["JXJD_PUBLIC_URL"],
        "JXJD_RECYCLE_AFTER_ROWS": "3",
    }
    target = open_session()
    db.session.commit()  # the server reads what the fixture made
    with serve(env, tmp_path, workers=1) as server:
        status, _, small = _upload(server.url, target, roster_xlsx(trainees(2)))
        assert status == 200 and small["recorded"] == 2
        time.sleep(0.5)
        assert _booted(server) == 1  # a small upload keeps its worker

        status, _, large = _upload(server.url, target, roster_xlsx(trainees(3)))
        assert status == 200 and large["recorded"] == 3  # answered in full first
        deadline = time.monotonic() + 30
        while _booted(server) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log()
        assert _booted(server) == 2, log
        assert "after a large upload (memory back to baseline)" in log

        status, _, after = _upload(server.url, target, roster_xlsx(trainees(1)))
        assert status == 200 and after["recorded"] == 1  # the new worker serves
