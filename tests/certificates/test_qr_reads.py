"""A QR image's look-ups: the caller's token and the certificate go to PostgreSQL as one statement."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g

from jxjd.accounts.models import ApiToken
from jxjd.certificates import services as certificates
from jxjd.common import db as dbhelpers
from jxjd.extensions import db
from tests.conftest import assert_problem


def _on_postgresql(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_qr_answer_is_one_statement_on_postgresql(app, client, one_certificate, monkeypatch):
    if not _on_postgresql(app):
        pytest.skip("SQLite reads a local file: nothing is gained by reading together")
    headers, serial = one_certificate
    url = f"/api/v1/certificates/{serial}/qr.png"
    assert client.get(url, headers=headers).status_code == 200  # renders it into the cache
    sent = []
    real = dbhelpers._fetch_prepared
    monkeypatch.setattr(dbhelpers, "_fetch_prepared", lambda *a: sent.append(a[1]) or real(*a))
    first = client.get(url, headers=headers)
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    assert len(sent) == 2, sent  # one per answer: the token and the certificate together
    assert all("LEFT JOIN LATERAL" in text for text in sent)


def test_a_revoked_token_gets_nothing_of_what_was_read_with_it(app, client, one_certificate):
    headers, serial = one_certificate
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(revoked_at=sa.func.now()))
        db.session.commit()
    resp = client.get(f"/api/v1/certificates/{serial}/qr.png", headers=headers)
    problem = assert_problem(resp, 401)
    assert serial not in resp.get_data(as_text=True), problem


def test_an_unknown_token_and_an_unknown_serial_together(client):
    resp = client.get(
        "/api/v1/certificates/NOPE/qr.svg", headers={"Authorization": "Bearer not-a-token"}
    )
    assert_problem(resp, 401)


def test_a_certificate_read_ahead_is_forgotten_by_the_next_request(app, one_certificate):
    _, serial = one_certificate
    with app.test_request_context("/api/v1/certificates/x/qr.png"):
        certificates.read_qr_certificate_ahead(serial)
        if _on_postgresql(app):
            assert g.get(dbhelpers._AHEAD)
        dbhelpers.forget_reads_ahead()  # what runs before every request
        assert not g.get(dbhelpers._AHEAD)
        # Without the announcement, the look-up is its own query and finds the same row.
        row = dbhelpers.read_one(certificates._QR_BY_SERIAL, {"serial": serial})
    assert row is not None and row["serial"] == serial


def test_a_read_ahead_row_is_the_row_a_lone_look_up_gives(app, one_certificate):
    headers, serial = one_certificate
    from jxjd.accounts.services import _TOKEN_BY_HASH, token_hash

    plain = headers["Authorization"].removeprefix("Bearer ")
    token_params = {"hash": token_hash(plain)}
    with app.test_request_context("/"):
        alone = (
            dbhelpers.read_one(_TOKEN_BY_HASH, token_params),
            dbhelpers.read_one(certificates._QR_BY_SERIAL, {"serial": serial}),
        )
        certificates.read_qr_certificate_ahead(serial)
        together = (
            dbhelpers.read_one(_TOKEN_BY_HASH, token_params),
            dbhelpers.read_one(certificates._QR_BY_SERIAL, {"serial": serial}),
        )
        # A serial nobody holds comes back as no row, beside a token that is found.
        certificates.read_qr_certificate_ahead("NO-SUCH-SERIAL")
        token_again = dbhelpers.read_one(_TOKEN_BY_HASH, token_params)
        missing = dbhelpers.read_one(certificates._QR_BY_SERIAL, {"serial": "NO-SUCH-SERIAL"})
    assert alone[0] is not None and alone[1] is not None
    assert together == alone
    assert token_again == alone[0] and missing is None


def test_statements_read_together_need_distinct_parameter_names(app):
    if not _on_postgresql(app):
        pytest.skip("only PostgreSQL reads together")
    table = ApiToken.__table__
    one = sa.select(table.c.id).where(table.c.id == sa.bindparam("x"))
    two = sa.select(table.c.name).where(table.c.id == sa.bindparam("x"))
    with app.test_request_context("/"), pytest.raises(ValueError, match="distinct"):
        dbhelpers.read_ahead(two, {"x": 2})
        dbhelpers.read_one(one, {"x": 1})
