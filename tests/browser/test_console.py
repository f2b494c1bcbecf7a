"""Public pages on a phone (ISSUE11 items 12, 13): axe-core, the header within 64 px, the skip link.

The admin's and the department's walks are tests/browser/test_walk_admin.py and
test_walk_department.py. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations
from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_url: str, username: str, next_path: str) -> None:
    page.goto(f"{live_url}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path.split('?')[0]}*")


def clean(page, artifacts, name: str) -> None:
    """No axe-core violation on the page; a screenshot of it."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name


def test_public_pages_and_the_phone_header(make_account, live_url, phone_page, artifacts):
    page = phone_page
    for path, name in (
        ("/", "home"),
        ("/verify", "verify-form"),
        ("/v/NOSUCHSERIAL0000000000", "verify-unknown"),
        ("/login", "login"),
        ("/directory", "directory"),
    ):
        page.goto(live_url + path)
        height = page.evaluate(
            "document.querySelector('header.top').getBoundingClientRect().height"
        )
        assert height <= 64, (path, height)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        clean(page, artifacts, f"a11y-{name}-phone")
    page.goto(live_url + "/v/NOSUCHSERIAL0000000000")
    assert page.locator("h1").inner_text() == "未查到证书"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    make_account("person", username="zhangsan", name="张三", id_number="430104199003070015")
    sign_in(page, live_url, "zhangsan", "/me")
    height = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    assert height <= 64, height
    assert "接口文档" not in page.locator("header.top").inner_text()
    clean(page, artifacts, "a11y-me-phone")
