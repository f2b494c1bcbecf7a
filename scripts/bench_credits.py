#!/usr/bin/env python3
"""Benchmark a 10,000-row credit import (CONTRACT §14) against a roster upload of the same size.

One run on a fresh temporary SQLite database (or the empty database of `--database-url`):
(a) a roster upload of N rows through the HTTP layer (bench_ingest.py's setup), and
(c) an import of N credits (.xlsx, admin, strict) through POST /api/v1/credits/import, the
    same people, plus a re-import of the same file (every row already recorded).
Prints seconds and milliseconds per row, and the ratio credit/roster (the target is ≤ 2×).

    .venv/bin/python scripts/bench_credits.py [--rows 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ingest as ingest  # noqa: E402

HEADER = [
    "姓名",
    "身份证号",
    "年度",
    "形式",
    "数量",
    "学时",
    "名称",
    "主办单位",
    "开始日期",
    "结束日期",
]
FORMS = ["online_general", "conference", "paper", "research", "employer_training"]


def credits_xlsx(people: list[dict], rng: random.Random) -> bytes:
    """One credit per person, of a random form, in the 学时认定 sheet."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学时认定")
    ws.append(HEADER)
    for p in people:
        form = rng.choice(FORMS)
        month = rng.randint(1, 12)
        ws.append(
            [
                p["name"],
                p["id_number"],
                2026,
                form,
                rng.randint(1, 3),
                None,
                f"{form} 活动 {rng.randint(1, 10**6)}",
                "湖南省某某学会",
                f"2026-{month:02d}-01",
                f"2026-{month:02d}-02",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def admin_token() -> str:
    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.extensions import db

    _, plain = create_token(CLI, resolve_scope("admin", "bench"))
    db.session.commit()
    return plain


def post_import(client, token: str, data: bytes) -> dict:
    resp = client.post(
        "/api/v1/credits/import",
        data={"file": (io.BytesIO(data), "学时认定.xlsx")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    if resp.status_code != 200:
        raise SystemExit(f"import failed: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
    return resp.get_json()


def run(app, rows: int, rng: random.Random) -> None:
    base, sessions = ingest.create_sessions(1)
    client = app.test_client()
    people = ingest.make_people(rows, rng, set())
    roster = ingest.roster_xlsx(people)
    started = time.perf_counter()
    body = ingest.upload(client, sessions[0].id, ingest.base_token(base), roster)
    roster_s = time.perf_counter() - started
    assert body["recorded"] == rows, body
    data = credits_xlsx(people, rng)
    token = admin_token()
    started = time.perf_counter()
    body = post_import(client, token, data)
    credit_s = time.perf_counter() - started
    assert body["recorded"] == rows and not body["rejected"], body
    started = time.perf_counter()
    again = post_import(client, token, data)
    again_s = time.perf_counter() - started
    assert again["already_recorded"] == rows, again
    per = lambda s: s / rows * 1000  # noqa: E731
    print(f"rows: {rows}, credits file {len(data) / 1024:.0f} KiB")
    print(f"(a) roster upload  {roster_s:7.3f} s  {per(roster_s):.3f} ms/row (signs certificates)")
    print(f"(c) credit import  {credit_s:7.3f} s  {per(credit_s):.3f} ms/row")
    print(f"(c') re-import     {again_s:7.3f} s  {per(again_s):.3f} ms/row (all already recorded)")
    print(f"credit/roster per row: {credit_s / roster_s:.2f}× (target ≤ 2×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-credits-") as tmp:
        app = ingest.build_app(Path(tmp), args.database_url)
        try:
            run(app, args.rows, random.Random(args.seed))
        finally:
            ingest.drop_schema(app, args.database_url)


if __name__ == "__main__":
    main()
