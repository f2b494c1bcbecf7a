"""Person self-registration and the person and employer pages."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.accounts.models import Account
from jxjd.extensions import db
from tests.archive.conftest import LI, ZHANG
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from

REFUSED = "身份信息与证书不匹配"


def register(client, **fields):
    token = csrf_token_from(client.get("/register").get_data(as_text=True))
    data = {
        "id_number": ZHANG[0],
        "name": ZHANG[1],
        "serial": "",
        "username": "zhangsan",
        "password": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
        "csrf_token": token,
    }
    data.update(fields)
    return client.post("/register", data=data)


def test_register_page_is_chinese_with_a_csrf_token(client):
    html = client.get("/register").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "证书编号" in html and csrf_token_from(html)


def test_registering_with_own_certificate_creates_a_person_account_that_can_sign_in(
    client, earn, login, fast_password_hashing
):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    resp = register(client, serial=serial)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    account = db.session.scalar(sa.select(Account).where(Account.username == "zhangsan"))
    assert account.role == "person" and account.person_id is not None
    assert login(client, "zhangsan").status_code == 302
    page = client.get("/me")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert serial in html and f"/certificates/{serial}" in html and "<svg" in html


def test_a_wrong_name_or_serial_or_id_is_refused_without_saying_which(
    client, earn, fast_password_hashing
):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    other = earn(LI, "2025-03-04", "professional", 24)
    answers = [
        register(client, serial=serial, name="王五"),
        register(client, serial="JX-NO-SUCH"),
        register(client, serial=other),
        register(client, serial=serial, id_number="360426199101010071"),
        register(client, serial=serial, id_number="12345"),
    ]
    for resp in answers:
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422 and REFUSED in html
        assert "姓名不" not in html and "证书编号不" not in html and "身份证号不" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_registration_needs_a_strong_password_and_one_account_per_person(
    client, earn, fast_password_hashing
):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    weak = register(client, serial=serial, password="short", password2="short")
    assert weak.status_code == 422 and "密码至少" in weak.get_data(as_text=True)
    assert register(client, serial=serial).status_code == 302
    again = register(client, serial=serial, username="zhangsan2")
    assert again.status_code == 422 and "已注册" in again.get_data(as_text=True)


def test_registration_without_csrf_token_is_refused(client, earn):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    resp = client.post(
        "/register",
        data={"id_number": ZHANG[0], "name": ZHANG[1], "serial": serial, "username": "x"},
    )
    assert resp.status_code == 400


def test_registration_attempts_are_rate_limited(client):
    statuses = [register(client, serial="JX-X").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def _signed_in_person(client, make_account, login, person=ZHANG):
    make_account("person", username="zhangsan", name=person[1], id_number=person[0])
    assert login(client, "zhangsan").status_code == 302


def test_archive_page_draws_a_chart_per_year(client, earn, make_account, login):
    earn(ZHANG, "2025-03-03", "professional", 24)
    _signed_in_person(client, make_account, login)
    resp = client.get("/me/archive?from=2024&to=2025")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.count('class="bar-general"') == 2 and html.count('class="bar-professional"') == 2
    assert "2024" in html and "2025" in html and "未达标" in html


def test_grants_page_creates_lists_and_withdraws(client, make_account, login, make_headers):
    _signed_in_person(client, make_account, login)
    html = client.get("/me/grants").get_data(as_text=True)
    resp = client.post(
        "/me/grants",
        data={
            "csrf_token": csrf_token_from(html),
            "action": "create",
            "employer_name": "甲公司",
            "from": "2024",
            "to": "2025",
            "days": "10",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "只显示这一次" in html
    code = html.split('id="new-code"')[1].split(">")[1].split("<")[0]
    assert (
        client.get(
            f"/api/v1/shared/{code}", headers=make_headers("employer", name="甲公司")
        ).status_code
        == 200
    )
    html = client.get("/me/grants").get_data(as_text=True)
    assert "甲公司" in html and "撤回授权" in html
    grant_id = html.split('name="id" value="')[1].split('"')[0]
    resp = client.post(
        "/me/grants",
        data={"csrf_token": csrf_token_from(html), "action": "withdraw", "id": grant_id},
    )
    assert resp.status_code == 302
    assert "已撤回" in client.get("/me/grants").get_data(as_text=True)


def test_registration_print_page_and_xlsx(client, earn, make_account, login):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    _signed_in_person(client, make_account, login)
    page = client.get("/me/registration/2025")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and serial in html and "/static/css/registration.css" in html
    sheet = client.get("/static/css/registration.css")
    assert "size: A4" in sheet.get_data(as_text=True)
    sheet.close()
    assert "430104********0015" in html and ZHANG[0] not in html
    xlsx = client.get("/me/registration/2025.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")


def test_person_pages_need_a_person_login(client, make_account, login):
    assert client.get("/me").status_code == 302
    make_account("admin", username="admin1")
    login(client, "admin1")
    assert client.get("/me/archive").status_code == 403


def test_employer_page_shows_granted_years_and_review_check(
    client, earn, person_headers, make_account, login
):
    earn(ZHANG, "2025-03-03", "professional", 24)
    code = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "甲公司", "from": 2022, "to": 2025},
        headers=person_headers(),
    ).get_json()["code"]
    make_account("employer", username="hr1", name="甲公司")
    login(client, "hr1")
    html = client.get("/shared").get_data(as_text=True)
    resp = client.post(
        "/shared",
        data={"csrf_token": csrf_token_from(html), "code": code, "level": "senior", "year": "2026"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "张三" in html and "2021" in html and "未授权年度" in html
    gone = client.post("/shared", data={"csrf_token": csrf_token_from(html), "code": "nope"})
    assert gone.status_code == 404 and "授权码不存在" in gone.get_data(as_text=True)


def test_employer_page_needs_an_employer_login(client):
    assert client.get("/shared").status_code == 302
