"""Token expiry, last use and the paginated list (CONTRACT §12, §11)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from jxjd.accounts.models import ApiToken
from jxjd.audit.models import AuditEvent
from jxjd.common.time import utcnow
from jxjd.extensions import db
from tests.conftest import assert_problem


def _new(client, admin_headers, **body):
    resp = client.post(
        "/api/v1/tokens", json={"role": "admin", "name": "令牌", **body}, headers=admin_headers
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _row(token_id) -> ApiToken:
    db.session.expire_all()
    return db.session.get(ApiToken, token_id)


def test_a_token_lasts_a_year_unless_told_otherwise(client, admin_headers):
    default = _row(_new(client, admin_headers)["id"])
    assert default.expires_at - default.created_at == timedelta(days=365)
    short = _new(client, admin_headers, days=7)
    row = _row(short["id"])
    assert row.expires_at - row.created_at == timedelta(days=7)
    assert short["expires_at"].endswith("+08:00")
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "token.create").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.summary["days"] == 7 and event.summary["expires_at"] == short["expires_at"]


def test_an_expired_token_is_401(client, admin_headers):
    made = _new(client, admin_headers, days=1)
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/bases", headers=headers).status_code == 200
    row = _row(made["id"])
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    body = assert_problem(client.get("/api/v1/bases", headers=headers), 401, "token_expired")
    assert "过期" in body["detail"]


def test_cli_token_days(app, client):
    result = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "admin", "--name", "临时", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "expires" in result.output
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "临时"))
    assert row.expires_at - row.created_at == timedelta(days=3)
    bad = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "admin", "--name", "x", "--days", "0"]
    )
    assert bad.exit_code != 0


def test_last_use_is_written_at_most_once_a_minute(client, admin_headers):
    made = _new(client, admin_headers)
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert _row(made["id"]).last_used_at is None
    client.get("/api/v1/bases", headers=headers)
    first = _row(made["id"]).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    client.get("/api/v1/bases", headers=headers)
    assert _row(made["id"]).last_used_at == first  # not rewritten within the minute
    row = _row(made["id"])
    row.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/bases", headers=headers)
    assert _row(made["id"]).last_used_at > first - timedelta(minutes=1)
    assert utcnow() - _row(made["id"]).last_used_at < timedelta(seconds=30)


def test_a_failing_request_still_records_the_use(client, admin_headers):
    made = _new(client, admin_headers)
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.post("/api/v1/tokens", json={}, headers=headers).status_code == 422
    assert _row(made["id"]).last_used_at is not None


def test_admin_lists_tokens_by_page_with_every_field(client, admin_headers):
    for i in range(4):
        _new(client, admin_headers, name=f"t{i}")
    first = client.get("/api/v1/tokens?per_page=2", headers=admin_headers)
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "5"  # the admin's own token too
    assert first.headers["Link"] == '</api/v1/tokens?per_page=2&page=2>; rel="next"'
    rows = first.get_json()["tokens"]
    assert [r["name"] for r in rows] == ["t3", "t2"]
    for key in ("id", "name", "role", "created_at", "expires_at", "last_used_at", "revoked_at"):
        assert key in rows[0]
    assert "token" not in rows[0] and "token_hash" not in rows[0]
    last = client.get("/api/v1/tokens?per_page=2&page=3", headers=admin_headers)
    assert len(last.get_json()["tokens"]) == 1 and "Link" not in last.headers
    for bad in ("page=0", "per_page=501", "per_page=x", "page=-1"):
        assert_problem(
            client.get(f"/api/v1/tokens?{bad}", headers=admin_headers), 422, "invalid_parameter"
        )


def test_employer_tokens_are_bound_to_their_unit(client, admin_headers):
    made = _new(
        client,
        admin_headers,
        role="employer",
        name="某公司",
        credit_code=" 91430100ma4l00001j ",
    )
    assert made["credit_code"] == "91430100MA4L00001J"
