"""A database that cannot be reached or stays locked → 503 problem+json with Retry-After (§11)."""

from __future__ import annotations

import socket
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from jxjd import create_app
from jxjd.errors import database_problem
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.bases import base_payload

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def _app(tmp_path: Path, database_url: str, **config):
    return create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "JXJD_KEY_DIR": str(tmp_path / "keys"),
            "JXJD_QR_CACHE_DIR": str(tmp_path / "qr"),
            **config,
        }
    )


@pytest.fixture
def unreachable(tmp_path):
    """An app whose PostgreSQL server does not exist."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/jxjd"
    app = _app(tmp_path, url)
    yield app
    with app.app_context():
        db.engine.dispose()


def _assert_unavailable(resp) -> None:
    assert 0 < int(resp.headers["Retry-After"]) <= 60


def test_an_api_call_gets_503_when_the_database_is_unreachable(unreachable):
    resp = unreachable.test_client().get(
        "/api/v1/bases", headers={"Authorization": "Bearer jxjd_whatever"}
    )
    body = assert_problem(resp, 503, "database_unavailable")
    _assert_unavailable(resp)
    assert "数据库" in body["detail"]
    assert "postgres" not in resp.get_data(as_text=True)  # no driver text, no connection string


def test_a_page_gets_a_chinese_503_when_the_database_is_unreachable(unreachable):
    client = unreachable.test_client()
    resp = client.get("/v/AAAAAAAAAAAAAAAAAAAAAA", headers=BROWSER)
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    _assert_unavailable(resp)
    assert "数据库暂时无法连接" in resp.get_data(as_text=True)
    # A signed-in visitor: even the account behind the session cookie cannot be loaded.
    with client.session_transaction() as session:
        session["_user_id"] = "1:a-session-token"  # loading it needs the database
        session["_fresh"] = True
    resp = client.get("/plans", headers=BROWSER)
    assert resp.status_code == 503
    _assert_unavailable(resp)
    assert "数据库暂时无法连接" in resp.get_data(as_text=True)


def test_a_lock_held_past_the_lock_timeout_gets_503_busy(app, tmp_path, admin_headers):
    """Another connection holds the write lock; the request gives up after 0.3 s with 503."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    impatient = _app(
        tmp_path, url, JXJD_DB_LOCK_TIMEOUT=0.3, JXJD_KEY_DIR=app.config["JXJD_KEY_DIR"]
    )
    release = threading.Event()
    locked = threading.Event()
    engine = db.engine  # the session app's, from this thread's app context

    def hold_lock() -> None:
        if url.startswith("sqlite"):
            path = sa.engine.make_url(url).database
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")  # the write lock (readers still read in WAL mode)
            locked.set()
            release.wait(30)
            conn.execute("ROLLBACK")
            conn.close()
        else:
            with engine.connect() as conn:
                conn.execute(sa.text("LOCK TABLE bases IN ACCESS EXCLUSIVE MODE"))
                locked.set()
                release.wait(30)
                conn.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        resp = impatient.test_client().post(
            "/api/v1/bases", json=base_payload(), headers=admin_headers
        )
        assert_problem(resp, 503, "database_busy")
        _assert_unavailable(resp)
    finally:
        release.set()
        holder.join(30)
        with impatient.app_context():
            db.engine.dispose()
    # Once the lock is gone the same request goes through.
    resp = impatient.test_client().post("/api/v1/bases", json=base_payload(), headers=admin_headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    with impatient.app_context():
        db.engine.dispose()


def _wrapped(kind, orig: Exception) -> sa.exc.DBAPIError:
    return kind("SELECT 1", {"secret": "430102199001011234"}, orig)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            _wrapped(sa.exc.OperationalError, sqlite3.OperationalError("database is locked")),
            "database_busy",
        ),
        (
            _wrapped(sa.exc.OperationalError, psycopg.errors.LockNotAvailable("lock timeout")),
            "database_busy",
        ),
        (
            _wrapped(sa.exc.OperationalError, psycopg.errors.QueryCanceled("statement timeout")),
            "database_busy",
        ),
        (
            _wrapped(sa.exc.OperationalError, psycopg.errors.DeadlockDetected("deadlock")),
            "database_busy",
        ),
        (
            _wrapped(sa.exc.OperationalError, psycopg.OperationalError("connection refused")),
            "database_unavailable",
        ),
        (
            _wrapped(sa.exc.InterfaceError, psycopg.InterfaceError("connection closed")),
            "database_unavailable",
        ),
        (sa.exc.TimeoutError("QueuePool limit reached"), "database_busy"),
        (_wrapped(sa.exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")), None),
        (_wrapped(sa.exc.ProgrammingError, psycopg.errors.UndefinedColumn("no column")), None),
    ],
)
def test_which_database_errors_are_outages(error, code, caplog):
    problem = database_problem(error)
    assert (problem.code if problem else None) == code
    if problem:
        assert problem.status == 503 and int(problem.headers["Retry-After"]) > 0
    assert "430102199001011234" not in caplog.text  # the statement's parameters are never logged
