#!/usr/bin/env python3
"""Benchmark two identity choices (CONTRACT §12) in-process, with the Flask test client.

1. Token last use: GET /api/v1/bases with a bearer token when `last_used_at` is never written,
   written at most once a minute (what the app does), and written on every request. Prints the
   median time per request of each and the cost of the write.
2. Registration refusals: POST /api/v1/register for each kind of mismatch (unknown person, wrong
   name, wrong code, malformed ID number) against the demo data set. Prints the median time of
   each: the refusals should cost about the same, so their timing does not tell them apart.

    .venv/bin/python scripts/bench_identity.py [--requests 1000] [--database-url URL]

Without --database-url a temporary SQLite file is used. A benchmark, never a timed test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, count: int, before=None) -> float:
    """Median seconds of `fn()` over `count` calls (`before()` runs untimed each time)."""
    samples = []
    for _ in range(count):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from jxjd import create_app

    tmp = Path(tempfile.mkdtemp(prefix="jxjd-bench-identity-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JXJD_KEY_DIR": str(tmp / "keys"),
            "JXJD_OUTBOX": str(tmp / "outbox.jsonl"),
        }
    )
    app.instance_path = str(tmp / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    try:
        run(app, args.requests)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(app, n: int) -> None:
    """Both measurements against a prepared app."""
    from flask_migrate import upgrade

    from jxjd.accounts import services as account_services
    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.extensions import db, limiter

    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "--force"])
        assert result.exit_code == 0, result.output
        _, plain = create_token(CLI, resolve_scope("admin", "bench"))
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {plain}"}

        def get():
            resp = client.get("/api/v1/accounts?per_page=1", headers=headers)
            assert resp.status_code == 200

        print(f"database: {db.engine.dialect.name}; {n} requests per figure, in interleaved rounds")
        original = account_services.note_token_use
        modes = {
            "last_used_at never written": (lambda token, now: None, 60),
            "written at most once a minute": (original, 60),
            "written on every request": (original, 0),
        }
        samples: dict[str, list[float]] = {label: [] for label in modes}
        get()  # warm up
        rounds = 10
        for _ in range(rounds):
            for label, (touch, seconds) in modes.items():
                account_services.note_token_use = touch
                account_services.TOKEN_TOUCH_SECONDS = seconds
                samples[label].append(timed(get, max(1, n // rounds)))
        account_services.note_token_use, account_services.TOKEN_TOUCH_SECONDS = original, 60
        medians = {label: statistics.median(values) for label, values in samples.items()}
        print("GET /api/v1/accounts with a bearer token, median per request:")
        for label, seconds in medians.items():
            print(f"  {label:<32} {seconds * 1e3:7.2f} ms")
        never, always = medians["last_used_at never written"], medians["written on every request"]
        print(f"  a write on every request costs +{(always - never) * 1e3:.2f} ms per request")

        from jxjd.demo import DEMO_LETTER_PERSON, DEMO_SMS_PERSON

        def refuse(body):
            def post():
                resp = client.post("/api/v1/register", json=body)
                assert resp.status_code == 422, resp.get_json()

            return post

        base = {"code": "ABCD-EFGH-JKMN-PQRS", "username": "bench", "password": "Bench-pass-2026"}
        known = {k: DEMO_SMS_PERSON[k] for k in ("id_number", "name")}
        cases = {
            "unknown person": {**base, "id_number": "11010519491231002X", "name": "赵六"},
            "wrong name": {**base, **known, "name": "某某"},
            "wrong code": {**base, **known},
            "wrong SMS code": {**base, **known, "code": "123456"},
            "letter person, wrong code": {
                **base,
                **{k: DEMO_LETTER_PERSON[k] for k in ("id_number", "name")},
            },
            "malformed ID number": {**base, "id_number": "12345", "name": "某某"},
        }
        count = max(50, n // 5)
        print(f"POST /api/v1/register refusals, median of {count} each, in interleaved rounds:")
        refusals: dict[str, list[float]] = {label: [] for label in cases}
        for _ in range(10):
            for label, body in cases.items():
                refusals[label].append(
                    timed(refuse(body), max(1, count // 10), before=limiter.reset)
                )
        for label, values in refusals.items():
            print(f"  {label:<28} {statistics.median(values) * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
