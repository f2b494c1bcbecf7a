"""A bad form on each main page comes back with every typed value and a Chinese sentence.

(The plan editor and the 申请表 have their own walks: test_plan_editor.py and
test_application_form.py.)
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser

# An error code such as level_not_recognized or (plan_not_filed) in the visible text.
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def sign_in(page, live_url: str, username: str, then: str) -> None:
    page.goto(f"{live_url}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{then}")


def submit_and_check(page, button: str, typed: dict[str, str], error: str) -> None:
    """Click, then every field shows what was typed and the error is in words."""
    page.click(button)
    page.wait_for_load_state()
    for selector, value in typed.items():
        assert page.input_value(selector) == value, selector
    text = page.locator("main").inner_text()
    assert error in text
    assert CODE.search(text) is None, CODE.search(text)


def test_login_keeps_the_username(live_url, phone_page, make_account):
    make_account("person", username="zhangsan", name="张三", id_number="430104199003070015")
    page = phone_page
    page.goto(f"{live_url}/login")
    page.fill("#username", "zhangsan")
    page.fill("#password", "wrong-password-1")
    submit_and_check(
        page, "main button[type=submit]", {"#username": "zhangsan"}, "用户名或密码不正确"
    )
    assert page.input_value("#password") == ""  # a password is never sent back


def test_register_keeps_everything_but_the_passwords(live_url, phone_page, artifacts):
    page = phone_page
    page.goto(f"{live_url}/register")
    typed = {
        "#id_number": "430104199003070016",
        "#name": "张三",
        "#code": "ABCD-EFGH-JKMN-PQRS",
        "#username": "zhangsan",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.fill("#password", "Zhuce-mima-2026")
    page.fill("#password2", "Zhuce-mima-2027")
    submit_and_check(page, "button[value=register]", typed, "两次输入的密码不一致")
    assert page.locator("#password2-error").inner_text() == "两次输入的密码不一致"
    page.screenshot(path=str(artifacts / "form-register-error.png"), full_page=True)


def test_share_code_form_keeps_what_was_typed(live_url, phone_page, make_account, artifacts):
    make_account("person", username="zhangsan", name="张三", id_number="430104199003070015")
    page = phone_page
    sign_in(page, live_url, "zhangsan", "/me/grants")
    typed = {
        "#employer_name": "湖南某某科技有限公司",
        "#employer_credit_code": "91430000ABCDEFGH12",
        "#from": "1800",
        "#to": "2025",
        "#days": "45",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    submit_and_check(page, "main form button.primary", typed, "起始年份应在")
    assert "起始年份应在" in page.locator("#from-error").inner_text()
    page.screenshot(path=str(artifacts / "form-share-code-error.png"), full_page=True)


def test_shared_lookup_keeps_the_code_and_the_viewer(live_url, phone_page, artifacts):
    page = phone_page
    page.goto(f"{live_url}/shared")
    typed = {
        "#code": "ABCD-EFGH-JKMN",
        "#viewer_unit": "湖南某某科技有限公司",
        "#viewer_name": "王五",
        "#year": "2026",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.select_option("#level", "senior")
    submit_and_check(page, "main form button.primary", {**typed, "#level": "senior"}, "授权码")
    page.screenshot(path=str(artifacts / "form-shared-error.png"), full_page=True)


def test_verify_keeps_the_typed_serial(live_url, phone_page):
    page = phone_page
    page.goto(f"{live_url}/verify")
    page.fill("#serial", "NO-SUCH-SERIAL-1")
    page.click("form.verify-form button")
    page.wait_for_load_state()
    assert page.input_value("#serial") == "NO-SUCH-SERIAL-1"
    assert CODE.search(page.locator("main").inner_text()) is None


def test_sessions_form_keeps_every_field(live_url, browser, create_base, make_account, artifacts):
    base = create_base()
    make_account("base", username="jidi", base_id=base.id)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_url, "jidi", "/sessions")
        typed = {
            "#title": "人工智能应用高级研修班（第一期）",
            "#specialty": "电子信息",
            "#start_date": "2027-03-01",
            "#end_date": "2027-03-02",
            "#hours": "30",
            "#location": "长沙",
        }
        for selector, value in typed.items():
            page.fill(selector, value)
        selects = {
            "#category": "general",
            "#level": "intermediate",
            "#audience": "internal",
            "#form": "blended",
        }
        for selector, value in selects.items():
            page.select_option(selector, value)
        submit_and_check(page, "main form button.primary", {**typed, **selects}, "尚未备案")
        assert "每天 8 学时" in page.locator("main").inner_text()
        page.screenshot(path=str(artifacts / "form-session-error.png"), full_page=True)
    finally:
        context.close()


def test_activation_code_form_keeps_what_was_typed(live_url, phone_page, make_account):
    make_account("admin", username="admin1")
    page = phone_page
    sign_in(page, live_url, "admin1", "/activation-codes")
    typed = {"#id_number": "430104199003070016", "#name": "张三"}
    for selector, value in typed.items():
        page.fill(selector, value)
    page.click("main form button.primary")
    page.wait_for_load_state()
    for selector, value in typed.items():
        assert page.input_value(selector) == value
    assert CODE.search(page.locator("main").inner_text()) is None
