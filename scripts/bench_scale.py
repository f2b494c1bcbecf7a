#!/usr/bin/env python3
"""Province-scale benchmark: build N people / M records, then time the per-person and report reads.

Build (resumable, with a progress bar, rate and ETA): bases with filed plans for three years,
sessions of `--session-size` trainees each in non-overlapping 3-day windows (sessions sharing a
window get disjoint trainees, so no one's sessions share a day: the daily cap would refuse
them), and one roster per session, stored either way:

  --builder fast (default): `--batch` sessions per transaction through the upload service's own
      parts: validate_rows, ensure_people (ID encryption, look-up hashes, COPY), open_upload and
      record_rows, every record of the batch in one COPY with ids reserved up front, then
      issue_for_records (the same Ed25519 signing, serials and status-list entries) and
      close_upload (receipt, audit event) per session; the yearly tallies afterwards by
      `flask tallies rebuild`'s rebuild_tallies.
  --builder service: one import_attendance per session, committed per session (every check,
      tallies maintained as it goes): slow, kept to check the fast path against
      (tests/scale/test_bench_scale.py holds the two to the same archive, verify and report
      answers).

Rerunning with the same --workdir (and database) skips the sessions already loaded and
continues (`--stop-after N` stops after N batches, to try it). A share of certificates is
revoked (1 % of sessions whole, and up to 2,000 single ones) so the counted-hours rule has
revoked certificates to skip.

Measure: gunicorn (2 sync workers, as on this 2-core machine) serves the database on
127.0.0.1:PORT; 1 and 8 client threads issue `--requests` requests per endpoint, and p50/p95 are
printed beside the targets of issue #12 (or its 10M-record reference figures where it sets no
target):

    archive query (POST /api/v1/archive/query), review check (GET /api/v1/me/review-check),
    verify (GET /api/v1/verify?t=), share-code read (GET /api/v1/shared/{code}),
    base report (GET /api/v1/bases/{id}/report), province report (GET /api/v1/reports/{year}).

It also times, in-process, the record scan the reports did before the yearly tallies (#12), so
the before/after of the report figures comes from the same data.

    .venv/bin/python scripts/bench_scale.py --people 100000 --records 1000000 --bases 300 \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:55433/jxjd_scale] \\
        [--workdir /tmp/jxjd-scale] [--port 18701] [--requests 200] [--build-only]

A benchmark prints figures; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

YEARS = (2023, 2024, 2025)
REPORT_YEAR = 2025
WINDOWS = 113  # non-overlapping 3-day windows a year, from 5 January (5 Jan–11 Dec)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 华 慧 建国 志强 海燕 红梅".split()
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430202", "430302", "430602"]
# (p50 target, p95 target) in ms; None where issue #12 sets none. Reference: its 10M figures.
TARGETS = {
    "archive": (None, None, "ref p95 16–20 ms"),
    "review_check": (None, None, "ref p95 12 ms"),
    "verify": (None, None, "ref 1.7 ms; ≥60 % of bare (bench_verify)"),
    "share_read": (None, None, "ref ≈ archive"),
    "base_report": (None, 100.0, "≤ 100 ms"),
    "province_report": (None, 500.0, "≤ 500 ms"),
}


def id_number(i: int) -> str:
    """Person i's valid, unique GB 11643 number (deterministic, so a rerun finds the same)."""
    from jxjd.common.ids import id_check_char

    seq, rest = i % 1000, i // 1000
    region, day = REGIONS[rest % len(REGIONS)], rest // len(REGIONS)
    born = date(1962, 1, 1) + timedelta(days=day)
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def person_row(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)],
        "id_number": id_number(i),
        "employer": f"湖南某某单位{i % 97}",
        "hours": rng.choice([24, 24, 24, 24, 20, 22.5]),
        "result": "不合格" if rng.random() < 0.03 else "合格",
    }


