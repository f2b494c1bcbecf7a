"""scripts/bench_scale.py: the fast builder gives data the app reads exactly as it reads the data
the upload service stores (archive, certificate verification, base and province reports).

Both builders run as separate processes, each on an empty database of the test database's kind
(a second database on the test server for PostgreSQL), with the same small data set.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from jxjd import create_app
from jxjd.extensions import db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench_scale.py"
SIZE = ["--people", "400", "--records", "2400", "--bases", "2", "--session-size", "40"]
# What differs between two builds of the same data: random serials and signatures, row ids
# and times of the build, the per-build key ids.
VOLATILE = {
    "serial",
    "token",
    "jws",
    "issued_at",
    "created_at",
    "generated_at",
    "id",
    "person_id",
    "record_id",
    "upload_id",
    "kid",
    "verify_url",
    "qr_url",
    "url",
    "revoked_at",
}


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def empty_database(app, tmp_path):
    """empty_database(name) → the URL of a new, empty database of the test database's kind."""
    made: list[str] = []

    def make(name: str) -> str:
        source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if source.get_backend_name() != "postgresql":
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        database = f"jxjd_bench_{name}_{secrets.token_hex(4)}"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        made.append(database)
        return source.set(database=database).render_as_string(hide_password=False)

    yield make
    for database in made:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _build(builder: str, url: str, workdir: Path, *extra: str, status: int = 0) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *SIZE, "--build-only", "--builder", builder, *extra]
        + ["--workdir", str(workdir), "--database-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == status, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _stable(value: Any) -> Any:
    """The answer without what differs between two builds of the same data."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _readings(app_config: dict[str, Any], people: list[str]) -> dict[str, Any]:
    """What the app answers on a built database: archives, reports, a verified certificate."""
    from jxjd.accounts.services import create_token, resolve_scope
    from jxjd.auth import CLI
    from jxjd.bases.models import Base
    from jxjd.certificates.models import Certificate
    from jxjd.people.services import find_person

    target = create_app(app_config)
    with target.app_context():
        _, admin = create_token(CLI, resolve_scope("admin", "压测核对"))
        db.session.commit()
        headers = {"Authorization": f"Bearer {admin}"}
        client = target.test_client()
        out: dict[str, Any] = {"archive": [], "base_reports": []}
        for number in people:
            resp = client.post(
                "/api/v1/archive/query",
                json={"id_number": number, "from": 2023, "to": 2025},
                headers=headers,
            )
            assert resp.status_code == 200, resp.get_json()
            out["archive"].append(_stable(resp.get_json()))
        for base_id in sorted(db.session.scalars(sa.select(Base.id))):
            resp = client.get(f"/api/v1/bases/{base_id}/report?year=2025", headers=headers)
            assert resp.status_code == 200, resp.get_json()
            out["base_reports"].append(_stable(resp.get_json()))
        resp = client.get("/api/v1/reports/2025", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        out["province"] = _stable(resp.get_json())
        # One certificate of a known person (the first holder among the sample), and a revoked one.
        person = find_person(people[0])
        assert person is not None
        for revoked in (False, True):
            token = db.session.scalar(
                sa.select(Certificate.token)
                .where(
                    Certificate.person_id == person.id
                    if not revoked
                    else Certificate.revoked_at.is_not(None)
                )
                .order_by(Certificate.session_id, Certificate.record_id)
                .limit(1)
            )
            resp = client.get(f"/api/v1/verify?t={token}")
            assert resp.status_code == 200, resp.get_json()
            out[f"verify_revoked_{revoked}"] = _stable(resp.get_json())
        counts = {}
        for table in ("people", "attendance_records", "certificates", "attendance_uploads"):
            counts[table] = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        out["counts"] = counts
        db.session.remove()
        db.engine.dispose()
    return out


def test_fast_builder_gives_what_the_upload_service_gives(app, tmp_path, empty_database):
    script = _script()
    # People who attended: the first trainees of the first sessions.
    people = [script.id_number(i) for i in (0, 1, 2, 7, 50, 123, 399)]
    readings = {}
    for builder in ("service", "fast"):
        url = empty_database(builder)
        workdir = tmp_path / builder
        if builder == "fast":  # stopped after 3 batches of 7 sessions, then resumed
            stopped = _build(builder, url, workdir, "--batch", "7", "--stop-after", "3", status=1)
            assert "stopped after 3 batches" in stopped, stopped
            log = _build(builder, url, workdir, "--batch", "7")
            assert "21 sessions loaded before, 39 to go" in log, log
            assert "1560 stored by this run" in log, log
        else:
            log = _build(builder, url, workdir)
        assert "built: 2400 records;" in log, log
        readings[builder] = _readings(
            {
                "TESTING_CONFIG": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "JXJD_KEY_DIR": str(workdir / "keys"),
                "JXJD_QR_CACHE_DIR": str(workdir / "qr"),
                "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
            },
            people,
        )
    service, fast = readings["service"], readings["fast"]
    assert service["counts"]["attendance_records"] == 2400
    assert service["counts"]["certificates"] > 2000
    assert any(entry["records"] for entry in service["archive"] if isinstance(entry, dict))
    assert service["verify_revoked_False"] != service["verify_revoked_True"]
    assert fast == service
