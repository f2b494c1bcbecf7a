"""A professional walks their whole job on a 390×844 phone (ISSUE11 items 8, 9, 11 and 12).

Registers with an SMS code, signs in, reads the certificates and the year cards, runs the 职称评审
check, opens the year's registration page, issues a transcript, claims a credit with a photo, creates a
share code and checks that its QR code carries the link, which opens the lookup with the code
filled in. Every step is screenshotted and checked by axe-core and at 390 px.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.accounts.conftest import ZHANG, trained  # noqa: F401 - `trained` is used as a fixture
from tests.browser.conftest import PHONE
from tests.browser.walk import Walk
from tests.credits.conftest import png_bytes
from tests.fixtures.attendance import PAST_YEAR

pytestmark = pytest.mark.browser

PASSWORD = "Zhuce-mima-2026"


def decoded_qr(element) -> str:
    """What the QR code in this element says, read from a screenshot of it with zbar."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    found = decode(Image.open(io.BytesIO(element.screenshot())))
    assert found, "no QR code found"
    return found[0].data.decode()


def register(walk: Walk, live_url: str, outbox) -> None:
    """Open an account with the SMS code sent to the mobile on the roster."""
    page = walk.page
    page.goto(f"{live_url}/")
    walk.step("home")
    page.click("main a[href='/register']")
    page.wait_for_url("**/register")
    walk.step("register")
    page.fill("#id_number", ZHANG["id_number"])
    page.fill("#name", ZHANG["name"])
    page.click("button[value=otp]")
    page.wait_for_selector("#notice")
    walk.step("register-code-sent")
    message = json.loads(outbox.read_text().splitlines()[-1])
    page.fill("#code", re.search(r"\d{6}", message["text"]).group(0))
    page.fill("#username", "zhangsan")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button[value=register]")
    page.wait_for_url("**/login**")
    walk.step("registered-login")
    page.fill("#username", "zhangsan")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")


def test_person_registers_reads_years_checks_review_and_shares_a_code_on_a_phone(
    app,
    trained,  # noqa: F811
    browser,
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
    walk = Walk(phone_page, artifacts, "walk-person")
    page = walk.page
    register(walk, live_url, outbox)
    assert "138****1234" in page.content() and ZHANG["phone"] not in page.content()
    walk.step("certificates")

    # The year cards: the answer in words.
    page.click("main a:has-text('学时档案')")
    page.wait_for_url("**/me/archive*")
    card = page.locator("li.year-card", has_text=f"{PAST_YEAR} 年度")
    assert "还差" in card.inner_text() and "学时" in card.inner_text()
    walk.step("year-cards")

    # The person's own 职称评审 check keeps what was typed.
    page.select_option("select[name=level]", "intermediate")
    page.fill("input[name=year]", str(PAST_YEAR + 1))
    page.click("#review + form button[type=submit]")
    result = page.locator("#review-result")
    assert f"{PAST_YEAR + 1} 年度中级职称评审" in result.inner_text()
    assert page.locator("select[name=level]").input_value() == "intermediate"
    walk.step("review-check")

    # The year's registration page (《继续教育登记》).
    page.click(f"main a[href='/me/registration/{PAST_YEAR}']")
    page.wait_for_url(f"**/me/registration/{PAST_YEAR}")
    assert "湖南省专业技术人员继续教育登记" in page.content()
    walk.step("registration")

    # A transcript (学时认定单), issued and opened.
    page.go_back()
    page.click("main a:has-text('开具学时认定单')")
    page.wait_for_url("**/me/transcripts")
    walk.step("transcripts")
    page.fill("#from", str(PAST_YEAR))
    page.fill("#to", str(PAST_YEAR))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/transcripts/*")
    assert ZHANG["name"] in page.locator("main").inner_text()
    walk.step("transcript")
    page.click("nav >> text=我的证书")
    page.click("main a:has-text('学时认定单')")
    page.wait_for_url("**/me/transcripts")
    assert page.locator("main a.mono").count() == 1
    walk.step("transcripts-issued")

    # A credit from another source, claimed with a photo of the evidence.
    page.click("nav >> text=学时认定申报")
    page.wait_for_url("**/me/credits")
    walk.step("credits")
    page.fill("#c-id", ZHANG["id_number"])
    page.select_option("#c-form", "conference")
    page.fill("#c-year", str(PAST_YEAR))
    page.fill("#c-quantity", "1")
    page.fill("#c-title", "全省卫生学术年会")
    page.fill("#c-provider", "湖南省医学会")
    page.fill("#c-start", f"{PAST_YEAR}-09-01")
    page.fill("#c-end", f"{PAST_YEAR}-09-01")
    photo = {"name": "photo.png", "mimeType": "image/png", "buffer": png_bytes()}
    page.set_input_files("#c-evidence", photo)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/me/credits")
    assert "全省卫生学术年会" in page.locator("table").inner_text()
    assert page.locator(".flash").inner_text().startswith(f"“全省卫生学术年会”（{PAST_YEAR} 年度")
    walk.step("credit-claimed")

    # A share code, its link and its QR code.
    page.click("nav >> text=授权查询")
    page.wait_for_url("**/me/grants")
    walk.step("grants")
    page.fill("#from", str(PAST_YEAR + 1))
    page.fill("#to", str(PAST_YEAR))
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#from").input_value() == str(PAST_YEAR + 1)  # kept after the error
    walk.step("share-code-refused")
    page.fill("#employer_name", "湖南某某科技有限公司")
    page.fill("#from", str(PAST_YEAR))
    page.fill("#to", str(PAST_YEAR))
    page.click("form.card button[type=submit]")
    code = page.locator("#new-code").inner_text().strip()
    link = page.locator("#share-link").input_value()
    assert link.endswith(f"/shared#c={code}")
    assert decoded_qr(page.locator("figure.share-qr svg")) == link
    walk.step("share-code")

    # The link, opened on another phone with no account: the code is filled in.
    other = browser.new_context(**PHONE).new_page()
    try:
        other.goto(live_url + link[link.index("/shared#") :])
        assert other.locator("#code").input_value() == code
        opened = Walk(other, artifacts, "walk-person-link")
        opened.step("shared-with-code")
        opened.done()
    finally:
        other.context.close()
    walk.done()
