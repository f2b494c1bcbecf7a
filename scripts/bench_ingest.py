#!/usr/bin/env python3
"""Benchmark a roster upload (CONTRACT §6) against the floor of the work it cannot avoid.

One run, on a fresh temporary SQLite database, or on the empty PostgreSQL database named by
`--database-url` (default: $DATABASE_URL when set); the schema is built by the migrations and
taken down again at the end, so the database is left empty:

(a) the full upload of an N-row .xlsx roster through the HTTP layer (Flask test client), strict
    mode, until every certificate is signed and the transaction committed;
(b) the floor: the same file read with the fastest reader there is (python-calamine, which
    checks nothing), the same number of Ed25519 signatures made by hand over the same JWS
    signing input (no PyJWT), and the same rows stored with one COPY (PostgreSQL) or one raw
    executemany (SQLite) per table, ids reserved up front;
(r) reading the file alone (read_roster_file, the app's bounded reader), best of five;
(m) with --memory-rows N: this process's RSS before, at the peak of and after each of two N-row
    uploads (the row and size caps lifted via config), as the request leaves it and after gc +
    malloc_trim, to show the worker gives the memory back.

Every ID in the measured file is unique (strict mode passes); a few hundred of its people already
attended an earlier session, so their person rows are reused. Usage:

    .venv/bin/python scripts/bench_ingest.py [--rows 10000] [--repeats 300] [--profile | --cprofile]
        [--memory-rows 100000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/jxjd_bench]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 华 慧 建国 志强 海燕 红梅 "
    "晓东 文博 子涵 雨桐 思远 嘉怡 浩然 欣怡 俊杰 佳琪 宇航 诗涵"
).split()
EMPLOYERS = [
    "湖南某某建设集团有限公司",
    "长沙市第一中学",
    "湘潭市中心医院",
    "株洲某某电子科技有限公司",
    "湖南省某某设计研究院",
    "岳阳市某某水务有限公司",
    "衡阳市某某机械制造有限公司",
    "常德市第二人民医院",
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430202", "430302", "430602"]
SESSION_HOURS = 24


def make_people(count: int, rng: random.Random, taken: set[str]) -> list[dict[str, Any]]:
    """`count` trainees with realistic names, valid unique ID numbers and employers."""
    from jxjd.common.ids import id_check_char

    people = []
    while len(people) < count:
        birth = date(rng.randint(1962, 2001), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        id_number = body + id_check_char(body)
        if id_number in taken:
            continue
        taken.add(id_number)
        people.append(
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "id_number": id_number,
                "employer": rng.choice(EMPLOYERS),
                "hours": rng.choice([SESSION_HOURS] * 8 + [20, 22.5]),
                "result": "不合格" if rng.random() < 0.03 else "合格",
            }
        )
    return people


def roster_xlsx(people: list[dict[str, Any]]) -> bytes:
    """The roster as the template shapes it: Chinese headers, the ID column as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学员名单")
    ws.append(["姓名", "身份证号", "工作单位", "学时", "考核结果"])
    for p in people:
        id_cell = WriteOnlyCell(ws, value=p["id_number"])
        id_cell.number_format = "@"
        ws.append([p["name"], id_cell, p["employer"], p["hours"], p["result"]])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_app(workdir: Path, database_url: str | None, max_rows: int = 20_000):
    """A fresh app on a new SQLite file (or an empty database), its schema built by the migrations."""
    import logging

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from jxjd import create_app
    from jxjd.extensions import db

    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
            "JXJD_KEY_DIR": str(workdir / "keys"),
            "JXJD_QR_CACHE_DIR": str(workdir / "qr-cache"),
            "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
            "MAX_UPLOAD_MB": max(20, max_rows // 2000),
            "JXJD_MAX_ROSTER_ROWS": max_rows,
        }
    )
    app.instance_path = str(workdir / "instance")
    ctx = app.app_context()
    ctx.push()
    if sa.inspect(db.engine).get_table_names():
        raise SystemExit(f"{database_url}: the database is not empty; give an empty one")
    upgrade(directory=str(ROOT / "migrations"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db.session.commit()
    from jxjd.keys.services import prepare_key_store

    prepare_key_store(app)  # a new database: its keys are created now, as at start-up
    return app


def create_sessions(count: int):
    """A recognized base with a filed 2026 plan and `count` finished sessions of it."""
    from jxjd.auth import CLI, Actor
    from jxjd.bases.services import create_base
    from jxjd.common.ids import credit_check_char
    from jxjd.extensions import db
    from jxjd.plans.services import create_plan, file_plan, review_plan, submit_plan
    from jxjd.sessions.services import schedule_session

    code = "124300004448800" + "01"
    base = create_base(
        CLI,
        {
            "name": "湖南信息职业技术学院继续教育学院",
            "credit_code": code + credit_check_char(code),
            "department": "湖南省教育厅",
            "address": "长沙市望城区",
            "status": "recognized",
            "contact": {"name": "李敏", "phone": "0731-88010001", "email": "jxjy@example.cn"},
            "specialties": [
                {"name": "电子信息", "levels": ["senior"], "audiences": ["public"]},
            ],
        },
    )
    actor = Actor(role="base", name=base.name, ref="bench", base_id=base.id)
    item = {
        "specialty": "电子信息",
        "title": "人工智能应用高级研修班",
        "category": "professional",
        "level": "senior",
        "audience": "public",
        "form": "in_person",
        "sessions": count,
        "trainees": 50000,
        "hours": Decimal(SESSION_HOURS),
    }
    plan = create_plan(actor, base, 2026, [item])
    submit_plan(actor, plan, today=date(2025, 11, 1))
    review_plan(
        Actor(role="dept", name=base.department, ref="bench", department=base.department),
        plan,
        approve=True,
        comment="同意",
    )
    file_plan(CLI, plan)
    sessions = []
    for n in range(count):
        sessions.append(
            schedule_session(
                actor,
                base,
                {
                    "plan_item_id": plan.items[0].id,
                    "title": f"人工智能应用高级研修班（第{n + 1}期）",
                    "specialty": "电子信息",
                    "category": "professional",
                    "level": "senior",
                    "audience": "public",
                    "form": "in_person",
                    "start_date": date(2026, 3 + n, 2),
                    "end_date": date(2026, 3 + n, 4),
                    "hours": Decimal(SESSION_HOURS),
                    "location": "长沙",
                },
            )
        )
    db.session.commit()
    return base, sessions


def base_token(base) -> str:
    """A bearer token for the base."""
    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.extensions import db

    _, plain = create_token(CLI, resolve_scope("base", base.name, base_id=base.id))
    db.session.commit()
    return plain


def upload(client, session_id: int, token: str, data: bytes) -> dict[str, Any]:
    """POST the roster (strict) and return the 200 body."""
    resp = client.post(
        f"/api/v1/sessions/{session_id}/attendance",
        data={"file": (io.BytesIO(data), "学员名单.xlsx")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    if resp.status_code != 200:
        raise SystemExit(f"upload failed: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
    return resp.get_json()


def _b64url(data: bytes) -> bytes:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _fastest_read(data: bytes) -> list[list[Any]]:
    """The roster's data rows through python-calamine (Rust; no bounds, no checks)."""
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[1:]


def _raw_sign(private_key, kid: str, payload: dict[str, Any]) -> str:
    """A compact EdDSA JWS built by hand: Ed25519 over header.payload, nothing else."""
    import json

    header = _b64url(json.dumps({"alg": "EdDSA", "kid": kid}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signing_input = header + b"." + body
    return (signing_input + b"." + _b64url(private_key.sign(signing_input))).decode("ascii")


def _store_floor(tables: list[tuple[str, list[str], list[tuple]]]) -> None:
    """One COPY (PostgreSQL) or one executemany (SQLite) per table, through the raw driver."""
    from jxjd.extensions import db

    raw = db.session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for table, columns, rows in tables:
        names = ", ".join(columns)
        if postgres:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    cursor.close()


def reserve_ids(table, count: int) -> list[int]:
    """Ids taken before the insert: a sequence block on PostgreSQL, max + 1 … on SQLite."""
    import sqlalchemy as sa

    from jxjd.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
        return sorted(db.session.scalars(sa.text(query), {"t": table.name, "n": count}))
    start = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def floor(data: bytes, session, people_new: int, records: int, signatures: int) -> float:
    """Seconds for the unavoidable work: fastest read, raw signing, one COPY/executemany, commit."""
    import json

    import sqlalchemy as sa

    from jxjd.attendance.models import AttendanceRecord
    from jxjd.certificates.services import signing_keys
    from jxjd.extensions import db
    from jxjd.people.models import Person

    postgres = db.session.get_bind().dialect.name == "postgresql"
    # Primary keys reserved up front (the sequences stay right), so nothing is read back.
    person_ids_new = reserve_ids(Person.__table__, people_new)
    record_ids = reserve_ids(AttendanceRecord.__table__, records)
    existing = [
        pid
        for (pid,) in db.session.execute(
            sa.select(Person.id).order_by(Person.id).limit(records - people_new)
        )
    ]
    key = signing_keys().active()
    db.session.commit()
    now = datetime.now(UTC)
    when = now if postgres else now.isoformat(sep=" ")
    hours = Decimal(SESSION_HOURS) if postgres else str(SESSION_HOURS)

    started = time.perf_counter()
    rows = _fastest_read(data)
    assert len(rows) == records
    person_ids = existing + person_ids_new
    people = [
        (pid, secrets.token_hex(32), os.urandom(47), "430104********0015", str(row[0]), when)
        for pid, row in zip(person_ids_new, rows, strict=False)
    ]
    record_rows = [
        (rid, session.id, pid, str(row[0]), row[2], hours, "pass", hours, False, when)
        for rid, pid, row in zip(record_ids, person_ids, rows, strict=True)
    ]
    certs = []
    for i in range(signatures):
        serial = secrets.token_urlsafe(16)
        payload = {
            "sn": serial,
            "name": record_rows[i][3],
            "id_masked": "430104********0015",
            "hours": SESSION_HOURS,
            "title": session.title,
            "base": "湖南信息职业技术学院继续教育学院",
            "category": session.category,
            "start_date": session.start_date.isoformat(),
            "end_date": session.end_date.isoformat(),
            "iat": int(now.timestamp()),
        }
        token = _raw_sign(key.private_key, key.kid, payload)
        stored = json.dumps(payload, ensure_ascii=False)
        certs.append(
            (
                serial,
                record_ids[i],
                person_ids[i],
                session.id,
                "EdDSA",
                key.kid,
                token,
                stored,
                when,
            )
        )
    _store_floor(
        [
            (
                "people",
                ["id", "id_hash", "id_encrypted", "id_masked", "name", "created_at"],
                people,
            ),
            (
                "attendance_records",
                [
                    "id",
                    "session_id",
                    "person_id",
                    "name",
                    "employer",
                    "hours",
                    "result",
                    "credited_hours",
                    "name_differs",
                    "created_at",
                ],
                record_rows,
            ),
            (
                "certificates",
                [
                    "serial",
                    "record_id",
                    "person_id",
                    "session_id",
                    "alg",
                    "kid",
                    "token",
                    "payload",
                    "issued_at",
                ],
                certs,
            ),
        ]
    )
    db.session.commit()
    return time.perf_counter() - started


def _print_profile(profiler: Any, cprofile: bool) -> None:
    """The profile of the first upload: pyinstrument's tree, or cProfile's two top-30 lists."""
    if not cprofile:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    import pstats

    for order in ("cumulative", "tottime"):
        print(f"-- cProfile, by {order}")
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(30)
    saved = Path(tempfile.gettempdir()) / "bench_ingest.pstats"
    profiler.dump_stats(saved)
    print(f"-- the whole profile: {saved} (python -m pstats)")


def drop_schema(app, database_url: str | None) -> None:
    """Leave a given database empty again (a temporary SQLite file just goes away)."""
    import sqlalchemy as sa

    from jxjd.extensions import db

    db.session.remove()
    if database_url:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.engine.dispose()


def main() -> None:
    """Run the benchmark and print the figures (each trial on fresh sessions and people)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the measured roster")
    parser.add_argument(
        "--repeats", type=int, default=300, help="of those, people already known from before"
    )
    parser.add_argument(
        "--trials", type=int, default=3, help="measure (a) and (b) this many times; best counts"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--memory-rows",
        type=int,
        default=0,
        help="also upload this many rows (caps lifted) and print RSS before, peak and after",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the first upload with pyinstrument"
    )
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="profile the first upload with cProfile (top 30 by cumulative and by own time)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="an empty database to run on (default: $DATABASE_URL, else a temporary SQLite file)",
    )
    args = parser.parse_args()
    if not 0 <= args.repeats <= args.rows:
        parser.error("--repeats must be between 0 and --rows")

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-") as tmp:
        app = build_app(Path(tmp), args.database_url, max(20_000, args.memory_rows))
        try:
            run(app, args, rng)
            if args.memory_rows:
                memory(app, args, rng)
        finally:
            drop_schema(app, args.database_url)


def _rss_mib() -> float:
    """This process's resident set size now, MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(app, args, rng: random.Random) -> None:
    """RSS around two large uploads: the worker should end where it began, and a second upload
    should not add to what the first one left."""
    import resource

    import sqlalchemy as sa

    from jxjd.auth import CLI
    from jxjd.common.memory import release_memory
    from jxjd.extensions import db
    from jxjd.sessions.models import TrainingSession
    from jxjd.sessions.services import schedule_session

    first = db.session.scalars(
        sa.select(TrainingSession).order_by(TrainingSession.id).limit(1)
    ).one()
    values = {
        c: getattr(first, c)
        for c in ("plan_item_id", "specialty", "category", "level", "audience", "form", "hours")
    }
    sessions = [
        schedule_session(
            CLI,
            first.base,
            {
                **values,
                "title": f"内存测量班（第{n + 1}期）",
                "start_date": date(2026, 1, 5 + 7 * n),
                "end_date": date(2026, 1, 7 + 7 * n),
                "location": "长沙",
            },
        )
        for n in range(2)
    ]
    session_ids = [session.id for session in sessions]
    db.session.commit()
    token = base_token(first.base)
    taken: set[str] = set()
    rosters = [roster_xlsx(make_people(args.memory_rows, rng, taken)) for _ in session_ids]
    client = app.test_client()
    client.get("/api/v1/health")
    db.session.remove()
    release_memory(None)  # the rosters' generation freed memory too: start from a trimmed heap
    before = _rss_mib()
    print(f"(m) RSS before: {before:.0f} MiB (after gc + malloc_trim)")
    for n, (session_id, data) in enumerate(zip(session_ids, rosters, strict=True), start=1):
        started = time.perf_counter()
        body = upload(client, session_id, token, data)
        took = time.perf_counter() - started
        after = _rss_mib()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        recorded = body["recorded"]
        del body
        db.session.remove()
        release_memory(None)  # what the request already did: gc, then glibc's malloc_trim
        trimmed = _rss_mib()
        print(
            f"(m) upload {n}: {args.memory_rows} rows ({len(data) / 2**20:.1f} MiB .xlsx) in "
            f"{took:.2f} s, recorded {recorded}; RSS peak so far {peak:.0f} MiB, after the "
            f"request {after:.0f} MiB (+{after - before:.0f}), after gc + malloc_trim "
            f"{trimmed:.0f} MiB (+{trimmed - before:.0f})"
        )


def run(app, args, rng: random.Random) -> None:
    """The measured uploads and floors, and the summary."""
    base, sessions = create_sessions(1 + 2 * args.trials)
    earlier = sessions[0]
    token = base_token(base)
    client = app.test_client()

    taken: set[str] = set()
    known = make_people(args.repeats + 200, rng, taken)
    # The earlier session's roster (not timed): it brings the repeated people into the DB.
    upload(client, earlier.id, token, roster_xlsx(known))

    n = args.rows
    people_new = n - args.repeats
    results = []
    for trial in range(args.trials):
        measured, floor_session = sessions[1 + 2 * trial], sessions[2 + 2 * trial]
        repeats = rng.sample(known, args.repeats)
        rows = [{**p, "hours": SESSION_HOURS, "result": "合格"} for p in repeats]
        rows += make_people(people_new, rng, taken)
        rng.shuffle(rows)
        data = roster_xlsx(rows)
        if trial == 0:
            print(f"roster: {n} rows, {len(data) / 1024:.0f} KiB .xlsx, {args.repeats} known")

        profiler = None
        if args.profile and trial == 0:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        elif args.cprofile and trial == 0:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu, started = time.process_time(), time.perf_counter()
        body = upload(client, measured.id, token, data)
        full, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.disable() if args.cprofile else profiler.stop()
        if body["recorded"] != n or body["rejected"]:
            raise SystemExit(f"unexpected receipt: {body}")
        issued = body["certificates_issued"]

        cpu = time.process_time()
        least = floor(data, floor_session, people_new, n, issued)
        least_cpu = time.process_time() - cpu
        results.append((full, least, full_cpu, least_cpu))
        print(
            f"trial {trial + 1}: (a) {full:6.3f} s ({n / full:5.0f} rows/s, cpu {full_cpu:.3f} s)"
            f"  (b) {least:6.3f} s ({n / least:5.0f} rows/s, cpu {least_cpu:.3f} s)"
            f"  a/b {full / least:.2f}  [certificates {issued}, new people {people_new}]"
        )
        if profiler is not None:
            _print_profile(profiler, args.cprofile)

    from jxjd.attendance.importing import read_roster_file

    reads = []
    for _ in range(5):
        cpu, started = time.process_time(), time.perf_counter()
        read_roster_file(data, "学员名单.xlsx", max_bytes=len(data) + 1)
        reads.append((time.perf_counter() - started, time.process_time() - cpu))
    read, read_cpu = min(reads)
    print(f"(r) reading the .xlsx alone, best of 5: {read:6.3f} s (cpu {read_cpu:.3f} s)")
    full = min(r[0] for r in results)
    least = min(r[1] for r in results)
    print(f"(a) full upload via HTTP, strict, best: {full:6.3f} s  {n / full:6.0f} rows/s")
    print(f"(b) floor, best:                        {least:6.3f} s  {n / least:6.0f} rows/s")
    full_cpu = min(r[2] for r in results)
    least_cpu = min(r[3] for r in results)
    print(
        f"ratio a/b (best/best): {full / least:.2f}  (cpu {full_cpu:.3f} / {least_cpu:.3f} s"
        f" = {full_cpu / least_cpu:.2f}: wall time on a shared machine waits for the CPU)"
    )
    print("target: (a) <= 1.5 s for 10,000 rows on PostgreSQL and a/b <= 1.5")


if __name__ == "__main__":
    main()
