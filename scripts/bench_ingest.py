#!/usr/bin/env python3
"""Benchmark a roster upload (CONTRACT §6) against the floor of the work it cannot avoid.

One run, on a fresh temporary SQLite database, or on the empty PostgreSQL database named by
`--database-url` (default: $DATABASE_URL when set); the schema is built by the migrations and
taken down again at the end, so the database is left empty:

(a) the full upload of an N-row .xlsx roster through the HTTP layer (Flask test client), strict
    mode, until every certificate is signed and the transaction committed;
(b) the floor: the same file read with the same reader (read_roster_file), the same number of
    Ed25519 signatures (ActiveKey.sign), and the same number of rows inserted into people,
    attendance_records and certificates with one executemany per table;
(r) reading the file alone (read_roster_file), best of five.

Every ID in the measured file is unique (strict mode passes); a few hundred of its people already
attended an earlier session, so their person rows are reused. Usage:

    .venv/bin/python scripts/bench_ingest.py [--rows 10000] [--repeats 300] [--profile]
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


def build_app(workdir: Path, database_url: str | None):
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
            "MAX_UPLOAD_MB": 20,
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


def floor(data: bytes, session, people_new: int, records: int, signatures: int) -> float:
    """Seconds for the unavoidable work: read, sign, one executemany per table, commit."""
    import sqlalchemy as sa

    from jxjd.attendance.importing import read_roster_file
    from jxjd.attendance.models import AttendanceRecord
    from jxjd.certificates.models import Certificate
    from jxjd.certificates.services import signing_keys
    from jxjd.extensions import db
    from jxjd.people.models import Person

    # Primary keys are chosen up front so no statement has to read generated ids back.
    first_person = (db.session.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1
    first_record = (db.session.scalar(sa.select(sa.func.max(AttendanceRecord.id))) or 0) + 1
    key = signing_keys().active()
    db.session.commit()
    now = datetime.now(UTC)

    started = time.perf_counter()
    raw = read_roster_file(data, "学员名单.xlsx", max_bytes=len(data) + 1)
    assert len(raw) == records
    person_rows = [
        {
            "id": first_person + i,
            "id_hash": secrets.token_hex(32),
            "id_encrypted": os.urandom(47),
            "id_masked": "430104********0015",
            "name": str(raw[i].values["name"]),
            "created_at": now,
        }
        for i in range(people_new)
    ]
    existing = [
        pid
        for (pid,) in db.session.execute(
            sa.select(Person.id).order_by(Person.id).limit(records - people_new)
        )
    ]
    person_ids = existing + [r["id"] for r in person_rows]
    record_rows = [
        {
            "id": first_record + i,
            "session_id": session.id,
            "person_id": person_ids[i],
            "upload_id": None,
            "name": str(raw[i].values["name"]),
            "employer": raw[i].values.get("employer"),
            "hours": Decimal(SESSION_HOURS),
            "result": "pass",
            "credited_hours": Decimal(SESSION_HOURS),
            "name_differs": False,
            "created_at": now,
        }
        for i in range(records)
    ]
    cert_rows = []
    for i in range(signatures):
        serial = secrets.token_urlsafe(16)
        payload = {
            "sn": serial,
            "name": record_rows[i]["name"],
            "id_masked": "430104********0015",
            "hours": SESSION_HOURS,
            "title": session.title,
            "base": "湖南信息职业技术学院继续教育学院",
            "category": session.category,
            "start_date": session.start_date.isoformat(),
            "end_date": session.end_date.isoformat(),
            "iat": int(now.timestamp()),
        }
        cert_rows.append(
            {
                "serial": serial,
                "record_id": first_record + i,
                "person_id": person_ids[i],
                "session_id": session.id,
                "alg": "EdDSA",
                "kid": key.kid,
                "token": key.sign(payload),
                "payload": payload,
                "issued_at": now,
            }
        )
    db.session.execute(Person.__table__.insert(), person_rows)
    db.session.execute(AttendanceRecord.__table__.insert(), record_rows)
    db.session.execute(Certificate.__table__.insert(), cert_rows)
    db.session.commit()
    elapsed = time.perf_counter() - started
    if db.session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the sequences behind: move them on, or the next upload's rows
        # would collide with these (an error now that every conflict target is named).
        for table in ("people", "attendance_records"):
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
        db.session.commit()
    return elapsed


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
        "--profile", action="store_true", help="profile the first upload with pyinstrument"
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
        app = build_app(Path(tmp), args.database_url)
        try:
            run(app, args, rng)
        finally:
            drop_schema(app, args.database_url)


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
        cpu, started = time.process_time(), time.perf_counter()
        body = upload(client, measured.id, token, data)
        full, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
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
            print(profiler.output_text(unicode=True, color=False, show_all=False))

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
    print(f"ratio a/b (best/best): {full / least:.2f}")
    print("target: (a) <= 2 s for 10,000 rows and a/b <= 2")


if __name__ == "__main__":
    main()
