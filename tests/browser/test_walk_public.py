"""The public pages at 390 px (ISSUE11 items 10, 12 and 13): home, verify (form, a valid and a
revoked certificate, an unknown serial), the offline verifier, the directory and its notices,
login (with a failed try) and register. Each is screenshotted and checked by axe-core."""

from __future__ import annotations

import pytest

from jxjd.auth import CLI
from jxjd.certificates.models import Certificate
from jxjd.certificates.services import revoke_certificate
from jxjd.common.time import local_today
from jxjd.extensions import db
from tests.browser.walk import Walk, tab_to
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_public_pages_on_a_phone(
    open_session, upload_roster, create_application, live_url, phone_page, artifacts
):
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(2))).status_code == 200
    valid, revoked = db.session.scalars(
        db.select(Certificate).where(Certificate.session_id == target.id).order_by(Certificate.id)
    ).all()
    revoke_certificate(CLI, revoked, reason="冒名参训")
    db.session.commit()
    create_application("on_notice", unit_name="湖南某某理工学院", notice_start=local_today())

    walk = Walk(phone_page, artifacts, "walk-public")
    page = walk.page
    page.goto(f"{live_url}/")
    walk.step("home")
    page.goto(f"{live_url}/verify")
    walk.step("verify-form")
    page.fill("input[name=serial]", valid.serial.lower())  # case does not matter
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/v/**")
    assert "证书有效" in page.locator("main").inner_text()
    walk.step("verify-valid")
    page.goto(f"{live_url}/v/{revoked.serial}")
    assert "冒名参训" in page.locator("main").inner_text()
    walk.step("verify-revoked")
    # Another serial: the last character changed (never to itself, 1 serial in 32 ends in 0).
    unknown = valid.serial[:-1] + ("0" if valid.serial[-1] != "0" else "1")
    page.goto(f"{live_url}/v/{unknown}")
    assert page.locator("h1").inner_text() == "未查到证书"
    walk.step("verify-unknown")
    page.goto(f"{live_url}/verify")
    page.click("main a:has-text('离线核验')")
    page.wait_for_url("**/verify/offline")
    walk.step("verify-offline")
    page.goto(f"{live_url}/directory")
    walk.step("directory")
    page.goto(f"{live_url}/directory/notices")
    assert "湖南某某理工学院" in page.locator("main").inner_text()
    walk.step("directory-notices")
    page.goto(f"{live_url}/login")
    walk.step("login")
    for target in ("#username", "main button[type=submit]"):  # the focus is seen
        ring = tab_to(page, target)
        assert ring["style"] != "none" and ring["width"] >= 2, (target, ring)
    page.fill("#username", "nobody")
    page.fill("#password", TEST_PASSWORD + "x")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#username").input_value() == "nobody"  # kept after the error
    walk.step("login-failed")
    page.goto(f"{live_url}/register")
    walk.step("register")
    page.fill("#id_number", "430104199003070015")
    page.fill("#name", "张三")
    page.fill("#code", "123456")
    page.fill("#username", "zhangsan")
    page.fill("#password", "Zhuce-mima-2026")
    page.fill("#password2", "Zhuce-mima-2026")
    page.click("button[value=register]")
    page.wait_for_load_state()
    assert page.locator("#id_number").input_value() == "430104199003070015"
    walk.step("register-refused")
    page.goto(f"{live_url}/verify?serial=%E8%AF%81%E4%B9%A6%3F%3F")
    walk.step("verify-garbage")
    walk.done()
