"""The public look-up's own reader: a revocation is seen at once, a dropped connection retried."""

from __future__ import annotations

import sqlalchemy as sa

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
