"""An employer's HR reader walks the share link on a 390×844 phone with no account (ISSUE11 9, 12).

The link a person sent by WeChat opens the lookup with the code filled in; a reader who types a
different unit is warned that the person named another one; the reader of the named unit gets the
answer without the warning, with the 职称评审 check. The person then sees both look-ups. Every
step is screenshotted and checked by axe-core and at 390 px.
"""

from __future__ import annotations

import pytest

from tests.archive.conftest import ZHANG, earn  # noqa: F401 - `earn` is used as a fixture
from tests.browser.conftest import PHONE
from tests.browser.walk import Walk

pytestmark = pytest.mark.browser

NAMED = "湖南某某科技有限公司"


def open_link(walk: Walk, live_url: str, code: str, unit: str, name: str, review: bool) -> None:
    """Open the share link, say who is looking and read the answer."""
    page = walk.page
    page.goto("about:blank")  # a new page load, as from a WeChat message
    page.goto(f"{live_url}/shared#c={code}")
    assert page.locator("#code").input_value() == code
    assert "#c=" not in page.url  # read once, then dropped from the address bar
    walk.step("link-opened")
    page.fill("#viewer_unit", unit)
    page.fill("#viewer_name", name)
    if review:
        page.select_option("#level", "intermediate")
        page.fill("#year", "2026")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()


def test_employer_opens_the_share_link_without_an_account_and_reads_the_answer(
    earn,  # noqa: F811
    client,
    make_headers,
    browser,
    live_url,
    phone_page,
    artifacts,
):
    earn(ZHANG, "2024-06-03", "professional", 60)
    earn(ZHANG, "2024-07-03", "general", 30)
    earn(ZHANG, "2025-06-03", "professional", 24)
    person = make_headers("person", id_number=ZHANG[0], name=ZHANG[1])
    grant = client.post(
        "/api/v1/me/grants",
        json={"employer_name": NAMED, "from": 2024, "to": 2025, "days": 30},
        headers=person,
    ).get_json()

    # A code mistyped: refused in words, and what was typed stays.
    walk = Walk(phone_page, artifacts, "walk-employer")
    page = walk.page
    page.goto(f"{live_url}/shared")
    wrong = grant["code"][:-1] + ("A" if grant["code"][-1] != "A" else "B")
    page.fill("#code", wrong)
    page.fill("#viewer_unit", NAMED)
    page.fill("#viewer_name", "王五")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#code").input_value() == wrong
    assert "_" not in page.locator("main").inner_text()  # a sentence, never a code
    walk.step("wrong-code")

    # Someone from another unit opens the link: warned, and the look-up is still recorded.
    open_link(walk, live_url, grant["code"], "长沙某某人力资源服务公司", "赵六", review=False)
    warning = walk.page.locator("#not-named-unit")
    assert f"本人将此授权码授予“{NAMED}”" in warning.inner_text()
    walk.step("answer-other-unit-warned")

    # The named unit's HR reader, on another phone: the answer, no warning, the review check.
    context = browser.new_context(**PHONE)
    try:
        named = Walk(context.new_page(), artifacts, "walk-employer-named")
        open_link(named, live_url, grant["code"], f" {NAMED} ", "王五", review=True)
        page = named.page
        text = page.locator("main").inner_text()
        assert "授权年度 2024—2025" in text and "430104********0015" in text
        assert ZHANG[0] not in page.content()
        assert "还差" in text  # 2025 has 24 of the 90 学时, said in words
        assert "职称评审核验" in text and "未授权年度" in text
        assert page.locator("#not-named-unit").count() == 0
        # Every record's every field is on screen: no column hidden in a sideways scroll.
        assert page.evaluate(
            """[...document.querySelectorAll('table.rows-on-phone td')]
                 .every(td => td.getBoundingClientRect().right <= window.innerWidth)"""
        )
        label = page.evaluate(
            """getComputedStyle(document.querySelector('table.rows-on-phone td.serial'),
                                '::before').content"""
        )
        assert label == '"证书"'  # each field says what it is
        named.step("answer-named-unit")
        named.done()
    finally:
        context.close()
    walk.done()

    log = client.get("/api/v1/me/grants", headers=person).get_json()["grants"][0]["accesses"]
    assert {(a["viewer"]["name"], a["named_unit"]) for a in log} == {
        ("赵六", False),
        ("王五", True),
    }
