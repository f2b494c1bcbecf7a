"""A professional on a phone opens their account with an SMS code, then an employer without one."""

from __future__ import annotations

import json
import re

import pytest

from tests.accounts.conftest import ZHANG, trained  # noqa: F401 - `trained` is used as a fixture

pytestmark = pytest.mark.browser


def test_newcomer_registers_with_an_sms_code_on_a_phone(
    app,
    trained,  # noqa: F811
    live_url,
    phone_page,
    artifacts,
    tmp_path,
    monkeypatch,
    fast_password_hashing,
):
    trained(ZHANG)
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "JXJD_OUTBOX", str(outbox))
    page = phone_page
    page.goto(f"{live_url}/register")
    page.fill("#id_number", ZHANG["id_number"])
    page.fill("#name", ZHANG["name"])
    page.click("button[value=otp]")
    page.wait_for_selector("#notice")
    assert page.input_value("#id_number") == ZHANG["id_number"]  # kept after the round trip
    message = json.loads(outbox.read_text().splitlines()[-1])
    code = re.search(r"\d{6}", message["text"]).group(0)
    page.fill("#code", code)
    page.fill("#username", "zhangsan")
    page.fill("#password", "Zhuce-mima-2026")
    page.fill("#password2", "Zhuce-mima-2026")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "register-phone.png"), full_page=True)
    page.click("button[value=register]")
    page.wait_for_url("**/login**")
    page.fill("#username", "zhangsan")
    page.fill("#password", "Zhuce-mima-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/me")
    assert "138****1234" in page.content() and ZHANG["phone"] not in page.content()


def test_admin_prints_an_activation_letter(
    trained,  # noqa: F811
    make_account,
    live_url,
    browser,
    artifacts,
):
    from tests.fixtures.auth import TEST_PASSWORD

    trained(ZHANG)
    make_account("admin", username="admin1", name="省人社厅专技处")
    page = browser.new_page(locale="zh-CN", viewport={"width": 1000, "height": 1200})
    try:
        page.goto(f"{live_url}/login?next=/activation-codes")
        page.fill("#username", "admin1")
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/activation-codes")
        page.fill("#id_number", ZHANG["id_number"])
        page.fill("#name", ZHANG["name"])
        page.click("main form button[type=submit]")
        page.wait_for_selector("#activation-code")
        code = page.locator("#activation-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
        assert "430104********0015" in page.content() and ZHANG["id_number"] not in page.content()
        page.screenshot(path=str(artifacts / "activation-letter.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()  # only the letter is printed
    finally:
        page.close()