def build_app(args: argparse.Namespace):
    """The app on the benchmark database, migrated; keys prepared."""
    import logging

    from flask_migrate import upgrade

    from jxjd import create_app
    from jxjd.keys.services import prepare_key_store

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "JXJD_KEY_DIR": str(args.workdir / "keys"),
            "JXJD_QR_CACHE_DIR": str(args.workdir / "qr-cache"),
            "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        }
    )
    app.instance_path = str(args.workdir / "instance")
    app.app_context().push()
    upgrade(directory=str(ROOT / "migrations"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    prepare_key_store(app)
    return app


def _base_payload(n: int) -> dict[str, Any]:
    from jxjd.common.ids import credit_check_char

    code = f"1243000044488{n:04d}"
    return {
        "name": f"压测继续教育基地{n:03d}",
        "credit_code": code + credit_check_char(code),
        "department": "湖南省教育厅",
        "address": "长沙市岳麓区",
        "status": "recognized",
        "contact": {"name": "李敏", "phone": "0731-88010001", "email": "jxjy@example.cn"},
        "specialties": [{"name": "电子信息", "levels": ["senior"], "audiences": ["public"]}],
    }


def _item(sessions: int) -> dict[str, Any]:
    return {
        "specialty": "电子信息",
        "title": "人工智能应用高级研修班",
        "category": "professional",
        "level": "senior",
        "audience": "public",
        "form": "in_person",
        "sessions": sessions,
        "trainees": 50000,
        "hours": Decimal(24),
    }


def build_structure(args: argparse.Namespace, sessions_total: int) -> None:
    """Bases, filed plans and sessions (skipped when already there)."""
    import sqlalchemy as sa

    from jxjd.auth import CLI, Actor
    from jxjd.bases.models import Base
    from jxjd.bases.services import create_base
    from jxjd.extensions import db
    from jxjd.plans.services import create_plan, file_plan, review_plan, submit_plan
    from jxjd.sessions.models import TrainingSession
    from jxjd.sessions.services import schedule_session

    if db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) >= sessions_total:
        return
    if db.session.scalar(sa.select(sa.func.count()).select_from(Base)):
        raise SystemExit("a partial structure exists: start again with an empty database")
    per = sessions_total // (args.bases * len(YEARS)) + 1
    made = 0
    for n in range(args.bases):
        base = create_base(CLI, _base_payload(n))
        actor = Actor(role="base", name=base.name, ref="bench", base_id=base.id)
        dept = Actor(role="dept", name=base.department, ref="bench", department=base.department)
        for year in YEARS:
            plan = create_plan(actor, base, year, [_item(per)])
            submit_plan(actor, plan, today=date(year - 1, 11, 1))
            review_plan(dept, plan, approve=True, comment="同意")
            file_plan(CLI, plan)
            for k in range(per):
                if made >= sessions_total:
                    break
                start = window_start(year, k % WINDOWS)
                schedule_session(
                    actor,
                    base,
                    {
                        **{key: _item(0)[key] for key in ("specialty", "category", "level")},
                        "audience": "public",
                        "form": "in_person",
                        "plan_item_id": plan.items[0].id,
                        "title": f"人工智能应用高级研修班（第{k + 1}期）",
                        "start_date": start,
                        "end_date": start + timedelta(days=2),
                        "hours": Decimal(24),
                        "location": "长沙",
                    },
                )
                made += 1
        db.session.commit()
        print(f"  structure: base {n + 1}/{args.bases}, {made} sessions", flush=True)


def window_start(year: int, window: int) -> date:
    """The first day of a year's 3-day window (sessions run 3 days, windows never overlap)."""
    return date(year, 1, 5) + timedelta(days=3 * window)


def session_slots(sessions: list[tuple[int, int, date]]) -> dict[int, tuple[date, int]]:
    """session id → (start date, its rank among the sessions starting that day, by id)."""
    seen: dict[date, int] = {}
    slots = {}
    for session_id, _, start in sorted(sessions):
        slots[session_id] = (start, seen.get(start, 0))
        seen[start] = seen.get(start, 0) + 1
    return slots


def people_for(args: argparse.Namespace, start: date, rank: int) -> list[int]:
    """The trainees of the rank-th session starting on `start`.

    Sessions sharing a day get disjoint people (a person's sessions on one day would pass the
    daily cap and be refused): an affine bijection of [0, people) with a per-day offset, cut
    into consecutive blocks of --session-size.
    """
    n, size = args.people, args.session_size
    if (rank + 1) * size > n:
        raise SystemExit(
            f"{rank + 1} sessions start on {start}: more than --people allows without overlaps"
        )
    stride = next(p for p in range(1_000_003, 10**9, 2) if math.gcd(p, n) == 1)
    offset = random.Random(start.toordinal()).randrange(n)
    return [(offset + (rank * size + t) * stride) % n for t in range(size)]


def roster_of(args: argparse.Namespace, session_id: int, slot: tuple[date, int]) -> list:
    """A session's roster as raw upload rows (deterministic: a rerun builds the same)."""
    from jxjd.attendance.importing import rows_from_json

    rng = random.Random(session_id)
    return rows_from_json([person_row(i, rng) for i in people_for(args, *slot)])


class Progress:
    """A one-line progress bar with rate and ETA (a new line each time when not a terminal)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.shown = 0.0

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if not self.tty and now - self.shown < 10 and self.done < self.total:
            return
        self.shown = now
        rate = self.done / max(now - self.started, 1e-9)
        eta = (self.total - self.done) / rate if rate else float("inf")
        filled = int(30 * self.done / max(self.total, 1))
        line = (
            f"  {self.label}: [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
            f"{rate:,.0f}/s ETA {timedelta(seconds=int(eta))}"
        )
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", flush=True)
        if self.tty and self.done >= self.total:
            print()


def _todo(args: argparse.Namespace) -> tuple[list[tuple[int, int, date]], dict]:
    """The sessions without an upload yet, and every session's slot."""
    import sqlalchemy as sa

    from jxjd.attendance.models import AttendanceUpload
    from jxjd.extensions import db
    from jxjd.sessions.models import TrainingSession

    sessions = [
        (sid, bid, start)
        for sid, bid, start in db.session.execute(
            sa.select(TrainingSession.id, TrainingSession.base_id, TrainingSession.start_date)
        )
    ]
    done = set(db.session.scalars(sa.select(AttendanceUpload.session_id)))
    todo = sorted(s for s in sessions if s[0] not in done)
    print(f"  rosters: {len(done)} sessions loaded before, {len(todo)} to go", flush=True)
    return todo, session_slots(sessions)


def load_rosters(args: argparse.Namespace) -> int:
    """Service path: one roster per session through import_attendance, committed per session."""
    from jxjd.attendance.services import import_attendance
    from jxjd.auth import Actor
    from jxjd.extensions import db
    from jxjd.sessions.models import TrainingSession

    todo, slots = _todo(args)
    bar = Progress("rosters (service)", len(todo) * args.session_size)
    for session_id, base_id, _ in todo:
        session = db.session.get_one(TrainingSession, session_id)
        actor = Actor(role="base", name="压测基地", ref="bench", base_id=base_id)
        rows = roster_of(args, session_id, slots[session_id])
        result = import_attendance(actor, session, rows, mode="strict")
        db.session.commit()
        db.session.expunge_all()
        bar.add(result.recorded)
    return bar.done


def load_rosters_fast(args: argparse.Namespace) -> int:
    """Fast path: --batch sessions per transaction, set-based, through the upload's own parts.

    Per batch: the rows checked by the upload's validate_rows, people made by ensure_people
    (encryption, look-up hashes, COPY), each session's receipt and record values by the upload
    service's open_upload/record_rows, all records in one COPY (ids reserved up front), then per
    session the upload service's issue_for_records (the same signing and status-list entries)
    and close_upload (receipt counts, audit event). What it skips is what a fresh, overlap-free
    data set cannot fail: the stored-record and daily-cap checks, and the tallies, which
    build() rebuilds afterwards with `flask tallies rebuild`'s code. Returns the records stored.
    """
    from jxjd.extensions import db

    todo, slots = _todo(args)
    bar = Progress("rosters (fast)", len(todo) * args.session_size)
    for n, start in enumerate(range(0, len(todo), args.batch)):
        if args.stop_after is not None and n >= args.stop_after:
            raise SystemExit(f"stopped after {n} batches (--stop-after): rerun to resume")
        batch = todo[start : start + args.batch]
        bar.add(_fast_batch(args, batch, slots))
        db.session.commit()
        db.session.expunge_all()
    return bar.done


def _fast_batch(args: argparse.Namespace, batch: list, slots: dict) -> int:
    """Store one batch of sessions' rosters; the number of records stored."""
    from jxjd.attendance import services
    from jxjd.attendance.importing import validate_rows
    from jxjd.attendance.models import AttendanceRecord
    from jxjd.auth import Actor
    from jxjd.bases.models import Base
    from jxjd.common.db import bulk_insert, reserve_ids
    from jxjd.common.time import utcnow
    from jxjd.extensions import db
    from jxjd.people.services import NewPerson, ensure_people, id_hashes
    from jxjd.sessions.models import TrainingSession

    now = utcnow()
    checked = []
    for session_id, base_id, _ in batch:
        session = db.session.get_one(TrainingSession, session_id)
        raw = roster_of(args, session_id, slots[session_id])
        good, errors = validate_rows(raw, session_hours=session.hours)
        if errors:
            raise SystemExit(f"session {session_id}: generated roster refused: {errors[0]}")
        checked.append((session, base_id, good, id_hashes(row.id_number for row in good)))
    wanted = {
        digest: NewPerson(row.id_number, row.name)
        for _, _, good, hashes in checked
        for row, digest in zip(good, hashes, strict=True)
    }
    people = ensure_people(wanted)
    work = []
    for session, base_id, good, hashes in checked:
        actor = Actor(role="base", name="压测基地", ref="bench", base_id=base_id)
        result = services.ImportResult(session_id=session.id, received=len(good))
        upload = services.open_upload(actor, session, result, "strict", None, None, now)
        fresh = list(zip(good, hashes, strict=True))
        records = services.record_rows(session, upload, fresh, people, result, now)
        work.append((actor, session, upload, result, records))
    everything = sorted(
        (record for *_, records in work for record in records),
        key=lambda r: (r.values["session_id"], r.person_id),
    )
    table = AttendanceRecord.__table__
    for record, record_id in zip(everything, reserve_ids(table, len(everything)), strict=True):
        record.values["id"] = record_id
    bulk_insert(table, [record.values for record in everything])
    for actor, session, upload, result, records in work:
        base = db.session.get_one(Base, session.base_id)
        inserted = {record.person_id: record.values["id"] for record in records}
        result.recorded = len(inserted)
        result.certificates_issued = services.issue_for_records(
            session, base, records, inserted, now
        )
        services.close_upload(actor, session, upload, result, "strict")
    return len(everything)


def revoke_some(args: argparse.Namespace) -> None:
    """Revoke every certificate of 1 % of the sessions and 1 % of the others, at most 2,000
    single ones (once, in one transaction, through the revocation services)."""
    import sqlalchemy as sa

    from jxjd.auth import SYSTEM
    from jxjd.certificates.models import Certificate
    from jxjd.certificates.services import revoke_certificate, revoke_session_certificates
    from jxjd.extensions import db
    from jxjd.sessions.models import TrainingSession

    if db.session.scalar(sa.select(Certificate.id).where(Certificate.revoked_at.is_not(None))):
        return
    rng = random.Random(7)
    session_ids = sorted(db.session.scalars(sa.select(TrainingSession.id)))
    for session_id in rng.sample(session_ids, max(1, len(session_ids) // 100)):
        revoke_session_certificates(
            SYSTEM, db.session.get_one(TrainingSession, session_id), reason="压测：整班撤销"
        )
    top = db.session.scalar(sa.select(sa.func.max(Certificate.id))) or 0
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) or 0
    want, picked = min(2000, max(1, count // 100)), set()
    for cert_id in rng.sample(range(1, top + 1), min(top, want * 2)):
        cert = db.session.get(Certificate, cert_id)
        if cert is None or cert.revoked_at is not None or len(picked) >= want:
            continue
        revoke_certificate(SYSTEM, cert, reason="压测：单张撤销")
        picked.add(cert_id)
    db.session.commit()
    print(
        f"  revoked the certificates of 1 % of sessions and {len(picked)} single ones", flush=True
    )


def _have_tallies() -> bool:
    import sqlalchemy as sa

    from jxjd.attendance.models import BaseYearTally
    from jxjd.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(BaseYearTally)) > 0


def rebuild_tallies_now() -> None:
    """The yearly tallies recomputed by `flask tallies rebuild`'s code."""
    from jxjd.attendance.tallies import rebuild_tallies
    from jxjd.extensions import db

    started = time.monotonic()
    rebuild_tallies()
    db.session.commit()
    print(f"  tallies rebuilt from the records in {time.monotonic() - started:.0f}s", flush=True)


def build(args: argparse.Namespace) -> int:
    """Structure, rosters (fast or service path), tallies, revocations; resumable. Returns the
    records this run stored."""
    build_structure(args, args.records // args.session_size)
    if args.builder == "service":
        loaded = load_rosters(args)  # the upload service maintains the tallies itself
    else:
        loaded = load_rosters_fast(args)
        if loaded or not _have_tallies():
            rebuild_tallies_now()  # after loading (or when a run stopped before its rebuild)
    revoke_some(args)
    return loaded


def credentials(args: argparse.Namespace) -> dict[str, Any]:
    """Tokens (admin, some people), share codes and certificate tokens to rotate over."""
    import sqlalchemy as sa

    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.archive.services import create_grant
    from jxjd.auth import CLI, Actor
    from jxjd.bases.models import Base
    from jxjd.certificates.models import Certificate
    from jxjd.extensions import db
    from jxjd.people.services import find_person

    _, admin = create_token(CLI, resolve_scope("admin", "压测管理员"))
    rng = random.Random(11)
    sample = rng.sample(range(args.people), 40)
    people, codes = [], []
    for i in sample:
        person = find_person(id_number(i))
        if person is None:
            continue
        _, plain = create_token(CLI, resolve_scope("person", person.name, id_number=id_number(i)))
        people.append(plain)
        actor = Actor(role="person", name=person.name, ref="bench", person_id=person.id)
        _, code = create_grant(actor, person, "湖南某某科技有限公司", YEARS[0], YEARS[-1], 30)
        codes.append(code)
    db.session.commit()
    tokens = list(
        db.session.scalars(sa.select(Certificate.token).order_by(sa.func.random()).limit(2000))
    )
    bases = list(db.session.scalars(sa.select(Base.id)))
    return {"admin": admin, "people": people, "codes": codes, "certs": tokens, "bases": bases}


def request_for(
    kind: str, creds: dict[str, Any], rng: random.Random, args
) -> urllib.request.Request:
    """One request of the kind, with a random subject."""
    url = f"http://127.0.0.1:{args.port}"
    admin = {"Authorization": f"Bearer {creds['admin']}"}
    if kind == "archive":
        body = {
            "id_number": id_number(rng.randrange(args.people)),
            "from": YEARS[0],
            "to": YEARS[-1],
        }
        return urllib.request.Request(
            f"{url}/api/v1/archive/query",
            data=json.dumps(body).encode(),
            headers={**admin, "Content-Type": "application/json"},
        )
    if kind == "review_check":
        token = rng.choice(creds["people"])
        return urllib.request.Request(
            f"{url}/api/v1/me/review-check?level=intermediate&year=2026",
            headers={"Authorization": f"Bearer {token}"},
        )
    if kind == "verify":
        return urllib.request.Request(f"{url}/api/v1/verify?t={rng.choice(creds['certs'])}")
    if kind == "share_read":
        return urllib.request.Request(
            f"{url}/api/v1/shared/{rng.choice(creds['codes'])}", headers=admin
        )
    if kind == "base_report":
        base = rng.choice(creds["bases"])
        return urllib.request.Request(
            f"{url}/api/v1/bases/{base}/report?year={REPORT_YEAR}", headers=admin
        )
    return urllib.request.Request(f"{url}/api/v1/reports/{REPORT_YEAR}", headers=admin)


def load(kind: str, clients: int, total: int, creds: dict[str, Any], args) -> dict[str, Any]:
    """`total` requests of a kind from `clients` threads; latencies (ms) and failures."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(n * 1000 + clients)
        for _ in range(total // clients):
            request = request_for(kind, creds, rng, args)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as resp:
                    resp.read()
            except urllib.error.HTTPError as exc:
                with lock:
                    failures.append(f"{exc.code} {exc.read()[:200]!r}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "failures": failures}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report_queries(args) -> dict[str, float]:
    """The reports' figure queries before (record scan) and after (tallies), in-process, best of 3."""
    import sqlalchemy as sa

    from jxjd.attendance.models import AttendanceRecord
    from jxjd.bases.models import Base
    from jxjd.certificates.models import Certificate
    from jxjd.common.types import Hours
    from jxjd.extensions import db
    from jxjd.reports.tabular import figures_rows
    from jxjd.sessions.models import TrainingSession

    counted = sa.case(
        (Certificate.revoked_at.is_not(None), sa.literal(0)), else_=AttendanceRecord.credited_hours
    )

    def scan(base_ids: list[int]) -> float:
        started = time.perf_counter()
        db.session.execute(
            sa.select(
                TrainingSession.base_id,
                sa.func.count(sa.distinct(AttendanceRecord.person_id)),
                sa.func.count(AttendanceRecord.id),
                sa.type_coerce(sa.func.coalesce(sa.func.sum(counted), 0), Hours),
            )
            .select_from(AttendanceRecord)
            .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
            .outerjoin(Certificate, Certificate.record_id == AttendanceRecord.id)
            .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year == REPORT_YEAR)
            .group_by(TrainingSession.base_id)
        ).all()
        return (time.perf_counter() - started) * 1000

    def tallied(base_ids: list[int]) -> float:
        started = time.perf_counter()
        figures_rows(base_ids, [REPORT_YEAR])
        return (time.perf_counter() - started) * 1000

    bases = list(db.session.scalars(sa.select(Base.id)))
    times = {
        "province_before": min(scan(bases) for _ in range(3)),
        "base_before": min(scan([bases[0]]) for _ in range(3)),
        "province_after": min(tallied(bases) for _ in range(3)),
        "base_after": min(tallied([bases[0]]) for _ in range(3)),
    }
    db.session.rollback()
    return times


def serve(args: argparse.Namespace) -> subprocess.Popen:
    """gunicorn (2 sync workers) on the benchmark database."""
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "JXJD_KEY_DIR": str(args.workdir / "keys"),
        "JXJD_QR_CACHE_DIR": str(args.workdir / "qr-cache"),
        "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        "JXJD_VERIFY_FAIL_LIMIT": "1000000 per minute",
    }
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def measure(args: argparse.Namespace, creds: dict[str, Any]) -> None:
    """Every endpoint at 1 and 8 clients, printed beside the targets."""
    proc = serve(args)
    try:
        for kind in TARGETS:  # warm both workers (imports, connections, caches)
            load(kind, 2, 10, creds, args)
        print(
            f"\n{'endpoint':<16} {'clients':>7} {'p50 ms':>9} {'p95 ms':>9}  {'errors':>6}  target"
        )
        for kind, (_, p95_target, label) in TARGETS.items():
            for clients in (1, 8):
                total = args.requests if kind != "province_report" else max(16, args.requests // 5)
                result = load(kind, clients, total, creds, args)
                lat = result["latencies"]
                p95 = pct(lat, 0.95)
                mark = "" if p95_target is None else ("  met" if p95 <= p95_target else "  MISSED")
                print(
                    f"{kind:<16} {clients:>7} {pct(lat, 0.5):>9.1f} {p95:>9.1f}  "
                    f"{len(result['failures']):>6}  {label}{mark}",
                    flush=True,
                )
                if result["failures"]:
                    print(f"    first failure: {result['failures'][0]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--records", type=int, default=200000)
    parser.add_argument("--bases", type=int, default=20)
    parser.add_argument("--session-size", type=int, default=100)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/jxjd-scale"))
    parser.add_argument("--port", type=int, default=18701)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and client count")
    parser.add_argument("--build-only", action="store_true", help="build (or resume), no timing")
    parser.add_argument(
        "--builder",
        choices=("fast", "service"),
        default="fast",
        help="fast: batched COPY through the upload's parts; service: one import_attendance "
        "per session (slow; to check the fast path against)",
    )
    parser.add_argument("--batch", type=int, default=50, help="sessions per fast-path transaction")
    parser.add_argument(
        "--stop-after", type=int, help="stop after this many batches (resume later)"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.database_url = args.database_url or f"sqlite:///{args.workdir / 'scale.sqlite3'}"
    if args.session_size > args.people:
        raise SystemExit("--session-size must not exceed --people")
    import sqlalchemy as sa

    from jxjd.attendance.models import AttendanceRecord
    from jxjd.extensions import db

    build_app(args)
    sessions = args.records // args.session_size
    started = time.monotonic()
    print(
        f"building {args.people} people / {sessions * args.session_size} records on "
        f"{db.engine.dialect.name} ({args.workdir})",
        flush=True,
    )
    loaded = build(args)
    records = db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord))
    took = time.monotonic() - started
    print(
        f"built: {records} records; {loaded} stored by this run in {took:.0f}s"
        + (f" ({loaded / took:,.0f} records/s overall)" if loaded else ""),
        flush=True,
    )
    db.session.commit()
    if args.build_only:
        return 0
    q = report_queries(args)
    print(
        "report figure queries, in-process, best of 3 — before #12 (record scan): province "
        f"{q['province_before']:.1f} ms, one base {q['base_before']:.1f} ms; after (tallies): "
        f"province {q['province_after']:.1f} ms, one base {q['base_after']:.1f} ms"
    )
    creds = credentials(args)
    db.session.remove()
    measure(args, creds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
