"""The /register page (two steps) and the activation-letter page for admins and departments."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.accounts.models import Account
from jxjd.extensions import db
from tests.accounts.conftest import LI, ZHANG, count
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from


def _post(client, **data):
    token = csrf_token_from(client.get("/register").get_data(as_text=True))
    return client.post("/register", data={"csrf_token": token, **data})


def test_register_page_has_both_steps_and_a_csrf_token(client):
    resp = client.get("/register")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'lang="zh-CN"' in html and csrf_token_from(html)
    assert "第一步" in html and "第二步" in html and "获取短信验证码" in html
    assert "证书编号" not in html  # the serial proves nothing any more


def test_requesting_an_sms_code_keeps_what_was_typed(client, trained, outbox):
    trained(ZHANG)
    resp = _post(client, action="otp", id_number=ZHANG["id_number"], name=ZHANG["name"])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已发送至登记的手机" in html
    assert f'value="{ZHANG["id_number"]}"' in html and f'value="{ZHANG["name"]}"' in html
    assert len(outbox.messages()) == 1
    empty = _post(client, action="otp", id_number="", name="")
    assert empty.status_code == 422 and "请先填写身份证号和姓名" in empty.get_data(as_text=True)


def test_the_sms_code_and_a_login_open_the_account_from_the_page(
    client, trained, outbox, login, fast_password_hashing
):
    trained(ZHANG)
    _post(client, action="otp", id_number=ZHANG["id_number"], name=ZHANG["name"])
    typed = {
        "id_number": ZHANG["id_number"],
        "name": ZHANG["name"],
        "code": outbox.last_code(),
        "username": "zhangsan",
    }
    resp = _post(
        client, action="register", password=TEST_PASSWORD, password2=TEST_PASSWORD, **typed
    )
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert login(client, "zhangsan").status_code == 302
    assert "138****1234" in client.get("/me").get_data(as_text=True)  # masked, never in full


def test_a_refused_registration_keeps_what_was_typed_but_not_the_password(
    client, trained, fast_password_hashing
):
    trained(ZHANG)
    typed = {
        "id_number": ZHANG["id_number"],
        "name": ZHANG["name"],
        "code": "ABCD-EFGH-JKMN-PQRS",
        "username": "zhangsan",
    }
    resp = _post(
        client, action="register", password=TEST_PASSWORD, password2=TEST_PASSWORD, **typed
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "无法注册" in html
    assert all(f'value="{v}"' in html for v in typed.values())
    assert TEST_PASSWORD not in html
    mismatch = _post(client, action="register", password="a", password2="b", **typed)
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    assert count(Account) == 0


def test_the_page_shares_the_attempt_limits_with_the_api(client, trained, fast_password_hashing):
    trained(ZHANG)
    for _ in range(5):
        _post(
            client,
            action="register",
            id_number=ZHANG["id_number"],
            name=ZHANG["name"],
            code="000000",
            username="zhangsan",
            password=TEST_PASSWORD,
            password2=TEST_PASSWORD,
        )
    api = client.post(
        "/api/v1/register",
        json={
            "id_number": ZHANG["id_number"],
            "name": ZHANG["name"],
            "code": "111111",
            "username": "zhangsan",
            "password": TEST_PASSWORD,
        },
    )
    assert api.status_code == 429 and api.headers["Retry-After"]
    page = _post(
        client,
        action="register",
        id_number=ZHANG["id_number"],
        name=ZHANG["name"],
        code="000000",
        username="zhangsan",
        password=TEST_PASSWORD,
        password2=TEST_PASSWORD,
    )
    assert page.status_code == 429 and "尝试次数过多" in page.get_data(as_text=True)
    assert page.headers["Retry-After"]


def test_registration_without_a_csrf_token_is_refused(client):
    resp = client.post("/register", data={"id_number": ZHANG["id_number"], "action": "otp"})
    assert resp.status_code == 400


def test_admin_prints_an_activation_letter_from_the_page(client, trained, make_account, login):
    trained(ZHANG)
    make_account("admin", username="admin1")
    login(client, "admin1")
    html = client.get("/activation-codes").get_data(as_text=True)
    assert "账号激活通知书" in html
    wrong = client.post(
        "/activation-codes",
        data={"csrf_token": csrf_token_from(html), "id_number": ZHANG["id_number"], "name": "王五"},
    )
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "姓名与该身份证号登记的姓名不一致" in page
    assert f'value="{ZHANG["id_number"]}"' in page and 'value="王五"' in page
    resp = client.post(
        "/activation-codes",
        data={
            "csrf_token": csrf_token_from(html),
            "id_number": ZHANG["id_number"],
            "name": ZHANG["name"],
        },
    )
    # Post/redirect/get: the letter opens on a GET, and reloading it makes no new code.
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/activation-codes/letter")
    letter = client.get(resp.headers["Location"])
    again = client.get(resp.headers["Location"]).get_data(as_text=True)
    resp, letter = letter, letter.get_data(as_text=True)
    assert again == letter
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert (
        "css/letter.css" in letter
        and "430104********0015" in letter
        and ZHANG["id_number"] not in letter
    )
    assert 'id="activation-code"' in letter and "https://jxjd.example.cn/register" in letter
    assert "14天内有效" in letter


def test_person_and_base_accounts_cannot_make_letters(client, make_account, login, trained):
    trained(LI)
    make_account("person", username="p1", name=LI["name"], id_number=LI["id_number"])
    login(client, "p1")
    assert client.get("/activation-codes").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1
