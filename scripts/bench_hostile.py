#!/usr/bin/env python3
"""Benchmark hostile roster files (CONTRACT §11) against the app running under gunicorn.

Every file of the corpus in tests/attendance/hostile.py is POSTed to the upload API and to the
error-report endpoint of a real gunicorn worker (one sync worker, a fresh SQLite database). For each
request the script prints the status and problem code, the wall time, the worker's CPU time, and
the worker's peak resident memory above its size before the request (the kernel's high-water mark,
reset before each request through /proc/<pid>/clear_refs). Linux only. The target: every file
answered with its 4xx within 2 s and under 200 MB of extra memory.

    .venv/bin/python scripts/bench_hostile.py [--port 18101] [--only NAME ...] [--app-root DIR]

`--app-root` serves another checkout of the app (e.g. an older commit exported with git archive) to
compare; the corpus and the database are built with this checkout.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

TARGET_SECONDS = 2.0
TARGET_MB = 200


def prepare(workdir: Path) -> tuple[int, str]:
    """A migrated SQLite database with a base, one started session and the base's token."""
    from bench_ingest import base_token, build_app, create_sessions

    build_app(workdir)
    base, sessions = create_sessions(1)
    return sessions[0].id, base_token(base)


def start_server(workdir: Path, app_root: Path, port: int, log) -> subprocess.Popen:
    """gunicorn with one sync worker on the prepared database; returns once it answers."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "JXJD_KEY_DIR": str(workdir / "keys"),
        "JXJD_QR_CACHE_DIR": str(workdir / "qr-cache"),
        "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        "PYTHONPATH": str(app_root),
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            "--log-level=warning",
            "app:app",
        ],
        cwd=app_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def worker_pid(master: int) -> int:
    """The pid of the master's live worker (a new one after a worker died)."""
    for _ in range(300):
        for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue
            if "VmRSS:" in status and "booting" not in Path(f"/proc/{child}/cmdline").read_text():
                return int(child)
        time.sleep(0.1)
    raise SystemExit("no gunicorn worker")


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(port: int, path: str, token: str, data: bytes, filename: str, timeout: float):
    """POST a multipart upload; (status, problem code or "", seconds) — status 0 if dropped."""
    import json

    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        resp = conn.getresponse()
        payload = resp.read()
        status = resp.status
    except (OSError, http.client.HTTPException):
        return 0, "connection dropped", time.perf_counter() - started
    elapsed = time.perf_counter() - started
    code = ""
    if resp.getheader("Content-Type", "").startswith("application/problem+json"):
        problem = json.loads(payload)
        codes = [e["code"] for e in problem.get("errors") or []]
        code = problem.get("code") or ""
        if code == "validation_failed" and codes:
            code = codes[0]
    return status, code, elapsed


def main() -> None:
    """Run every corpus file through both endpoints and print the figures."""
    from tests.attendance import hostile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18101)
    parser.add_argument("--only", nargs="*", help="corpus entries to run (default: all)")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request")
    args = parser.parse_args()
    entries = [
        h for h in (*hostile.CORPUS, hostile.UTF16_CSV) if not args.only or h.name in args.only
    ]

    with tempfile.TemporaryDirectory(prefix="jxjd-hostile-") as tmp:
        workdir = Path(tmp)
        session_id, token = prepare(workdir)
        log = (workdir / "gunicorn.log").open("wb")  # a dying worker's trace goes here
        server = start_server(workdir, args.app_root.resolve(), args.port, log)
        try:
            endpoints = {
                "upload": f"/api/v1/sessions/{session_id}/attendance",
                "report": f"/api/v1/sessions/{session_id}/attendance/error-report",
            }
            # Warm the worker (imports, connection pool) so its idle size is what it serves with.
            small = hostile.build("formula_cells")
            for path in endpoints.values():
                post(args.port, path, token, small, "a.xlsx", args.timeout)
            print(
                f"{'file':28} {'bytes':>9} {'endpoint':8} {'status':>6} {'code':18} "
                f"{'wall s':>7} {'cpu s':>6} {'peak MB':>8} {'+MB':>7}  expected"
            )
            worst_time = worst_mb = 0.0
            misses = []
            for entry in entries:
                data = hostile.build(entry.name)
                for label, path in endpoints.items():
                    pid = worker_pid(server.pid)
                    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS
                    idle = status_kb(pid, "VmRSS")
                    cpu = cpu_seconds(pid)
                    status, code, elapsed = post(
                        args.port, path, token, data, entry.filename, args.timeout
                    )
                    try:
                        peak = status_kb(pid, "VmHWM")
                        used = cpu_seconds(pid) - cpu
                    except (FileNotFoundError, KeyError):  # the worker died
                        peak, used = 0, float("nan")
                    extra = (peak - idle) / 1024
                    expected = entry.status, entry.code
                    if label == "report" and entry.status == 422:
                        expected = 200, ""  # row errors: the report is the answer
                    ok = status == expected[0] and (not expected[1] or code == expected[1])
                    if not ok or elapsed > TARGET_SECONDS or extra > TARGET_MB:
                        misses.append(f"{entry.name}/{label}")
                    worst_time, worst_mb = max(worst_time, elapsed), max(worst_mb, extra)
                    print(
                        f"{entry.name:28} {len(data):9d} {label:8} {status:6d} {code[:18]:18} "
                        f"{elapsed:7.3f} {used:6.2f} {peak / 1024:8.1f} {extra:7.1f}  "
                        f"{expected[0]} {expected[1]}{'' if ok else '  <-- MISMATCH'}",
                        flush=True,
                    )
            print(
                f"worst wall time {worst_time:.3f} s (target {TARGET_SECONDS} s); "
                f"worst extra memory {worst_mb:.1f} MB (target {TARGET_MB} MB)"
            )
            print("all within target" if not misses else "missed: " + ", ".join(misses))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    main()
