"""Signing in to the pages: CSRF-protected form, Chinese messages, sign-out."""

from __future__ import annotations

import pytest

from jxjd.accounts.services import create_account, resolve_scope
from jxjd.auth import CLI
from jxjd.common.time import utcnow
from jxjd.errors import ValidationFailed
from jxjd.extensions import db
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from


def test_login_page_is_chinese_and_carries_a_csrf_token(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "登录" in html
    assert csrf_token_from(html)


def test_correct_password_signs_in_and_goes_to_the_bases_page(client, make_account, login):
    make_account("admin", username="zhangsan")
    resp = login(client, "zhangsan")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/bases")
    assert client.get("/bases").status_code == 200


def test_wrong_password_is_401_with_a_chinese_message(client, make_account, login):
    make_account("admin", username="zhangsan")
    resp = login(client, "zhangsan", "Wrong-password-1")
    assert resp.status_code == 401
    assert "用户名或密码不正确" in resp.get_data(as_text=True)
    assert client.get("/bases").status_code == 302


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, login):
    resp = login(client, "nobody", TEST_PASSWORD)
    assert resp.status_code == 401
    assert "用户名或密码不正确" in resp.get_data(as_text=True)


def test_login_without_a_csrf_token_is_refused(client, make_account):
    make_account("admin", username="zhangsan")
    client.get("/login")
    resp = client.post("/login", data={"username": "zhangsan", "password": TEST_PASSWORD})
    assert resp.status_code == 400
    assert client.get("/bases").status_code == 302


def test_login_with_a_forged_csrf_token_is_refused(client, make_account):
    make_account("admin", username="zhangsan")
    client.get("/login")
    resp = client.post(
        "/login",
        data={"username": "zhangsan", "password": TEST_PASSWORD, "csrf_token": "forged"},
    )
    assert resp.status_code == 400


def test_a_csrf_token_from_another_browser_is_refused(app, client, make_account):
    make_account("admin", username="zhangsan")
    other_token = csrf_token_from(app.test_client().get("/login").get_data(as_text=True))
    client.get("/login")
    resp = client.post(
        "/login",
        data={"username": "zhangsan", "password": TEST_PASSWORD, "csrf_token": other_token},
    )
    assert resp.status_code == 400


def test_a_disabled_account_cannot_sign_in(client, make_account, login):
    account = make_account("admin", username="zhangsan")
    account.disabled_at = utcnow()
    db.session.commit()
    assert login(client, "zhangsan").status_code == 401


def test_login_follows_a_same_site_next_but_not_another_site(client, make_account):
    make_account("admin", username="zhangsan")
    for target, expected in (
        ("/bases?status=recognized", "/bases?status=recognized"),
        ("https://evil.example/", "/bases"),
        ("//evil.example/", "/bases"),
    ):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        resp = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "zhangsan", "password": TEST_PASSWORD, "csrf_token": token},
        )
        assert resp.status_code == 302
        assert resp.headers["Location"] == expected


def test_sign_out_ends_the_session(client, make_account, login):
    make_account("admin", username="zhangsan")
    login(client, "zhangsan")
    token = csrf_token_from(client.get("/bases").get_data(as_text=True))
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/bases").status_code == 302


def test_api_ignores_a_page_session_without_a_token(client, make_account, login):
    make_account("admin", username="zhangsan")
    login(client, "zhangsan")
    resp = client.get("/api/v1/bases")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"


def test_passwords_are_stored_as_scrypt_hashes(app):
    account = create_account(CLI, "lisi", TEST_PASSWORD, resolve_scope("admin", "李四"))
    assert account.password_hash.startswith("scrypt:")
    assert TEST_PASSWORD not in account.password_hash


def test_weak_password_and_taken_username_are_refused(make_account):
    make_account("admin", username="zhangsan")
    with pytest.raises(ValidationFailed) as caught:
        create_account(CLI, "zhangsan", "short", resolve_scope("admin", "张三"))
    assert {e["code"] for e in caught.value.errors} == {"username_taken", "weak_password"}


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example"])
def test_login_does_not_follow_a_next_hidden_behind_control_characters(
    client, make_account, target
):
    make_account("admin", username="zhangsan")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "zhangsan", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/bases"


def test_password_guessing_is_rate_limited(client, make_account):
    make_account("admin", username="zhangsan")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    statuses = [
        client.post(
            "/login", data={"username": "zhangsan", "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
