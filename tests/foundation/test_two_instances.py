"""Two instances on one PostgreSQL and one Redis (CONTRACT §15): nothing lives in one instance.

Two gunicorns (two workers each) serve the test session's PostgreSQL database with its key store
and share one Redis for rate limits and jobs; a job worker runs as its own process (`flask jobs
worker --burst`). Uploads, verification, revocation, rate limits and jobs are checked across
them. PostgreSQL only (CI's PostgreSQL pass): SQLite is one file on one machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.foundation.test_rate_limit_workers import (  # noqa: F401 (the redis_url fixture)
    UNKNOWN_SERIAL,
    gunicorn,
    redis_url,
)

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="two instances share a PostgreSQL database (the PostgreSQL pass runs this)",
)
ROOT = Path(__file__).resolve().parents[2]
VERIFY_LIMIT = 10


def _call(url: str, *, data: bytes | None = None, headers: dict | None = None, method=None):
    """(status, headers, JSON body or None)."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            body = resp.read()
            status, got = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        body, status, got = exc.read(), exc.code, exc.headers
    return status, got, (json.loads(body) if body[:1] in (b"{", b"[") else None)


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "jxjd-two-instances"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(server: str, target, data: bytes, prefer: str | None = None):
    body, content_type = _multipart(data)
    headers = {**target.headers, "Content-Type": content_type}
    if prefer:
        headers["Prefer"] = prefer
    return _call(f"{server}/api/v1/sessions/{target.id}/attendance", data=body, headers=headers)


@pytest.fixture
def instances(app, redis_url, tmp_path):  # noqa: F811 (the imported fixture)
    """Two gunicorns on the session's database and key store, sharing `redis_url`."""
    import contextlib

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JXJD_", "DATABASE_URL", "TEST_DATABASE_URL", "WEB_CONCURRENCY"))
    }
    base.update(
        DATABASE_URL=os.environ["TEST_DATABASE_URL"],
        JXJD_KEY_DIR=app.config["JXJD_KEY_DIR"],
        JXJD_PUBLIC_URL=app.config["JXJD_PUBLIC_URL"],
        JXJD_VERIFY_FAIL_LIMIT=f"{VERIFY_LIMIT} per minute",
        JXJD_LOG_FORMAT="text",
    )
    envs = [{**base, "JXJD_QR_CACHE_DIR": str(tmp_path / f"qr-{n}")} for n in (0, 1)]
    for n in (0, 1):
        (tmp_path / f"i{n}").mkdir()
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(gunicorn(env, redis_url, 2, tmp_path / f"i{n}"))
            for n, env in enumerate(envs)
        ]
        yield [s.url for s in servers], {**base, "JXJD_RATELIMIT_STORAGE": redis_url}


def _run_jobs(env: dict[str, str]) -> None:
    """One job worker process, until the queue is empty."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_two_instances_answer_alike_for_uploads_verification_limits_and_jobs(
    open_session, instances
):
    (one, two), env = instances
    target, other = open_session(), open_session()
    db.session.commit()  # the servers read what the fixtures made

    # An upload on one instance; the same roster on the other is already recorded there.
    people = trainees(6)
    status, _, stored = _upload(one, target, roster_xlsx(people))
    assert status == 200 and (stored["recorded"], stored["certificates_issued"]) == (6, 6)
    status, _, again = _upload(two, target, roster_xlsx(people))
    assert status == 200 and (again["recorded"], again["already_recorded"]) == (0, 6)

    # A job started on one instance is followed on the other, run by a separate worker.
    status, headers, accepted = _upload(one, other, roster_xlsx(trainees(3)), "respond-async")
    assert status == 202, accepted
    location = headers["Location"]
    status, _, queued = _call(two + location, headers=other.headers)
    assert status == 200 and queued["status"] == "queued"
    _run_jobs(env)
    finished = [_call(server + location, headers=other.headers)[2] for server in (one, two)]
    assert finished[0] == finished[1] and finished[0]["status"] == "finished"
    assert finished[0]["result"]["recorded"] == 3
    status, _, _ = _call(two + location, headers=target.headers)
    assert status == 403  # another base's job, whichever instance is asked

    # Verification: the same answer from both; a revocation on one is seen at once on the other.
    db.session.remove()
    token, serial = db.session.execute(
        sa.select(Certificate.token, Certificate.serial).order_by(Certificate.id).limit(1)
    ).one()
    url = f"/api/v1/verify?t={token}"
    answers = [_call(server + url) for server in (one, two)]
    assert answers[0][0] == answers[1][0] == 200 and answers[0][2] == answers[1][2]
    assert answers[0][2]["result"] == "valid"
    revoke = json.dumps({"reason": "重复发证"}).encode()
    status, _, _ = _call(
        f"{one}/api/v1/certificates/{serial}/revoke",
        data=revoke,
        headers={**target.headers, "Content-Type": "application/json"},
    )
    assert status == 200
    assert _call(two + url)[2]["result"] == "revoked"

    # One rate limit across both instances: failed look-ups counted once, wherever they land.
    statuses = Counter(
        _call(f"{server}/api/v1/verify?serial={UNKNOWN_SERIAL}")[0]
        for server in [one, two] * (VERIFY_LIMIT)
    )
    assert statuses == {200: VERIFY_LIMIT, 429: VERIFY_LIMIT}, statuses
