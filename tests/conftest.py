"""Test fixtures: one app per test session on SQLite or PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from jxjd import create_app
from jxjd.extensions import db

pytest_plugins = [
    "tests.fixtures.auth",
    "tests.fixtures.bases",
    "tests.fixtures.plans",
    "tests.fixtures.applications",
    "tests.fixtures.attendance",
    "tests.fixtures.clock",
    "tests.fixtures.departments",
]


def _database_url(tmp_root) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app, with the schema built by the migrations (so they are exercised every run)."""
    from flask_migrate import downgrade, upgrade

    root = tmp_path_factory.mktemp("jxjd")
    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(root),
            "JXJD_KEY_DIR": str(root / "keys"),
            "JXJD_QR_CACHE_DIR": str(root / "qr-cache"),
            "JXJD_PUBLIC_URL": "https://jxjd.example.cn",
        }
    )
    app.instance_path = str(root / "instance")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        # The same start-up check as create_app's, now that the schema exists: an empty
        # database, so the fresh key store gets its keys and their fingerprints.
        from jxjd.keys.services import prepare_key_store

        assert prepare_key_store(app).ok
        yield app
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Every test starts from empty tables (and the audit chain head)."""
    yield
    db.session.rollback()
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(
            sa.text("INSERT INTO audit_heads (id, last_hash, count) VALUES (1, :h, 0)"),
            {"h": "0" * 64},
        )
    from jxjd.extensions import limiter

    limiter.reset()
    app.extensions.pop("jxjd_report_cache", None)  # reports cached by version (reports.services)


@pytest.fixture
def client(app):
    return app.test_client()


def assert_problem(resp, status: int, code: str | None = None) -> dict:
    """The response is problem+json with this status (and this code, if given)."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert key in body
    if code is not None:
        codes = [body.get("code")] + [e["code"] for e in body.get("errors") or []]
        assert code in codes, body
    return body
