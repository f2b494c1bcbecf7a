#!/usr/bin/env python3
"""Benchmark the credentials of CONTRACT §13: status list fetch over 1M certificates, signatures.

1. Status lists: a fresh database (SQLite file, and PostgreSQL with --postgres-port: a throwaway
   server is started there and removed) gets N certificates (default 1,000,000; 1 % revoked) and
   their status entries by bulk INSERT … SELECT generated inside the database (foreign keys off
   for the load only). Then GET /status/1 through the app: cold (nothing cached), warm (cached,
   only the revocation stamp is read), and right after one more revocation (rebuilt), with the
   parts of a rebuild timed separately; and the allocation rate of allocate_entries.
2. Signatures: sign and verify µs per operation for Ed25519 (cryptography) and SM2 over SM3
   (tongsuopy, the one the service uses), raw and as a compact JWS as the service makes them,
   plus the other SM2 candidates (gmssl, snowland-smx, gmalg, gmalglib) where installed, each
   checked against the GB/T 32918.5 Annex A signature vector first.

    .venv/bin/python scripts/bench_credentials.py [--certificates 1000000] [--postgres-port 54343]

3. Transcripts: one person with 5 years × 10 records (50 sessions, rosters uploaded through the
   API), then POST /api/v1/me/transcripts for the five years, median ms per issue (and the
   verify API on the result).
4. `keys compromise`: certificates issued through a roster upload (--resign-certificates, default
   10,000; real payloads) and the transcripts above, then `flask keys compromise` through the
   CLI runner: certificates (and transcripts) re-signed per second.

A benchmark, never a timed test assertion.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KAT_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
KAT_PK = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
KAT_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
KAT_SIG = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
UID = b"1234567812345678"
MESSAGE = os.urandom(600)  # about a certificate token's signing input


def per_op(fn: Callable[[], object], seconds: float = 1.0, minimum: int = 5) -> float:
    """Median µs per call over a few rounds of about `seconds` / 3 each."""
    rounds = []
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while count < minimum or time.perf_counter() - start < seconds / 3:
            fn()
            count += 1
        rounds.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(rounds)


# ---- signatures --------------------------------------------------------------------------------


def bench_signatures() -> None:
    """Sign/verify µs per operation: Ed25519, SM2 (tongsuopy), other SM2 candidates if present."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from jxjd.certificates import sm2
    from jxjd.certificates.signing import SigningKeys, verify_token
    from jxjd.common.crypto import KeyStore

    print("== signatures (µs per operation, 600-byte message; JWS: a certificate token)")
    rows: list[tuple[str, str, float, float]] = []
    ed = Ed25519PrivateKey.generate()
    ed_sig = ed.sign(MESSAGE)
    rows.append(
        (
            "Ed25519 (cryptography)",
            "raw",
            per_op(lambda: ed.sign(MESSAGE)),
            per_op(lambda: ed.public_key().verify(ed_sig, MESSAGE)),
        )
    )
    sm2_private = sm2.generate_private_key()
    sm2_public = sm2_private.public_key()
    sm2_sig = sm2.sign(sm2_private, MESSAGE)
    assert sm2.verify(sm2.public_from_xy(*[KAT_PK[:32], KAT_PK[32:]]), b"message digest", KAT_SIG)
    rows.append(
        (
            "SM2/SM3 (tongsuopy, used)",
            "raw",
            per_op(lambda: sm2.sign(sm2_private, MESSAGE)),
            per_op(lambda: sm2.verify(sm2_public, MESSAGE, sm2_sig)),
        )
    )
    payload = {
        "sn": "7Q0X3M8N2K4P6R9T1V5W8Y2Z",
        "name": "张三",
        "id_masked": "430104********0015",
        "hours": 24,
        "category": "professional",
        "title": "人工智能应用高级研修班（第一期）",
        "base": "湖南某某职业技术学院继续教育学院",
        "start_date": "2026-03-01",
        "end_date": "2026-03-03",
        "iat": 4102444800,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for alg, label in (("EdDSA", "Ed25519"), (sm2.ALG, "SM2/SM3")):
            store = KeyStore(Path(tmp) / alg)
            store.create_missing()
            keys = SigningKeys(store, alg=alg)
            active = keys.ensure_active()
            published = keys.public_keys()
            token = active.sign(payload)
            assert verify_token(token, published).valid
            rows.append(
                (
                    label,
                    "JWS",
                    per_op(lambda a=active: a.sign(payload)),
                    per_op(lambda t=token, p=published: verify_token(t, p)),
                )
            )
    for name, make in _candidates().items():
        try:
            sign, verify, kat = make()
        except ImportError:
            print(f"   {name}: not installed (pip install it to compare)")
            continue
        signature = sign(MESSAGE)
        if not verify(MESSAGE, signature):
            print(f"   {name}: its own signature does not verify, skipped")
            continue
        seconds = 0.6
        rows.append(
            (
                f"{name} [vector {'ok' if kat else 'FAILED'}]",
                "raw",
                per_op(lambda s=sign: s(MESSAGE), seconds, 3),
                per_op(lambda v=verify, s=signature: v(MESSAGE, s), seconds, 3),
            )
        )
    print(f"   {'implementation':38} {'form':4} {'sign µs':>10} {'verify µs':>10}")
    for name, form, sign_us, verify_us in rows:
        print(f"   {name:38} {form:4} {sign_us:10.0f} {verify_us:10.0f}")


def _candidates() -> dict[str, Callable[[], tuple[Callable, Callable, bool]]]:
    """Other SM2 libraries: () → (sign, verify, published vector verified), ImportError if absent."""

    def gmssl():
        from gmssl import sm2 as g

        signer = g.CryptSM2(private_key=KAT_D.hex(), public_key=KAT_PK.hex())
        kat = bool(signer.verify_with_sm3(KAT_SIG.hex(), b"message digest"))
        # gmssl draws its default nonce from `random`: pass a secure one.
        return (
            lambda m: signer.sign_with_sm3(m, secrets.token_hex(32)),
            lambda m, s: bool(signer.verify_with_sm3(s, m)),
            kat,
        )

    def snowland():
        from pysmx.SM2 import _SM2 as x

        kat = bool(x.Verify(KAT_SIG, b"message digest", KAT_PK.hex(), 64, uid=UID))
        return (
            lambda m: x.Sign(m, KAT_D.hex(), x.get_random_str(64), 64, uid=UID),
            lambda m, s: bool(x.Verify(s, m, KAT_PK.hex(), 64, uid=UID)),
            kat,
        )

    def gmalg():
        lib = importlib.import_module("gmalg")
        signer = lib.SM2(KAT_D, UID, b"\x04" + KAT_PK)
        kat = signer.verify(b"message digest", KAT_SIG[:32], KAT_SIG[32:])
        return (
            lambda m: b"".join(signer.sign(m)),
            lambda m, s: signer.verify(m, s[:32], s[32:]),
            kat,
        )

    def gmalglib():
        from gmalglib.sm2 import SM2

        signer, checker = SM2(KAT_D, uid=UID), SM2(pk=b"\x04" + KAT_PK, uid=UID)
        kat = checker.verify(b"message digest", KAT_SIG)
        return signer.sign, checker.verify, kat

    return {
        "gmssl (pure Python)": gmssl,
        "snowland-smx (pure Python)": snowland,
        "gmalg (pure Python)": gmalg,
        "gmalglib (C extension)": gmalglib,
    }


# ---- status lists --------------------------------------------------------------------------------


def build_app(workdir: Path, database_url: str):
    """An app on a freshly migrated database."""
    import logging

    from flask_migrate import upgrade

    from jxjd import create_app
    from jxjd.extensions import db

    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "JXJD_KEY_DIR": str(workdir / "keys"),
            "JXJD_QR_CACHE_DIR": str(workdir / "qr-cache"),
            "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        }
    )
    app.instance_path = str(workdir / "instance")
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = app.app_context()
    ctx.push()
    upgrade(directory=str(ROOT / "migrations"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db.session.commit()
    from jxjd.keys.services import prepare_key_store

    prepare_key_store(app)
    return app, ctx


def load(count: int, first_id: int = 1, revoked_every: int = 100, lists: bool = True) -> float:
    """Insert certificates first_id… (1 in `revoked_every` revoked) and, if `lists`, their
    status entries, inside the database; seconds taken."""
    import sqlalchemy as sa

    from jxjd.extensions import db

    size = 131_072
    last = first_id + count - 1
    postgres = db.engine.dialect.name == "postgresql"
    start = time.perf_counter()
    with db.engine.begin() as conn:
        if postgres:
            conn.execute(sa.text("SET session_replication_role = replica"))  # no FK triggers
            seq = "SELECT n::bigint AS n FROM generate_series(:first, :last) AS s(n)"
            serial = "'B' || lpad(n::text, 21, '0')"
            stamp, revoked = (
                "'2026-03-03 02:00:00+00'::timestamptz",
                "'2026-06-01 00:00:00+00'::timestamptz",
            )
            payload = "'{}'::json"
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            seq = "WITH RECURSIVE s(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM s WHERE n < :last) SELECT n FROM s"
            serial = "printf('B%021d', n)"
            stamp, revoked = "'2026-03-03 02:00:00.000000'", "'2026-06-01 00:00:00.000000'"
            payload = "'{}'"
        params = {"first": first_id, "last": last}
        conn.execute(
            sa.text(
                "INSERT INTO certificates (id, serial, record_id, person_id, session_id, alg, kid,"
                " token, payload, issued_at, revoked_at, revoked_reason)"
                f" SELECT n, {serial}, n, 1, 1, 'EdDSA', 'kbench', 'x', {payload}, {stamp},"
                f" CASE WHEN n % {revoked_every} = 7 THEN {revoked} END,"
                f" CASE WHEN n % {revoked_every} = 7 THEN 'bench' END FROM ({seq}) AS q"
            ),
            params,
        )
        if lists:
            n_lists = (last + size - 1) // size
            for list_id in range(1, n_lists + 1):
                conn.execute(
                    sa.text(
                        "INSERT INTO status_lists (id, size, allocated, seed, created_at)"
                        f" VALUES (:id, {size}, :allocated, :seed, {stamp})"
                    ),
                    # Marked full: their indices are not the keyed permutation's, so later
                    # (real) allocations must open a list of their own.
                    {"id": list_id, "allocated": size, "seed": secrets.token_hex(32)},
                )
            # A bijection of each list (multiplication by an odd number mod 2^17) stands in for
            # the keyed permutation: the fetch does not depend on which bijection it is.
            conn.execute(
                sa.text(
                    "INSERT INTO credential_statuses (certificate_id, list_id, idx, salt, created_at)"
                    f" SELECT n, (n - 1) / {size} + 1, (((n - 1) % {size}) * 92821) % {size},"
                    f" 'salt', {stamp} FROM ({seq}) AS q"
                ),
                params,
            )
        if postgres:
            conn.execute(sa.text("SET session_replication_role = DEFAULT"))
            for table in ("certificates", "status_lists"):  # explicit ids: move the sequences on
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
            conn.execute(sa.text("ANALYZE"))
    if postgres:  # what autovacuum does after a bulk load: statistics and the visibility map
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    return time.perf_counter() - start


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_status_lists(label: str, database_url: str, count: int, workdir: Path) -> None:
    """Status list fetch times over `count` certificates on one database."""
    import sqlalchemy as sa
    from flask import current_app

    from jxjd.certificates.services import signing_keys
    from jxjd.credentials import services, status, vc
    from jxjd.extensions import db

    app, ctx = build_app(workdir, database_url)
    try:
        seconds = load(count)
        client = app.test_client()
        revoked_in_list = len(status.revoked_indices(1))
        print(
            f"== status list, {label}: {count:,} certificates with entries, loaded in {seconds:.1f} s"
        )
        print(f"   list 1: {vc.STATUS_LIST_SIZE:,} entries, {revoked_in_list:,} revoked")

        def cold():
            current_app.extensions.pop("jxjd_status_lists", None)
            resp = client.get("/status/1")
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]

        def warm():
            assert client.get("/status/1").status_code == 200

        cold_ms = timed(cold)
        warm_ms = timed(warm, 50)
        key = signing_keys().active()
        parts = {
            "revocation stamp (count, max)": timed(status.revocation_stamp, 20),
            "revoked indices of the list": timed(lambda: status.revoked_indices(1), 5),
        }
        indices = status.revoked_indices(1)
        parts["bitstring + GZIP + multibase"] = timed(
            lambda: vc.encode_bitstring(vc.bitstring(indices)), 20
        )
        credential = vc.status_list_credential(
            services.status_list_url(1), services.issuer_did(), "u", datetime.now(UTC)
        )
        parts["sign vc+jwt"] = timed(lambda: vc.sign_vc_jwt(key, credential, 1), 20)

        next_id = count + 1

        def after_revocation():
            nonlocal next_id
            with db.engine.begin() as conn:  # one more revocation: the cached list is stale
                conn.execute(
                    sa.text("UPDATE certificates SET revoked_at = :t WHERE id = :id"),
                    {"t": datetime.now(UTC), "id": next_id - count},
                )
            next_id += 1
            warm()

        rebuilt_ms = timed(after_revocation, 5)
        print(f"   GET /status/1 cold (built, signed):        {cold_ms:8.1f} ms")
        print(f"   GET /status/1 warm (cached, stamp read):   {warm_ms:8.2f} ms")
        print(f"   GET /status/1 after a revocation (rebuilt): {rebuilt_ms:8.1f} ms")
        for name, ms in parts.items():
            print(f"     {name:36} {ms:8.2f} ms")

        # Allocation: entries for certificates that have none yet, in bulk and one by one.
        extra = 20_000
        load(extra, first_id=count + 1, revoked_every=10**9, lists=False)
        ids = list(range(count + 1, count + extra + 1))
        start = time.perf_counter()
        status.allocate_entries(ids[:-200])
        db.session.commit()
        bulk = (extra - 200) / (time.perf_counter() - start)
        start = time.perf_counter()
        for cid in ids[-200:]:
            status.ensure_entry(cid)
            db.session.commit()
        single = 200 / (time.perf_counter() - start)
        print(f"   allocation: {bulk:,.0f} entries/s in bulk, {single:,.0f}/s one per request")
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


# ---- transcripts and keys compromise -----------------------------------------------------------

YEARS = (2022, 2023, 2024, 2025, 2026)


def _sessions_over_years(per_year: int):
    """A base with `per_year` × 5 finished sessions, their `year` spread over YEARS."""
    from datetime import date
    from decimal import Decimal

    import sqlalchemy as sa

    from jxjd.auth import Actor
    from jxjd.extensions import db
    from jxjd.plans.models import PlanItem
    from jxjd.sessions.models import TrainingSession
    from jxjd.sessions.services import schedule_session
    from scripts.bench_ingest import create_sessions

    base, [first] = create_sessions(1)
    db.session.execute(
        sa.update(PlanItem).where(PlanItem.id == first.plan_item_id).values(sessions=100)
    )
    db.session.commit()
    actor = Actor(role="base", name=base.name, ref="bench", base_id=base.id)
    sessions = [first]
    for n in range(1, per_year * len(YEARS)):
        start = date(2026, 3 + n % 8, 2 + (n // 8) * 4)
        sessions.append(
            schedule_session(
                actor,
                base,
                {
                    "plan_item_id": first.plan_item_id,
                    "title": f"人工智能应用高级研修班（第{n + 1}期）",
                    "specialty": "电子信息",
                    "category": "professional",
                    "level": "senior",
                    "audience": "public",
                    "form": "in_person",
                    "start_date": start,
                    "end_date": start.replace(day=start.day + 2),
                    "hours": Decimal(24),
                    "location": "长沙",
                },
            )
        )
    db.session.commit()
    for i, session in enumerate(sessions):
        db.session.execute(
            sa.update(TrainingSession)
            .where(TrainingSession.id == session.id)
            .values(year=YEARS[i % len(YEARS)])
        )
    db.session.commit()
    return base, sessions


def bench_transcripts(label: str, database_url: str, workdir: Path, resign: int) -> None:
    """Transcript issue time (5 years × 10 records) and the `keys compromise` re-signing rate."""
    import random

    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.extensions import db
    from scripts.bench_ingest import base_token, make_people

    app, ctx = build_app(workdir, database_url)
    try:
        client = app.test_client()
        base, sessions = _sessions_over_years(10)
        headers = {"Authorization": f"Bearer {base_token(base)}"}
        rng = random.Random(13)
        taken: set[str] = set()
        (subject,) = make_people(1, rng, taken)
        subject.update(result="合格", hours=24)
        start = time.perf_counter()
        for session in sessions:
            resp = client.post(
                f"/api/v1/sessions/{session.id}/attendance",
                json={"rows": [subject]},
                headers=headers,
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        loaded = time.perf_counter() - start
        _, plain = create_token(
            CLI, resolve_scope("person", subject["name"], id_number=subject["id_number"])
        )
        db.session.commit()
        person = {"Authorization": f"Bearer {plain}"}
        span = {"from": YEARS[0], "to": YEARS[-1]}
        issued: list[dict] = []

        def issue():
            resp = client.post("/api/v1/me/transcripts", json=span, headers=person)
            assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
            issued.append(resp.get_json())

        issue_ms = timed(issue, 30)
        years = json_payload(issued[-1]["token"])["years"]
        assert sum(y["g"] + y["p"] for y in years) == 24 * len(sessions), years
        verify_ms = timed(
            lambda: client.get("/api/v1/verify", query_string={"t": issued[-1]["token"]}), 30
        )
        print(
            f"== transcripts, {label}: a person with {len(YEARS)} years × "
            f"{len(sessions) // len(YEARS)} records (uploaded in {loaded:.1f} s)"
        )
        print(f"   POST /api/v1/me/transcripts (5 years):  {issue_ms:8.2f} ms median of 30")
        print(f"   GET /api/v1/verify?t= (transcript):     {verify_ms:8.2f} ms median of 30")

        # keys compromise: real certificates from one roster, plus the transcripts above.
        crowd = make_people(resign, rng, taken)
        for row in crowd:
            row.update(result="合格", hours=24)
        resp = client.post(
            f"/api/v1/sessions/{sessions[0].id}/attendance",
            json={"rows": crowd},
            headers=headers,
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        from jxjd.certificates.services import count_signed_by, signing_keys
        from jxjd.transcripts import services as transcripts

        kid = signing_keys().active().kid
        certificates, papers = count_signed_by(kid), transcripts.count_signed_by(kid)
        start = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["keys", "compromise", kid, "--yes"])
        seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        print(
            f"   keys compromise: {certificates:,} certificates + {papers} transcripts re-signed "
            f"in {seconds:.1f} s = {(certificates + papers) / seconds:,.0f} documents/s"
        )
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


def json_payload(token: str) -> dict:
    """The payload of a compact JWS (not verified: the bench checks its own figures)."""
    import base64
    import json

    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- a throwaway PostgreSQL --------------------------------------------------------------------


def start_postgres(port: int, workdir: Path) -> tuple[str, Callable[[], None]]:
    """initdb + pg_ctl start on 127.0.0.1:port (as test.sh does); (URL, stop)."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise SystemExit("PostgreSQL server binaries not found")
    pg_bin = bins[-1]
    data = workdir / "pg"
    as_pg: list[str] = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if os.getuid() == 0:
        shutil.chown(workdir, "postgres")
    run = lambda *a: subprocess.run([*as_pg, *a], check=True, capture_output=True)  # noqa: E731
    run(str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(
        str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(workdir / "pg.log"), "-w", "-o",
        f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c synchronous_commit=off", "start",
    )  # fmt: skip
    run(str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench")

    def stop() -> None:
        subprocess.run(
            [*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", stop


@contextlib.contextmanager
def db_dropped(url: str):
    """The bench database emptied (schema dropped) before the next benchmark builds in it."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    yield


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--postgres-port", type=int, help="also on a throwaway PostgreSQL here")
    parser.add_argument("--skip-signatures", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-status-lists", action="store_true")
    parser.add_argument("--resign-certificates", type=int, default=10_000)
    args = parser.parse_args()
    if not args.skip_signatures:
        bench_signatures()
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-cred-") as tmp:
        work = Path(tmp)
        (work / "sqlite").mkdir()
        url = f"sqlite:///{work / 'sqlite' / 'bench.sqlite3'}"
        if not args.skip_sqlite:
            if not args.skip_status_lists:
                bench_status_lists("SQLite", url, args.certificates, work / "sqlite")
            (work / "sqlite-t").mkdir()
            url_t = f"sqlite:///{work / 'sqlite-t' / 'bench.sqlite3'}"
            bench_transcripts("SQLite", url_t, work / "sqlite-t", args.resign_certificates)
        if args.postgres_port:
            # Its own folder, outside the (owner-only) one above: the server runs as postgres.
            pg_work = Path(tempfile.mkdtemp(prefix="jxjd-bench-pg-"))
            try:
                url, stop = start_postgres(args.postgres_port, pg_work)
                try:
                    if not args.skip_status_lists:
                        bench_status_lists("PostgreSQL", url, args.certificates, work / "postgres")
                    with db_dropped(url):
                        bench_transcripts(
                            "PostgreSQL", url, work / "postgres-t", args.resign_certificates
                        )
                finally:
                    stop()
            finally:
                shutil.rmtree(pg_work, ignore_errors=True)


if __name__ == "__main__":
    main()
