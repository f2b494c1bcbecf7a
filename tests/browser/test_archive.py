"""A professional on a phone: sign in, read the archive chart, create a share code."""

from __future__ import annotations

import pytest

from tests.archive.conftest import ZHANG, earn  # noqa: F401 - `earn` is used as a fixture
from tests.browser.conftest import PHONE
from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> bool:
    """No sideways scrolling at the phone's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_person_reads_the_archive_chart_and_creates_a_grant_on_a_phone(
    earn,  # noqa: F811
    browser,
    make_account,
    live_url,
    phone_page,
    artifacts,
):
    earn(ZHANG, "2025-03-03", "professional", 24)
    earn(ZHANG, "2025-04-03", "general", 8)
    make_account("person", username="zhangsan", name=ZHANG[1], id_number=ZHANG[0])

    page = phone_page
    page.goto(f"{live_url}/login?next=/me/archive%3Ffrom%3D2024%26to%3D2025")
    page.fill("#username", "zhangsan")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/me/archive**")

    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("svg rect.bar-general").count() == 2
    assert page.locator("svg rect.bar-professional").count() == 2
    assert "430104********0015" in page.content() and ZHANG[0] not in page.content()
    assert fits_the_phone(page)
    card_2025 = page.locator("li.year-card", has_text="2025 年度")
    assert card_2025.is_visible()
    assert "还差公需 22、专业 36 学时" in card_2025.inner_text()  # the answer, in words
    page.screenshot(path=str(artifacts / "archive-phone.png"), full_page=True)

    # The person's own 职称评审 check, from the same page, keeps what was typed.
    page.select_option("select[name=level]", "intermediate")
    page.fill("input[name=year]", "2026")
    page.click("#review + form button[type=submit]")
    result = page.locator("#review-result")
    assert "2026 年度中级职称评审" in result.inner_text() and "有年度未达标" in result.inner_text()
    assert page.locator("select[name=level]").input_value() == "intermediate"
    assert page.locator("input[name=year]").input_value() == "2026"
    assert fits_the_phone(page)
    page.screenshot(path=str(artifacts / "archive-review-check-phone.png"), full_page=True)

    page.goto(f"{live_url}/me/registration/2025")
    assert "湖南省专业技术人员继续教育登记" in page.content()
    assert fits_the_phone(page)  # eight columns become labelled lines on a phone
    page.screenshot(path=str(artifacts / "registration-phone.png"), full_page=True)

    page.goto(f"{live_url}/me/grants")
    page.fill("#employer_name", "湖南某某科技有限公司")
    page.fill("#from", "2024")
    page.fill("#to", "2025")
    page.click("form.card button[type=submit]")
    code = page.locator("#new-code").inner_text().strip()
    assert len(code) >= 22
    assert "湖南某某科技有限公司" in page.content()
    assert fits_the_phone(page)
    link = page.locator("#share-link").input_value()
    assert link.endswith(f"/shared#c={code}") and page.locator("figure.share-qr svg").is_visible()
    page.screenshot(path=str(artifacts / "share-code-link-phone.png"), full_page=True)

    # The employer opens the link on its own phone, with no account: the code is filled in.
    employer = browser.new_context(**PHONE).new_page()
    employer.goto(live_url + link[link.index("/shared#") :])
    assert employer.locator("#code").input_value() == code
    assert "#c=" not in employer.url  # read once, then dropped from the address bar
    employer.fill("#viewer_unit", "湖南某某科技有限公司")
    employer.fill("#viewer_name", "王五")
    employer.click("form.card button[type=submit]")
    assert "授权年度 2024—2025" in employer.locator("main").inner_text()
    assert fits_the_phone(employer)
    employer.screenshot(
        path=str(artifacts / "share-code-opened-without-account.png"), full_page=True
    )
    employer.context.close()

    page.goto(f"{live_url}/me/grants")
    log = page.locator("ul.access-log").inner_text()
    assert "王五" in log and "查看授权年度的学时档案" in log and "自报身份" in log


def test_employer_opens_a_share_code_and_sees_the_granted_years_and_review_check(
    earn,  # noqa: F811
    client,
    make_headers,
    make_account,
    live_url,
    phone_page,
    artifacts,
):
    earn(ZHANG, "2024-06-03", "professional", 60)
    earn(ZHANG, "2024-07-03", "general", 30)
    earn(ZHANG, "2025-06-03", "professional", 24)
    earn(ZHANG, "2021-06-03", "professional", 90)  # outside the grant: never shown
    person = make_headers("person", id_number=ZHANG[0], name=ZHANG[1])
    grant = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "长沙某某科技有限公司", "from": 2024, "to": 2025, "days": 30},
        headers=person,
    ).get_json()
    make_account("employer", username="hr-dept", name="长沙某某科技有限公司")

    page = phone_page
    page.goto(f"{live_url}/login?next=/shared")
    page.fill("#username", "hr-dept")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/shared")
    page.fill("#code", grant["code"])
    page.select_option("#level", "intermediate")
    page.fill("#year", "2026")
    page.click("form.card button[type=submit]")

    text = page.locator("main").inner_text()
    assert "授权年度 2024—2025" in text
    assert "430104********0015" in text and ZHANG[0] not in page.content()
    assert "有年度未达标" in text  # 2025 has 24 of the 90 学时
    assert "职称评审核验" in text and "未授权年度" in text  # 中级 2026 reads 2022–2025
    assert "2021" not in page.locator("ul.year-cards").last.inner_text()
    assert fits_the_phone(page)
    page.screenshot(path=str(artifacts / "employer-share-code.png"), full_page=True)

    accesses = client.get("/api/v1/me/grants", headers=person).get_json()
    assert any(g["accesses"] for g in accesses["grants"])  # the person sees the employer's look-up
