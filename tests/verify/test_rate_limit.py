"""Failed look-ups (invalid, not_found) are limited per client; valid ones are never counted."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem

LIMIT = 60
UNKNOWN = "AAAAAAAAAAAAAAAAAAAAAA"


def fail(client, n: int, *, page: bool = False) -> None:
    """n failed look-ups, alternating invalid tokens and unknown serials."""
    for i in range(n):
        if page:
            resp = client.get(f"/v/{UNKNOWN}")
        elif i % 2:
            resp = client.get("/api/v1/verify", query_string={"t": f"garbage{i}"})
        else:
            resp = client.get("/api/v1/verify", query_string={"serial": UNKNOWN})
        assert resp.status_code == 200, f"look-up {i + 1} was refused"
        assert resp.get_json(silent=True) is None or resp.get_json()["result"] != "valid"


def assert_retry_after(resp) -> int:
    retry = int(resp.headers["Retry-After"])
    assert 0 < retry <= 60
    return retry


def test_61st_failed_lookup_in_a_minute_is_refused_with_retry_after(client, certificate):
    fail(client, LIMIT)
    resp = client.get("/api/v1/verify", query_string={"serial": UNKNOWN})
    body = assert_problem(resp, 429, "too_many_requests")
    assert_retry_after(resp)
    assert "秒后再试" in body["detail"]
    # Once limited, every look-up from that client waits, a genuine certificate included.
    resp = client.get("/api/v1/verify", query_string={"t": certificate["token"]})
    assert_problem(resp, 429)


def test_limited_page_is_a_chinese_page_with_retry_after(client):
    fail(client, LIMIT, page=True)
    resp = client.get(f"/v/{UNKNOWN}")
    assert resp.status_code == 429
    assert resp.mimetype == "text/html"
    assert_retry_after(resp)
    html = resp.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "查询过于频繁" in html


def test_api_and_page_share_one_allowance(client):
    fail(client, LIMIT // 2)
    fail(client, LIMIT // 2, page=True)
    assert client.get(f"/v/{UNKNOWN}").status_code == 429
    assert_problem(client.get("/api/v1/verify", query_string={"serial": UNKNOWN}), 429)


def test_valid_and_revoked_lookups_are_not_counted(client, issue_certificates):
    good, revoked = issue_certificates()
    client.post(
        f"/api/v1/certificates/{revoked['serial']}/revoke",
        json={"reason": "测试"},
        headers=revoked["headers"],
    )
    for _ in range(LIMIT + 20):
        resp = client.get("/api/v1/verify", query_string={"t": good["token"]})
        assert resp.status_code == 200
        assert client.get(f"/v/{revoked['serial']}").status_code == 200
    # The whole allowance of failures is still there.
    fail(client, LIMIT)
    assert client.get("/api/v1/verify", query_string={"serial": UNKNOWN}).status_code == 429


def test_clients_are_limited_separately(client):
    fail(client, LIMIT)
    other = {"REMOTE_ADDR": "10.0.0.2"}
    resp = client.get("/api/v1/verify", query_string={"serial": UNKNOWN}, environ_base=other)
    assert resp.status_code == 200
    assert client.get("/api/v1/verify", query_string={"serial": UNKNOWN}).status_code == 429


@pytest.fixture
def small_limit(app):
    saved = app.config["JXJD_VERIFY_FAIL_LIMIT"]
    app.config["JXJD_VERIFY_FAIL_LIMIT"] = "3 per minute"
    yield
    app.config["JXJD_VERIFY_FAIL_LIMIT"] = saved


def test_limit_comes_from_the_configuration(client, small_limit):
    fail(client, 3)
    assert client.get("/api/v1/verify", query_string={"serial": UNKNOWN}).status_code == 429
