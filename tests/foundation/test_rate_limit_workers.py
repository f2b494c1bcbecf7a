"""Rate limits hold across gunicorn workers (CONTRACT §11): a shared Redis store counts each
attempt once, whichever worker answers it; the in-memory default warns at start-up when several
workers run on it; a Redis store that cannot be reached fails closed with 503.

The Redis store: JXJD_TEST_REDIS_URL (scripts/test.sh starts a throwaway redis-server and exports
it; the tests flush that database), else a redis-server started here. Without redis-server these
tests are skipped, unless CI=true or JXJD_REQUIRE_REDIS=1: then they fail.
"""

from __future__ import annotations

import concurrent.futures
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.auth import csrf_token_from
from tests.fixtures.servers import free_port, throwaway_redis

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
LOGIN_LIMIT = 20  # @limiter.limit("20 per minute") on POST /login
VERIFY_LIMIT = 10  # JXJD_VERIFY_FAIL_LIMIT for these servers
UNKNOWN_SERIAL = "AAAAAAAAAAAAAAAAAAAAAA"
WARNING = "rate limits are kept in each worker's memory"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these servers have their own database."""


_free_port = free_port  # the name the gunicorn tests import


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis the tests may flush: JXJD_TEST_REDIS_URL, or a redis-server of their own."""
    port = int(os.environ.get("JXJD_TEST_REDIS_PORT") or 0) or None
    with throwaway_redis(tmp_path_factory.mktemp("redis"), port) as url:
        yield url


@pytest.fixture(scope="module")
def server_env(tmp_path_factory) -> dict[str, str]:
    """Environment for gunicorn: a migrated SQLite database and key store of its own."""
    root = tmp_path_factory.mktemp("workers")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JXJD_", "DATABASE_URL", "TEST_DATABASE_URL", "WEB_CONCURRENCY"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{root / 'jxjd.sqlite3'}",
        JXJD_KEY_DIR=str(root / "keys"),
        JXJD_QR_CACHE_DIR=str(root / "qr"),
        JXJD_VERIFY_FAIL_LIMIT=f"{VERIFY_LIMIT} per minute",
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


class Server:
    """A gunicorn running the app; `log()` is its output so far (its log, the app's warnings)."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url, self.log_path = url, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def gunicorn(env: dict[str, str], storage: str, workers: int, tmp_path: Path) -> Iterator[Server]:
    """gunicorn app:app from the repository (so gunicorn.conf.py applies) on a free port."""
    port = _free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    command = [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", "-", "--no-control-socket"]
    with open(log_path, "ab") as log:  # gunicorn's log and the app's own warnings, in one file
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**env, "JXJD_RATELIMIT_STORAGE": storage},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_serving(server, process, workers)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown
        process.wait(30)


def _wait_until_serving(server: Server, process: subprocess.Popen, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited:\n" + server.log()
        booted = server.log_path.exists() and server.log().count("Booting worker") >= workers
        if booted and _status(server.url + "/api/v1/health") == 200:
            return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start:\n" + server.log())


def _status(url: str, data: bytes | None = None, opener=None) -> int:
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code
    except OSError:
        return 0


def _failed_login(base: str) -> int:
    """GET /login for a CSRF token, then POST a wrong password: 401, or 429 once limited."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base + "/login", timeout=30) as resp:
        token = csrf_token_from(resp.read().decode())
    form = {"username": "nobody", "password": "wrong-password", "csrf_token": token}
    return _status(base + "/login", urllib.parse.urlencode(form).encode(), opener)


def _failed_lookup(base: str) -> int:
    """An unknown serial: 200 with result not_found, or 429 once limited."""
    return _status(f"{base}/api/v1/verify?serial={UNKNOWN_SERIAL}")


def _burst(call, base: str, times: int) -> Counter:
    """`times` calls from 8 concurrent clients (all 127.0.0.1): how many got which status."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(lambda _: call(base), range(times)))


def test_a_shared_redis_store_holds_each_limit_across_workers(server_env, redis_url, tmp_path):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with gunicorn(server_env, redis_url, WORKERS, tmp_path) as server:
        logins = _burst(_failed_login, server.url, LOGIN_LIMIT + 10)
        lookups = _burst(_failed_lookup, server.url, 3 * VERIFY_LIMIT)
        log = server.log()
    assert logins == {401: LOGIN_LIMIT, 429: 10}, logins
    assert lookups == {200: VERIFY_LIMIT, 429: 2 * VERIFY_LIMIT}, lookups
    assert log.count("Booting worker") >= WORKERS
    assert WARNING not in log
    assert redis.Redis.from_url(redis_url).dbsize() > 0  # the counts live in Redis


def test_memory_storage_with_several_workers_warns_at_start_up(server_env, tmp_path):
    with gunicorn(server_env, "memory://", WORKERS, tmp_path) as server:
        deadline = time.monotonic() + 30
        while WARNING not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log()
    assert log.count(WARNING) == 1, log
    assert f"{WORKERS} workers run" in log and "JXJD_RATELIMIT_STORAGE" in log


def test_one_worker_or_a_shared_store_gives_no_warning():
    from jxjd.ratelimit import unshared_warning

    class App:
        def __init__(self, uri: str) -> None:
            self.config = {"RATELIMIT_STORAGE_URI": uri}

    assert unshared_warning(App("memory://"), 1) is None
    assert unshared_warning(App("redis://127.0.0.1:6379/0"), 4) is None
    assert WARNING in unshared_warning(App("memory://"), 2)


def test_an_unreachable_redis_store_fails_closed_with_503(server_env, tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        dead = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        _answers_503_while_unreachable(server_env, dead, tmp_path)


def _answers_503_while_unreachable(server_env, dead: str, tmp_path: Path) -> None:
    with gunicorn(server_env, dead, 1, tmp_path) as server:
        request = urllib.request.Request(
            f"{server.url}/api/v1/verify?serial={UNKNOWN_SERIAL}",
            headers={"Accept": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=30)
            raise AssertionError("the look-up was answered without its rate limit")
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, json.loads(exc.read())
        assert status == 503
        assert headers["Content-Type"].startswith("application/problem+json")
        assert body["code"] == "rate_limit_unavailable" and int(headers["Retry-After"]) > 0
        assert _failed_login(server.url) == 503
        assert _status(server.url + "/api/v1/health") == 200  # the rest keeps working
        log = server.log()
    assert "rate-limit store unreachable" in log
