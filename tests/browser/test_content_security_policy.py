"""Every page works under the strict Content-Security-Policy: no violation on any page a demo
user of each role reaches from its menu, and the scripted behaviour (now in static/app.js) runs.

The phone_page fixture fails a test on any violation; the first test proves it notices one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROLES = ("admin", "dept", "base", "person", "employer", "applicant")
SKIP = re.compile(r"(\.xlsx$|\.pdf$|^/api/v1/|^/\.well-known/|^/static/)")


@pytest.fixture
def demo(app, fast_password_hashing):
    """The demo data set, with a login per role (password DEMO_PASSWORD)."""
    from jxjd.demo import DEMO_PASSWORD

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return DEMO_PASSWORD


def sign_in(page, live_url: str, role: str, password: str) -> None:
    page.context.clear_cookies()  # whoever was signed in before
    page.goto(f"{live_url}/login")
    page.fill("#username", f"demo-{role}")
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"demo-{role} could not sign in"


def same_site_links(page, live_url: str) -> set[str]:
    """Paths of the GET links on the page that lead to other pages of this site."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    paths = set()
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == live_url and not SKIP.search(parts.path):
            paths.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def route_of(path: str) -> str:
    """The page's route: its path with ids and serials left out."""
    segments = urlsplit(path).path.split("/")
    return "/".join("*" if re.search(r"\d", seg) else seg for seg in segments)


def test_a_violation_is_noticed(live_url, phone_page, csp_violations):
    phone_page.goto(live_url + "/")
    phone_page.evaluate(
        """document.body.insertAdjacentHTML("beforeend", '<p style="color:red">inline</p>')"""
    )
    phone_page.wait_for_timeout(300)
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # noticed: the fixture's own check has nothing left to report


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_has_no_violation(demo, live_url, phone_page, role):
    visited, kinds = set(), []
    phone_page.goto(f"{live_url}/")
    public = same_site_links(phone_page, live_url)
    sign_in(phone_page, live_url, role, demo)
    menu = same_site_links(phone_page, live_url) | public | {"/api/docs", "/verify", "/register"}
    pages = set(menu)
    for path in sorted(menu):  # the menu's pages, then every page they link to
        response = phone_page.goto(live_url + path)
        visited.add(path)
        assert response.status < 500, path
        pages |= same_site_links(phone_page, live_url)
    for path in sorted(pages - visited):
        kind = route_of(path)
        if kinds.count(kind) >= 2:  # two certificates (sessions, plans…) show what all do
            continue
        kinds.append(kind)
        response = phone_page.goto(live_url + path)
        visited.add(path)
        assert response.status < 500, path
    assert len(visited) >= 5, visited


def test_scripted_behaviour_runs_from_static_files(demo, live_url, phone_page):
    page = phone_page
    # A select that filters at once (data-autosubmit).
    sign_in(page, live_url, "admin", demo)
    page.goto(f"{live_url}/bases")
    page.select_option("select[name=status]", "recognized")
    page.wait_for_url("**/bases?status=recognized*")
    sign_in(page, live_url, "base", demo)
    page.goto(f"{live_url}/sessions")
    # Picking a plan item fills the session's fields (data-fill-from-option).
    options = page.locator("#plan_item_id option:not([value=''])")
    assert options.count() >= 1
    page.select_option("#plan_item_id", options.first.get_attribute("value"))
    assert page.input_value("#title") == options.first.get_attribute("data-title")
    assert page.input_value("#specialty") == options.first.get_attribute("data-specialty")
    # The certificate's print button (data-print) calls window.print.
    sign_in(page, live_url, "person", demo)
    page.goto(f"{live_url}/me")
    page.locator("a[href^='/certificates/']").first.click()
    page.wait_for_load_state()
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed === true")


def test_application_rows_are_added_and_removed(demo, live_url, phone_page):
    page = phone_page
    sign_in(page, live_url, "applicant", demo)
    page.goto(f"{live_url}/applications/new")
    rows = page.locator("#rows-teachers fieldset")
    before = rows.count()
    page.click("button[data-add=teachers]")
    assert rows.count() == before + 1
    added = rows.nth(before)
    assert page.evaluate("document.activeElement.closest('fieldset') !== null")
    added.locator("button[data-remove]").click()
    assert rows.count() == before
