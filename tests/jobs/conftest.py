"""A real Redis for the job tests: JXJD_TEST_REDIS_URL, else a redis-server started here."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    low, _, high = os.environ.get("JXJD_TEST_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port in JXJD_TEST_PORTS")


def _wait(url: str, timeout: float = 10) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A Redis URL the job tests may use (skipped without redis-server, unless CI requires it)."""
    given = os.environ.get("JXJD_TEST_REDIS_URL")
    if given:
        _wait(given)
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true" or os.environ.get("JXJD_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed, but CI=true or JXJD_REQUIRE_REDIS=1")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(url)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def jobs_redis(app, redis_server, monkeypatch) -> str:
    """The app's jobs on the test Redis, with an empty queue."""
    import redis

    from jxjd.jobs.services import QUEUE_NAME

    monkeypatch.setitem(app.config, "JXJD_JOBS_REDIS", redis_server)
    conn = redis.Redis.from_url(redis_server)
    for key in conn.scan_iter(f"rq:*{QUEUE_NAME}*"):
        conn.delete(key)
    return redis_server
