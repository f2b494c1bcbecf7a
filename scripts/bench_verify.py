#!/usr/bin/env python3
"""Benchmark GET /api/v1/verify against the bare GET /api/v1/health of the same gunicorn app.

A temporary SQLite database is prepared through the app's own commands and services (db upgrade,
the demo data set, more rosters uploaded with import_attendance) so that a few hundred real,
signed certificates exist. gunicorn (2 workers by default) serves it on 127.0.0.1, and wrk loads
first the health endpoint, then the verify endpoint with a Lua script rotating over the real
tokens, alternating the two loads over a few rounds. Prints requests/s and p50/p99 latency for
both (medians over the rounds) and the ratio verify/bare (target ≥ 60 %), once as configured
(per-worker cache of verified signatures on) and once with that cache off (JXJD_VERIFY_CACHE_SIZE
= 0, every signature checked: the cold figure).

    .venv/bin/python scripts/bench_verify.py [--duration 10] [--connections 16] [--threads 2]
    .venv/bin/python scripts/bench_verify.py --both --database-url postgresql+psycopg://...

--both runs the whole benchmark on a temporary SQLite file and on the given (empty) PostgreSQL
database, one after the other, and prints bare and verify of both side by side.

--lookups also times the register look-up itself in this process (CPU per call, best of 5 ×
2,000 calls, time.thread_time): the certificate read that every verify makes, and a bare
`SELECT 1` through the same reader, beside the gunicorn figures.

--qr adds one cached QR image (answered from the file, and 304 by its ETag); --burst 8 adds a
verify load while 8 clients keep uploading rosters (with --redis-url, as RQ jobs run by `flask
jobs worker`, one per gunicorn worker).

Needs wrk (Debian: apt-get install -y wrk). A benchmark, never a timed test assertion.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
TARGET_RATIO = 0.60

LUA_ROTATE = """-- wrk: GET /api/v1/verify?t=<token>, rotating over real certificate tokens
local tokens = {}
for line in io.lines("%(path)s") do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
function init(args)
  i = offset or 0
