"""Operations under gunicorn (CONTRACT §15): /metrics adds up every worker, recycled ones included;
/api/v1/ready checks the shared rate-limit store; JSON log lines and the access log carry request
ids and no personal data.

The servers, Redis and database come from tests/foundation/test_rate_limit_workers.py.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.foundation.test_rate_limit_workers import (  # noqa: F401 - fixtures
    ROOT,
    Server,
    _free_port,
    _status,
    _wait_until_serving,
    redis_url,
    server_env,
)

METRICS_TOKEN = "scrape-token-0123456789abcdef"
ID_NUMBER = "430104199003070015"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these servers have their own database."""


@contextmanager
def serve(env: dict[str, str], tmp_path: Path, *args: str, workers: int = 2) -> Iterator[Server]:
    """gunicorn app:app with the access log on, JSON logs, the metrics token; its log file."""
    port = _free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    command = [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", "-", "--access-logfile", "-"]
    command += ["--no-control-socket", *args]
    env = {"JXJD_METRICS_TOKEN": METRICS_TOKEN, "JXJD_LOG_FORMAT": "json", **env}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_serving(server, process, workers)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _health_count(server: Server) -> float:
    """main.health 200s as /metrics reports them (whichever worker answers the scrape)."""
    status, headers, body = _get(
        server.url + "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    pattern = (
        r'^jxjd_http_requests_total\{endpoint="main\.health",method="GET",status="200"\} (\S+)$'
    )
    match = re.search(pattern, body.decode(), re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_add_up_every_worker_including_recycled_ones(server_env, tmp_path):  # noqa: F811
    folder = tmp_path / "metrics"
    env = {**server_env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    # --max-requests 15: each worker is replaced after 15 requests, so the burst outlives them.
    with serve(env, tmp_path, "--max-requests", "15") as server:
        before = _health_count(server)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _status(server.url + "/api/v1/health"), range(60)))
        assert statuses == [200] * 60
        scraped = {_health_count(server) for _ in range(6)}  # each lands on either worker
        log = server.log()
        pids = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in folder.glob("counter_*.db")}
    assert scraped == {before + 60}, scraped
    assert log.count("Booting worker") > 2  # workers were recycled meanwhile
    assert len(pids) > 2  # every process that counted left its file, and was added up


def test_ready_checks_the_shared_rate_limit_store(server_env, redis_url, tmp_path):  # noqa: F811
    with serve({**server_env, "JXJD_RATELIMIT_STORAGE": redis_url}, tmp_path, workers=1) as up:
        status, headers, body = _get(up.url + "/api/v1/ready")
        metrics = _get(up.url + "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200, body
    assert json.loads(body) == {
        "status": "ready",
        "checks": ["database", "key_store", "rate_limit_store"],
    }
    assert metrics[0] == 200  # PROMETHEUS_MULTIPROC_DIR made by gunicorn.conf.py works too

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        dead = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        with serve({**server_env, "JXJD_RATELIMIT_STORAGE": dead}, tmp_path, workers=1) as down:
            status, headers, body = _get(down.url + "/api/v1/ready")
            health = _status(down.url + "/api/v1/health")
    assert status == 503 and headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["code"] == "not_ready" and int(headers["Retry-After"]) > 0
    assert [e["code"] for e in problem["errors"]] == ["rate_limit_unavailable"]
    assert health == 200  # liveness is not readiness


@pytest.fixture
def fresh_env(server_env, tmp_path) -> dict[str, str]:  # noqa: F811
    """server_env with a database and key store of this test's own (migrated, no keys yet)."""
    env = {
        **server_env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "JXJD_KEY_DIR": str(tmp_path / "fresh-keys"),
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return env


def test_logs_are_json_lines_with_request_ids_and_no_personal_data(fresh_env, tmp_path):
    with serve(fresh_env, tmp_path, workers=1) as server:
        status, headers, _ = _get(
            f"{server.url}/api/v1/verify?serial={ID_NUMBER}", {"X-Request-ID": "trace-42"}
        )
        assert status == 200 and headers["X-Request-ID"] == "trace-42"
        token = "jx_q3Zr8vYtWm2LkP0sNd5HfGa7Jc4Xe1Bu9Ri6Oy"
        status, headers, _ = _get(server.url + "/metrics", {"Authorization": f"Bearer {token}"})
        assert status == 401 and re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
        log = server.log()
    assert ID_NUMBER not in log and token not in log
    access = [line for line in log.splitlines() if "trace-42" in line]
    assert len(access) == 1 and "/api/v1/verify?serial=***" in access[0]
    app_lines = [json.loads(line) for line in log.splitlines() if line.startswith('{"ts"')]
    assert all({"ts", "level", "logger", "message"} <= set(entry) for entry in app_lines)
    [created] = [e for e in app_lines if e["message"].startswith("created keys for a database")]
    assert created["level"] == "WARNING" and created["logger"] == "jxjd.keys.services"
