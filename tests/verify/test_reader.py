"""The public look-up's own reader: a revocation is seen at once, a dropped connection retried."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.common import db as dbhelpers
from jxjd.common.db import READER
from jxjd.extensions import db
from jxjd.verify import services


def _result(client, **params) -> str:
    resp = client.get("/api/v1/verify", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["result"]


def test_revocation_is_seen_by_the_very_next_look_up(client, certificate):
    # Warm every per-process cache first (verified signature, prepared statement, pool).
    for _ in range(6):
        assert _result(client, t=certificate["token"]) == "valid"
        assert _result(client, serial=certificate["serial"]) == "valid"
    resp = client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "证书误发"},
        headers=certificate["headers"],
    )
    assert resp.status_code == 200
    assert _result(client, t=certificate["token"]) == "revoked"
    assert _result(client, serial=certificate["serial"]) == "revoked"


def test_a_scanned_token_other_than_the_stored_one_reads_the_stored_copy(app, certificate):
    with app.test_request_context("/api/v1/verify"):
        stored = services.find_certificate(certificate["serial"])
        assert stored is not None
        same = services.find_certificate(stored.serial, (stored.token, stored.payload))
        other = services.find_certificate(stored.serial, ("another.token.x", {"sn": "forged"}))
    assert same == stored
    # Not the scanned copy: what the register holds, for the payload comparison that follows.
    assert other == stored
    assert other.payload["sn"] == stored.serial
    assert other.issued_at.utcoffset() is not None and other.issued_at.utcoffset().seconds == 0


def test_a_connection_the_server_closed_is_replaced(app, client, certificate):
    assert _result(client, t=certificate["token"]) == "valid"
    # The server ends the reader's idle pooled connections (a restart, a failover, an idle cut).
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            ended = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": READER},
            ).scalar_one()
            assert ended >= 1
    assert _result(client, t=certificate["token"]) == "valid"
    assert _result(client, serial=certificate["serial"]) == "valid"


def _backend_pid(app) -> int:
    """The server process of this thread's reader connection (by a look-up through it)."""
    with app.test_request_context("/api/v1/verify"):
        found = dbhelpers.fetch_prepared("SELECT pg_backend_pid() AS pid", {})
    assert found is not None
    return found[1][0]


def _skip_on_sqlite(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite reads a local file through the app's engine")


def test_statements_are_numbered_for_libpq():
    name, query, order = dbhelpers._statement("SELECT %(a)s, %(b)s, %(a)s, '100%%' WHERE x = %(b)s")
    assert query == b"SELECT $1, $2, $1, '100%' WHERE x = $2"
    assert order == ("a", "b")
    assert dbhelpers._statement("SELECT %(a)s, %(b)s, %(a)s, '100%%' WHERE x = %(b)s")[0] == name
    assert dbhelpers._statement("SELECT 2")[0] != name


def test_parameters_are_text_or_integers():
    assert dbhelpers._as_text("序列") == "序列".encode()
    assert dbhelpers._as_text(42) == b"42"
    for wrong in (None, True, 1.5, b"raw"):
        with pytest.raises(TypeError):
            dbhelpers._as_text(wrong)


def test_a_thread_keeps_its_reader_connection_between_look_ups(app, client, certificate):
    _skip_on_sqlite(app)
    first = _backend_pid(app)
    assert _result(client, t=certificate["token"]) == "valid"
    assert _backend_pid(app) == first
    # Disposing of the pool (a restore, the app's engine let go) lets go of it too.
    with app.app_context():
        dbhelpers.autocommit_reader().dispose()
    assert _backend_pid(app) != first


def test_an_error_on_the_reader_connection_lets_it_go(app, certificate):
    _skip_on_sqlite(app)
    first = _backend_pid(app)
    with app.test_request_context("/api/v1/verify"), pytest.raises(sa.exc.DBAPIError) as caught:
        dbhelpers.fetch_prepared("SELECT 1/0 AS never", {})
    assert not caught.value.connection_invalidated  # the server is fine: no retry, no dispose
    assert "division" in str(caught.value.orig)
    assert _backend_pid(app) != first


def test_statements_the_server_forgot_are_prepared_again(app, client, certificate):
    _skip_on_sqlite(app)
    assert _result(client, t=certificate["token"]) == "valid"
    pid = _backend_pid(app)
    with app.test_request_context("/api/v1/verify"):
        # On this thread's reader connection: the server drops every statement prepared on it.
        conn = dbhelpers._reader(db.engine).connection()
        conn.driver_connection.execute("DEALLOCATE ALL")
    assert _result(client, t=certificate["token"]) == "valid"
    assert _result(client, serial=certificate["serial"]) == "valid"
    assert _backend_pid(app) == pid  # the same connection, its statements prepared anew