end
function request()
  i = i + 1
  return wrk.format("GET", "/api/v1/verify?t=" .. tokens[(i %% #tokens) + 1])
end
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict[str, str], certificates: int) -> tuple[list[str], str, list[int]]:
    """Migrate, load the demo, top up with rosters until `certificates` exist.

    Returns the valid certificates' tokens, an admin bearer token (QR images, burst uploads)
    and the sessions' ids.
    """
    flask = [str(VENV_BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)

    os.environ.update(env)  # Config reads the environment when jxjd.config is imported
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from jxjd import create_app
    from jxjd.accounts.services import Scope, create_token
    from jxjd.attendance.demo import demo_people
    from jxjd.attendance.importing import rows_from_json
    from jxjd.attendance.services import import_attendance
    from jxjd.auth import Actor
    from jxjd.certificates.models import Certificate
    from jxjd.extensions import db
    from jxjd.sessions.models import TrainingSession

    app = create_app()
    with app.app_context():
        sessions = list(db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.id)))
        seed = 1000
        while db.session.scalar(sa.select(sa.func.count(Certificate.id))) < certificates:
            for session in sessions:
                actor = Actor(role="base", name="压测基地", ref="bench", base_id=session.base_id)
                rows = rows_from_json(demo_people(60, seed=seed))
                import_attendance(actor, session, rows, mode="partial")
                seed += 1
            db.session.commit()
        tokens = list(
            db.session.scalars(
                sa.select(Certificate.token)
                .where(Certificate.revoked_at.is_(None))
                .order_by(Certificate.id)
            )
        )
        admin = Actor(role="admin", name="压测管理员", ref="bench")
        _, bearer = create_token(admin, Scope(role="admin", name="压测管理员"), days=1)
        db.session.commit()
        session_ids = [session.id for session in sessions]
        db.session.remove()
    return tokens, bearer, session_ids


def drop_tables(database_url: str) -> None:
    """Leave the given database empty again."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll the health endpoint until gunicorn answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start in time")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    """A wrk duration ("812.00us", "3.21ms", "1.02s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str,
    args: argparse.Namespace,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """One bounded wrk run; requests/s, p50, p99 (ms), errors and non-2xx counts."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(0) if errors else "",
        "raw": out,
    }


def median_run(runs: list[dict]) -> dict:
    """Per-figure medians over rounds; error and non-2xx counts summed."""
    merged = {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99")}
    merged["non2xx"] = sum(r["non2xx"] for r in runs)
    merged["errors"] = "; ".join(r["errors"] for r in runs if r["errors"])
    return merged


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=300, help="at least this many")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each load")
    parser.add_argument(
        "--cached-only", action="store_true", help="skip the run without the verified-token cache"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty PostgreSQL database to run on (default: a temporary SQLite file); "
        "its tables are dropped again at the end",
    )
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (0: any free)")
    parser.add_argument(
        "--both",
        action="store_true",
        help="run on SQLite and on --database-url, and print both side by side",
    )
    parser.add_argument(
        "--qr",
        action="store_true",
        help="also load one cached QR image (from the file, and 304 by its ETag)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=0,
        help="also load verify while this many clients upload rosters at once (e.g. 8)",
    )
    parser.add_argument("--burst-rows", type=int, default=1000, help="rows per burst upload")
    parser.add_argument(
        "--redis-url",
        default=None,
        help="a Redis for rate limits and jobs: burst uploads then go to RQ workers "
        "(Prefer: respond-async) run by `flask jobs worker`",
    )
    parser.add_argument(
        "--lookups",
        action="store_true",
        help="also time the register look-up per call in this process (CPU µs)",
    )
    parser.add_argument("--json-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.both:
        if not args.database_url:
            parser.error("--both needs --database-url (an empty PostgreSQL database)")
        return run_both(argv or sys.argv[1:], args)

    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="jxjd-bench-"))
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
        "JXJD_KEY_DIR": str(tmp / "keys"),
        "JXJD_QR_CACHE_DIR": str(tmp / "qr-cache"),
        "JXJD_PUBLIC_URL": url,
        # Every look-up here is valid, so none is counted; raised anyway so a bench never 429s.
        "JXJD_VERIFY_FAIL_LIMIT": "1000000 per minute",
    }
    if args.redis_url:
        env.update(JXJD_RATELIMIT_STORAGE=args.redis_url, JXJD_JOBS_REDIS=args.redis_url)
    try:
        print(f"preparing ≥{args.certificates} certificates in {tmp} ...", flush=True)
        started = time.monotonic()
        tokens, bearer, sessions = prepare(env, args.certificates)
        env["JXJD_BENCH_SESSIONS"] = ",".join(map(str, sessions))
        print(f"  {len(tokens)} valid certificates in {time.monotonic() - started:.1f}s")
        if args.lookups:
            lookup_cpu(tokens)
        token_file = tmp / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n", encoding="ascii")
        script = tmp / "verify.lua"
        script.write_text(LUA_ROTATE % {"path": token_file}, encoding="utf-8")
        print(
            f"gunicorn {args.workers} workers on {url}; wrk -t{args.threads} "
            f"-c{args.connections} -d{args.duration}s; {args.rounds} alternating rounds; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        scenarios = [("verified-token cache on (default)", None)]
        if not args.cached_only:
            scenarios.append(("verified-token cache off: every signature checked", 0))
        results = {}
        for title, cache_size in scenarios:
            print(f"\n== {title}", flush=True)
            bare, verify, qr = serve_and_load(
                tmp, env, url, tokens, script, args, cache_size, bearer
            )
            report(bare, verify, qr, args.workers)
            results[title] = {"bare": bare, "verify": verify, **qr}
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(results), encoding="utf-8")
        print(f"\nload average afterwards {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        if args.database_url:
            drop_tables(args.database_url)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run_both(argv: list[str], args: argparse.Namespace) -> int:
    """The benchmark once per database (each in its own process), then both side by side."""
    base = [a for a in argv if a != "--both"]
    without_url, skip = [], False
    for a in base:  # the SQLite run drops --database-url (and its value)
        if skip:
            skip = False
            continue
        if a == "--database-url":
            skip = True
            continue
        if not a.startswith("--database-url="):
            without_url.append(a)
    figures = {}
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-both-") as tmp:
        for name, extra in (("SQLite", without_url), ("PostgreSQL", base)):
            print(f"\n######## {name}", flush=True)
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, __file__, *extra, "--json-out", str(out)]
            if subprocess.run(command, cwd=ROOT).returncode != 0:
                print(f"the {name} run failed", file=sys.stderr)
                return 1
            figures[name] = json.loads(out.read_text(encoding="utf-8"))
    print(f"\n== side by side (medians over {args.rounds} rounds; target verify ≥ 60 % of bare)")
    print(f"  {'database / scenario':<44}{'bare req/s':>11}{'verify req/s':>13}{'ratio':>7}")
    print(f"  {'':<44}{'p50 ms':>11}{'p50 ms':>13}")
    for name, scenarios in figures.items():
        for title, pair in scenarios.items():
            bare, verify = pair["bare"], pair["verify"]
            ratio = verify["rps"] / bare["rps"] if bare["rps"] else 0.0
            label = f"{name}: {title.split(':')[0]}"
            print(f"  {label:<44}{bare['rps']:>11.0f}{verify['rps']:>13.0f}{ratio:>7.0%}")
            print(f"  {'':<44}{bare['p50']:>11.2f}{verify['p50']:>13.2f}")
            burst = pair.get("verify during burst")
            if burst:
                print(
                    f"  {'':<44}verify during the burst: {burst['rps']:.0f} req/s, p50 "
                    f"{burst['p50']:.2f} ms, {burst['uploads']} uploads done"
                )
            for load in ("qr 200", "qr 304"):
                if load in pair:
                    service = 1000 * args.workers / pair[load]["rps"]
                    print(
                        f"  {'':<44}{load}: {pair[load]['rps']:.0f} req/s, p50 "
                        f"{pair[load]['p50']:.2f} ms, {service:.2f} ms of a worker per answer"
                    )
    return 0


def serve_and_load(
    tmp: Path,
    env: dict[str, str],
    url: str,
    tokens: list[str],
    script: Path,
    args: argparse.Namespace,
    cache_size: int | None,
    bearer: str = "",
) -> tuple[dict, dict, dict]:
    """Start gunicorn on the app (optionally with a verify cache size), load it, stop it."""
    overrides = {} if cache_size is None else {"JXJD_VERIFY_CACHE_SIZE": cache_size}
    (tmp / "bench_app.py").write_text(
        f"from jxjd import create_app\n\napp = create_app({overrides!r})\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(args.workers),
            "--bind",
            url.removeprefix("http://"),
            "--pythonpath",
            f"{ROOT},{tmp}",
            "--log-level",
            "warning",
            "bench_app:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(url, proc)
        sample = get_json(f"{url}/api/v1/verify?t={tokens[0]}")
        assert sample["result"] == "valid", sample
        for token in tokens[:50]:  # warm both workers (imports, connections)
            get_json(f"{url}/api/v1/verify?t={token}")
        # Alternate the two loads and take medians: other work on the machine then weighs on
        # both endpoints alike instead of on whichever ran during a busy spell.
        qr_loads = qr_requests(url, tokens[0], bearer) if args.qr else {}
        bare_runs, verify_runs = [], []
        qr_runs: dict[str, list[dict]] = {name: [] for name in qr_loads}
        for number in range(1, args.rounds + 1):
            bare_runs.append(run_wrk(f"{url}/api/v1/health", args))
            verify_runs.append(run_wrk(url, args, script))
            line = f"  round {number}: bare {bare_runs[-1]['rps']:.0f} req/s, "
            line += f"verify {verify_runs[-1]['rps']:.0f} req/s"
            for name, (qr_url, headers) in qr_loads.items():
                qr_runs[name].append(run_wrk(qr_url, args, headers=headers))
                line += f", {name} {qr_runs[name][-1]['rps']:.0f} req/s"
            print(line, flush=True)
            if args.verbose:
                print(bare_runs[-1]["raw"], verify_runs[-1]["raw"], sep="\n")
        qr = {name: median_run(runs) for name, runs in qr_runs.items()}
        if args.burst:
            qr["verify during burst"] = verify_during_burst(url, script, args, env, bearer)
        return median_run(bare_runs), median_run(verify_runs), qr
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def lookup_cpu(tokens: list[str], calls: int = 2000, rounds: int = 5) -> None:
    """CPU per call of the register look-up, in this process (the app prepare() made)."""
    from jxjd import create_app
    from jxjd.common.db import fetch_prepared
    from jxjd.extensions import db
    from jxjd.verify import services

    app = create_app()
    with app.test_request_context("/api/v1/verify"):
        outcome = services.verify_certificate(token=tokens[0])
        assert outcome.certificate is not None
        stored = outcome.certificate
        scanned = (stored.token, stored.payload)
        loads = {
            "certificate look-up (verify)": lambda: services.find_certificate(
                stored.serial, scanned
            )
        }
        if db.engine.dialect.name == "postgresql":
            loads["SELECT 1 on the same reader"] = lambda: fetch_prepared("SELECT 1", {})
        print("register look-up, CPU per call in this process (best of 5):")
        for name, call in loads.items():
            for _ in range(200):
                call()
            best = float("inf")
            for _ in range(rounds):
                started = time.thread_time()
                for _ in range(calls):
                    call()
                best = min(best, (time.thread_time() - started) / calls)
            print(f"  {name:<32}{best * 1e6:8.1f} µs", flush=True)


def verify_during_burst(
    url: str, script: Path, args: argparse.Namespace, env: dict[str, str], bearer: str
) -> dict:
    """One verify load while `args.burst` clients keep uploading rosters (as jobs with Redis)."""
    from concurrent.futures import ThreadPoolExecutor

    sys.path.insert(0, str(ROOT))
    from jxjd.attendance.demo import demo_people

    workers = []
    if args.redis_url:  # as many job workers as gunicorn workers
        command = [str(VENV_BIN / "flask"), "--app", "app", "jobs", "worker"]
        workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(args.workers)]
    sessions = [int(s) for s in env["JXJD_BENCH_SESSIONS"].split(",")]
    stop = time.monotonic() + args.duration
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    if args.redis_url:
        headers["Prefer"] = "respond-async"

    def upload(client: int) -> tuple[int, int]:
        done = failed = 0
        seed = 10_000 * (client + 1)
        while time.monotonic() < stop:
            seed += 1
            rows = demo_people(args.burst_rows, seed=seed)
            body = json.dumps({"rows": rows}, default=str).encode()
            session = sessions[client % len(sessions)]
            request = urllib.request.Request(
                f"{url}/api/v1/sessions/{session}/attendance?mode=partial",
                data=body,
                headers=headers,
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as resp:
                    location = resp.headers.get("Location") if resp.status == 202 else None
                status = "finished"
                while location and time.monotonic() < stop + 120:
                    poll = urllib.request.Request(url + location, headers=headers)
                    with urllib.request.urlopen(poll, timeout=30) as resp:
                        status = json.loads(resp.read())["status"]
                    if status in ("finished", "failed"):
                        break
                    time.sleep(0.2)
                if status == "finished":
                    done += 1
                else:
                    failed += 1
            except OSError:
                failed += 1
        return done, failed

    try:
        with ThreadPoolExecutor(args.burst) as pool:
            uploads = [pool.submit(upload, n) for n in range(args.burst)]
            time.sleep(0.5)  # the uploads are under way
            result = run_wrk(url, args, script)
            counts = [u.result() for u in uploads]
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    result["uploads"] = sum(c[0] for c in counts)
    result["upload_failures"] = sum(c[1] for c in counts)
    print(
        f"  during a burst of {args.burst} uploading clients ({args.burst_rows} rows each, "
        f"{'jobs' if args.redis_url else 'synchronous'}): verify {result['rps']:.0f} req/s, "
        f"p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, non-2xx {result['non2xx']}, "
        f"{result['errors'] or 'no socket errors'}; {result['uploads']} uploads done, "
        f"{result['upload_failures']} failed",
        flush=True,
    )
    return result


def qr_requests(url: str, token: str, bearer: str) -> dict[str, tuple[str, dict[str, str]]]:
    """The cached QR image of one certificate: answered from the file, and 304 by its ETag."""
    payload = token.split(".")[1]
    serial = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sn"]
    qr_url = f"{url}/api/v1/certificates/{serial}/qr.png"
    auth = {"Authorization": f"Bearer {bearer}"}
    request = urllib.request.Request(qr_url, headers=auth)
    with urllib.request.urlopen(request, timeout=10) as resp:  # renders it into the cache
        etag = resp.headers["ETag"]
    return {"qr 200": (qr_url, auth), "qr 304": (qr_url, {**auth, "If-None-Match": etag})}


def report(bare: dict, verify: dict, qr: dict | None = None, workers: int = 2) -> None:
    """The figures of one scenario (medians over the rounds)."""
    print(f"  {'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    loads = [("GET /api/v1/health (bare)", bare), ("GET /api/v1/verify?t=", verify)]
    extra = dict(qr or {})
    burst = extra.pop("verify during burst", None)
    qr = extra
    loads += [(f"GET qr.png ({name[3:]})", result) for name, result in qr.items()]
    if burst is not None:
        loads.append(("verify during the burst", burst))
    for name, result in loads:
        print(
            f"  {name:<28}{result['rps']:>10.0f}{result['p50']:>10.2f}"
            f"{result['p99']:>10.2f}{result['non2xx']:>9}"
        )
        if result["errors"]:
            print(f"    {result['errors']}")
    ratio = verify["rps"] / bare["rps"] if bare["rps"] else 0.0
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"  verify/bare throughput: {ratio:.0%} ({verdict} the {TARGET_RATIO:.0%} target)")
    for name, result in (qr or {}).items():
        # With every connection busy, a worker spends workers / throughput on each answer
        # (wrk and the database share the same CPUs, so this is an upper bound).
        service = 1000 * workers / result["rps"] if result["rps"] else float("inf")
        bare_service = 1000 * workers / bare["rps"] if bare["rps"] else float("inf")
        print(
            f"  {name}: {service:.2f} ms of a worker per answer (bare {bare_service:.2f} ms; "
            "target ≤ 1 ms for a cached image)"
        )
    if verify["non2xx"] or bare["non2xx"]:
        print("  warning: some responses were not 2xx", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
