"""Printing from the pages in Chromium: a base downloads its class's PDF from the session page,
a person their certificate's PDF from the certificate page (CONTRACT §13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_content_security_policy import sign_in
from tests.printing import poppler

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app, fast_password_hashing):
    """The demo data set, with a login per role (password DEMO_PASSWORD)."""
    from jxjd.demo import DEMO_PASSWORD

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return DEMO_PASSWORD


def test_base_downloads_the_class_pdf_from_the_session_page(demo, live_url, phone_page):
    page = phone_page
    sign_in(page, live_url, "base", demo)
    page.goto(f"{live_url}/sessions")
    sessions = page.eval_on_selector_all(
        "a[href^='/sessions/']", "els => els.map(e => e.getAttribute('href'))"
    )
    link = page.locator("a", has_text="打印本班全部证书（PDF）")
    for href in sessions:
        page.goto(live_url + href)
        if link.count():
            break
    else:
        pytest.fail(f"no demo session offers its certificates as PDF: {sessions}")
    certificates = page.locator("td a[href^='/certificates/']").count()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith("-证书.pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    assert poppler.page_count(data) == certificates >= 1


def test_person_downloads_their_certificate_pdf(demo, live_url, phone_page):
    page = phone_page
    sign_in(page, live_url, "person", demo)
    page.goto(f"{live_url}/me")
    page.locator("a[href^='/certificates/']").first.click()
    page.wait_for_load_state()
    serial = page.url.rsplit("/", 1)[-1]
    with page.expect_download() as info:
        page.click("text=下载PDF")
    download = info.value
    assert download.suggested_filename == f"继续教育培训证书-{serial}.pdf"
    data = Path(download.path()).read_bytes()
    assert poppler.page_count(data) == 1
    assert serial in poppler.text(data)
