"""Every error is RFC 9457 problem+json for API clients and a Chinese page for browsers."""

from __future__ import annotations

import jxjd.bases.services as base_services
from jxjd.audit.services import events_for
from jxjd.bases.models import Base
from jxjd.extensions import db
from tests.conftest import assert_problem


def test_unknown_api_path_is_a_404_problem(client):
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert body["type"].endswith("/not-found")


def test_unknown_api_path_is_json_even_for_a_browser(client):
    resp = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert_problem(resp, 404, "not_found")


def test_unknown_page_shows_a_chinese_html_page_to_a_browser(client):
    resp = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "页面或资源不存在" in html


def test_unknown_page_is_json_for_a_client_that_asks_for_json(client):
    resp = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert_problem(resp, 404, "not_found")


def test_malformed_json_is_a_400_problem(client, admin_headers):
    resp = client.post(
        "/api/v1/bases",
        data='{"name": "缺了结尾"',
        content_type="application/json",
        headers=admin_headers,
    )
    assert_problem(resp, 400, "bad_request")


def test_json_that_is_not_an_object_is_a_400_problem(client, admin_headers):
    resp = client.post("/api/v1/bases", json=["不是对象"], headers=admin_headers)
    assert_problem(resp, 400, "bad_request")


def test_wrong_method_is_a_405_problem_naming_the_allowed_ones(client, admin_headers):
    resp = client.delete("/api/v1/bases", headers=admin_headers)
    assert_problem(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"] and "POST" in resp.headers["Allow"]


def test_unexpected_exception_is_a_500_problem_without_a_traceback(
    client, admin_headers, monkeypatch
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret-internal-detail in /srv/jxjd/bases/services.py")

    monkeypatch.setattr(base_services, "list_bases_for", explode)
    resp = client.get("/api/v1/bases", headers=admin_headers)
    body = assert_problem(resp, 500, "internal_error")
    text = resp.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "services.py"):
        assert leak not in text
    assert body["title"] == "服务器内部错误，请稍后再试"


def test_unexpected_exception_rolls_back_what_the_request_had_flushed(
    client, admin_headers, create_base, monkeypatch
):
    base = create_base()
    real_change = base_services.change_base_status

    def change_then_fail(*args, **kwargs):
        real_change(*args, **kwargs)  # flushes the new status, the history row and the event
        raise RuntimeError("boom")

    monkeypatch.setattr(base_services, "change_base_status", change_then_fail)
    resp = client.post(
        f"/api/v1/bases/{base.id}/status",
        json={"status": "rectifying", "reason": "检查"},
        headers=admin_headers,
    )
    assert_problem(resp, 500, "internal_error")
    db.session.expire_all()
    stored = db.session.get(Base, base.id)
    assert stored.status == "recognized"
    assert [c.to_status for c in stored.status_changes] == ["recognized"]
    assert [e.action for e in events_for("base", base.id)] == ["base.create"]
