"""A professional on a phone: sign in, read the archive chart, create a share code."""

from __future__ import annotations

import pytest

from tests.archive.conftest import ZHANG, earn  # noqa: F401 - `earn` is used as a fixture
from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> bool:
    """No sideways scrolling at the phone's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_person_reads_the_archive_chart_and_creates_a_grant_on_a_phone(
    earn,  # noqa: F811
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
    page.screenshot(path=str(artifacts / "archive-phone.png"), full_page=True)

    page.goto(f"{live_url}/me/grants")
    page.fill("#employer_name", "湖南某某科技有限公司")
    page.fill("#from", "2024")
    page.fill("#to", "2025")
    page.click("form.card button[type=submit]")
    code = page.locator("#new-code").inner_text().strip()
    assert len(code) >= 22
    assert "湖南某某科技有限公司" in page.content()
    assert fits_the_phone(page)
