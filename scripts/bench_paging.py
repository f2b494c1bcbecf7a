#!/usr/bin/env python3
"""Measure a 20,000-certificate session's lists before and after pagination (CONTRACT §11).

Builds one session with 20,000 trainees (one JSON upload, strict mode), then times through the
HTTP layer (Flask test client, in process; median of 5 after a warm-up):

- before: the whole list as the view answered it before pagination (the same service, schema
  and JSON encoding, without a page);
- after: the default page (50), one page of 500, and walking every page of 500 by its
  Link rel="next";

for the certificates (`/api/v1/sessions/{id}/certificates`) and the records
(`/api/v1/sessions/{id}/attendance`). Prints milliseconds and response bytes.

    .venv/bin/python scripts/bench_paging.py                       # a temporary SQLite file
    .venv/bin/python scripts/bench_paging.py --database-url postgresql+psycopg://…/empty_db
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_ingest import base_token, create_sessions, make_people  # noqa: E402

ROWS = 20_000
RUNS = 5


def build_app(workdir: Path, url: str | None):
    """A fresh app on `url` (an empty database) or a new SQLite file, migrated, keys made."""
    import logging

    from flask_migrate import upgrade

    from jxjd import create_app
    from jxjd.keys.services import prepare_key_store

    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{workdir / 'bench.sqlite3'}",
            "JXJD_KEY_DIR": str(workdir / "keys"),
            "JXJD_QR_CACHE_DIR": str(workdir / "qr-cache"),
            "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        }
    )
    app.app_context().push()
    upgrade(directory=str(ROOT / "migrations"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    prepare_key_store(app)
    return app


def timed(call) -> tuple[float, int]:
    """Median milliseconds of RUNS calls (after one warm-up) and the bytes of the answer."""
    size = call()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database to build in (default: SQLite)")
    args = parser.parse_args()

    from flask import current_app

    from jxjd.attendance import services as attendance
    from jxjd.certificates.schemas import CertificateSchema
    from jxjd.certificates.services import certificates_of_session
    from jxjd.common.types import hours_json
    from jxjd.extensions import db

    with tempfile.TemporaryDirectory(prefix="jxjd-bench-paging-") as tmp:
        app = build_app(Path(tmp), args.database_url)
        client = app.test_client()
        base, [session] = create_sessions(1)
        headers = {"Authorization": f"Bearer {base_token(base)}"}
        people = make_people(ROWS, random.Random(11), set())
        for person in people:
            person["result"] = "合格"
        start = time.perf_counter()
        resp = client.post(
            f"/api/v1/sessions/{session.id}/attendance", json={"rows": people}, headers=headers
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        print(
            f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: session with "
            f"{resp.get_json()['certificates_issued']:,} certificates "
            f"(upload {time.perf_counter() - start:.1f} s)"
        )
        session_id = session.id
        if db.engine.dialect.name == "postgresql":  # as autovacuum would soon after a load
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")

        def whole_certificates() -> int:
            with app.test_request_context():
                sess = db.session.get(type(session), session_id)
                body = {
                    "certificates": CertificateSchema(many=True).dump(certificates_of_session(sess))
                }
                size = len(current_app.json.response(body).get_data())
            db.session.remove()
            return size

        def whole_records() -> int:
            with app.test_request_context():
                sess = db.session.get(type(session), session_id)
                rows = attendance.list_records(sess)
                body = {
                    "session_id": sess.id,
                    "records": [
                        {
                            "name": r.name,
                            "id_masked": r.person.id_masked,
                            "employer": r.employer,
                            "hours": hours_json(r.hours),
                            "result": r.result,
                            "credited_hours": hours_json(r.credited_hours),
                            "name_differs": r.name_differs,
                            "certificate": r.certificate.serial if r.certificate else None,
                        }
                        for r in rows
                    ],
                }
                size = len(current_app.json.response(body).get_data())
            db.session.remove()
            return size

        def get(url: str) -> int:
            resp = client.get(url, headers=headers)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            return len(resp.get_data())

        def walk(url: str) -> int:
            total = 0
            while url:
                resp = client.get(url, headers=headers)
                total += len(resp.get_data())
                link = resp.headers.get("Link")
                url = re.fullmatch(r"<([^>]+)>; rel=\"next\"", link).group(1) if link else None
            return total

        for name, path, whole in (
            ("certificates", f"/api/v1/sessions/{session_id}/certificates", whole_certificates),
            ("records", f"/api/v1/sessions/{session_id}/attendance", whole_records),
        ):
            print(f"\n{name}:")
            for label, call in (
                ("before: whole list (no pagination)", whole),
                ("after: default page (50)", lambda p=path: get(p)),
                ("after: per_page=500", lambda p=path: get(f"{p}?per_page=500")),
                ("after: every page of 500 via Link", lambda p=path: walk(f"{p}?per_page=500")),
            ):
                ms, size = timed(call)
                print(f"  {label:<40} {ms:9.1f} ms  {size / 1024:10.1f} KB")


if __name__ == "__main__":
    main()
