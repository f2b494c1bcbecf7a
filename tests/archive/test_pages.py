"""The person and employer pages (registration: tests/accounts)."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.archive.models import Grant
from jxjd.extensions import db
from tests.archive.conftest import ZHANG
from tests.fixtures.auth import csrf_token_from


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


def test_archive_page_says_what_each_year_lacks_in_words(client, earn, make_account, login):
    earn(ZHANG, "2025-03-03", "professional", 24)
    earn(ZHANG, "2024-03-03", "professional", 60)
    earn(ZHANG, "2024-04-03", "general", 30)
    _signed_in_person(client, make_account, login)
    html = client.get("/me/archive?from=2024&to=2025").get_data(as_text=True)
    cards = html.split('<li class="year-card')[1:]
    assert len(cards) == 2
    by_year = {card.split("<h3>")[1][:4]: card for card in cards}
    assert "已达到本年度要求" in by_year["2024"]
    assert "还差公需 30、专业 36 学时" in by_year["2025"] and "short" in by_year["2025"][:20]


def test_archive_page_runs_the_persons_own_review_check(client, earn, make_account, login):
    earn(ZHANG, "2025-03-03", "professional", 24)
    _signed_in_person(client, make_account, login)
    html = client.get("/me/archive?level=junior&year=2026").get_data(as_text=True)
    assert 'id="review-result"' in html and "2026 年度初级职称评审" in html
    assert '<option value="junior" selected>' in html and 'value="2026"' in html


def test_archive_page_explains_a_bad_review_request_beside_each_field(client, make_account, login):
    _signed_in_person(client, make_account, login)
    html = client.get("/me/archive?level=expert&year=20x6").get_data(as_text=True)
    assert 'id="review-result"' not in html
    assert "请选择评审层次" in html and "评审年度应为四位年份" in html
    assert 'value="20x6"' in html  # what was typed stays in the field
    assert "senior" not in html.split('id="review"')[1].split("</form>")[0].split("<select")[0]


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
    # Post/redirect/get: the code shows once on the page the create redirects to.
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "只显示这一次" in html
    code = html.split('id="new-code"')[1].split(">")[1].split("<")[0]
    # A link to send (the code in the fragment, never in a logged query string) and its QR code.
    assert f'value="https://jxjd.example.cn/shared#c={code}"' in html
    assert '<figure class="share-qr">\n<svg' in html and 'data-copy="share-link"' in html
    assert "只显示这一次" not in client.get("/me/grants").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 1
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


def test_a_refused_grant_form_keeps_what_was_typed(client, make_account, login):
    _signed_in_person(client, make_account, login)
    token = csrf_token_from(client.get("/me/grants").get_data(as_text=True))
    typed = {"employer_name": "甲公司", "employer_credit_code": "91430000ABCDEFGH12", "days": "12"}
    resp = client.post(
        "/me/grants",
        data={"csrf_token": token, "action": "create", "from": "二〇二四", "to": "2025", **typed},
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    for name, value in {**typed, "from": "二〇二四", "to": "2025"}.items():
        assert f'name="{name}" value="{value}"' in html
    assert 'id="from-error">起始年份应为四位年份<' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 0


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


def test_employer_page_works_without_an_account_and_keeps_what_was_typed(
    client, earn, person_headers
):
    earn(ZHANG, "2025-03-03", "professional", 24)
    code = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "甲公司", "from": 2024, "to": 2025},
        headers=person_headers(),
    ).get_json()["code"]
    page = client.get("/shared")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="viewer_unit"' in html and 'method="post"' in html
    typed = {"code": "ZZZZ-ZZZZ", "viewer_unit": "乙公司人事部", "viewer_name": "王五"}
    miss = client.post("/shared", data={"csrf_token": csrf_token_from(html), **typed})
    html = miss.get_data(as_text=True)
    assert miss.status_code == 404 and "授权码不存在" in html
    assert all(f'value="{v}"' in html for v in typed.values())
    found = client.post(
        "/shared", data={"csrf_token": csrf_token_from(html), **typed, "code": code.lower()}
    )
    assert found.status_code == 200 and "张三" in found.get_data(as_text=True)
    assert found.headers["Cache-Control"] == "no-store"
    (listed,) = client.get("/api/v1/me/grants", headers=person_headers()).get_json()["grants"]
    assert listed["accesses"][0]["viewer"] == {"unit": "乙公司人事部", "name": "王五"}
    unnamed = client.post("/shared", data={"csrf_token": csrf_token_from(html), "code": code})
    assert unnamed.status_code == 422 and "请填写查询单位" in unnamed.get_data(as_text=True)
