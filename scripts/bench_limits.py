#!/usr/bin/env python3
"""Measure what the CONTRACT §11 limits cost and save: oversized inputs refused, guard overhead.

One run on a fresh temporary SQLite database, through the HTTP layer (Flask test client):

- an application with 50,000 teachers (refused, 422 too_many_items) and one at the cap (stored);
- a revocation with a 1 MB reason (refused, 422 too_long);
- the request guard's own time on a JSON roster at the row cap (20,000 rows), against the upload;
- the guard's cost per request on the bare health endpoint.

Each line prints wall time and the peak of Python allocations during the request (tracemalloc).
Usage:

    .venv/bin/python scripts/bench_limits.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_ingest import build_app, create_sessions, make_people  # noqa: E402


def measure(label: str, call, *, memory: bool = True) -> object:
    """Run `call`; print its wall time, and the peak traced allocation of a second run."""
    start = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - start
    peak = ""
    if memory:
        tracemalloc.start()
        call()
        peak = f"peak {tracemalloc.get_traced_memory()[1] / 2**20:6.1f} MB"
        tracemalloc.stop()
    status = getattr(result, "status_code", "")
    print(f"{label:<58} {status!s:>4} {elapsed * 1000:9.1f} ms  {peak}")
    return result


def post_json(client, url: str, body: object, headers: dict[str, str]):
    """POST a body encoded beforehand, so that the client's JSON encoding is not timed."""
    data = json.dumps(body, ensure_ascii=False).encode()
    return lambda: client.post(url, data=data, content_type="application/json", headers=headers)


def token(role: str, **scope) -> dict[str, str]:
    """Bearer headers of a new token."""
    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.extensions import db

    _, plain = create_token(CLI, resolve_scope(role, f"bench {role}", **scope))
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def main() -> None:
    """Print one line per measurement."""
    import random

    from jxjd.common.guards import _walk
    from jxjd.common.ids import credit_check_char

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-limits-") as tmp:
        app = build_app(Path(tmp))
        client = app.test_client()
        body = "12430000444880999"
        code = body + credit_check_char(body)
        applicant = token("applicant", credit_code=code)

        teachers = [{"name": "陈七", "title": "senior"}] * 50_000
        url = "/api/v1/applications"
        measure(
            "POST application, 50,000 teachers (refused)",
            post_json(client, url, {"teachers": teachers}, applicant),
        )
        measure(
            "POST application, 1,000 teachers (the cap, stored)",
            post_json(client, url, {"teachers": teachers[:1000]}, applicant),
            memory=False,
        )

        base, (session,) = create_sessions(1)
        base_headers = token("base", base_id=base.id)
        people = make_people(20_000, rng, set())
        measure(
            "POST attendance, JSON roster of 20,000 rows (stored)",
            post_json(
                client, f"/api/v1/sessions/{session.id}/attendance", {"rows": people}, base_headers
            ),
            memory=False,
        )
        start = time.perf_counter()
        _walk({"rows": people}, 20_000)
        print(
            f"{'  of which the guard walking that body':<63} {(time.perf_counter() - start) * 1000:9.1f} ms"
        )

        listed = client.get(f"/api/v1/sessions/{session.id}/certificates", headers=base_headers)
        serial = listed.json["certificates"][0]["serial"]
        measure(
            "POST revoke with a 1 MB reason (refused)",
            post_json(
                client,
                f"/api/v1/certificates/{serial}/revoke",
                {"reason": "撤" * 1_000_000},
                base_headers,
            ),
        )

        from jxjd.common.guards import guard_request

        hooks = app.before_request_funcs[None]
        for label, guarded in (("with", True), ("without", False)):
            if not guarded:
                hooks.remove(guard_request)
            for _ in range(200):
                client.get("/api/v1/health?x=1")
            rounds = 5000
            start = time.perf_counter()
            for _ in range(rounds):
                client.get("/api/v1/health?x=1")
            per = (time.perf_counter() - start) / rounds * 1e6
            print(f"{f'GET /api/v1/health?x=1 {label} the guard, per request':<63} {per:9.1f} µs")
        hooks.insert(0, guard_request)


if __name__ == "__main__":
    main()
