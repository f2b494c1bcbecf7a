"""A user's walk through the pages: every step screenshotted, checked by axe-core and at 390 px.

`Walk.step(name)` screenshots the page as it is (test-artifacts/<walk>-<nn>-<name>.png), runs
axe-core on it and checks that the page does not scroll sideways at a phone's 390 px (a desktop
page is narrowed to 390 px for the check, then restored). Findings are collected so one run names
every page that fails; `Walk.done()` asserts there are none.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.axe import axe_violations
from tests.fixtures.auth import TEST_PASSWORD

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
PHONE_WIDTH = 390
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
# The elements wider than the window, for a finding that says what overflows.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))"""


class Walk:
    """One user's walk: numbered steps, each screenshotted and checked."""

    def __init__(self, page, artifacts: Path, name: str, screenshots: bool = True) -> None:
        self.page = page
        self.screenshots = screenshots
        self.artifacts = artifacts
        self.name = name
        self.shots: list[str] = []
        self.paths: list[str] = []
        self.findings: list[str] = []

    def step(self, label: str) -> None:
        """Screenshot the page, run axe-core on it and check it at 390 px."""
        page = self.page
        page.wait_for_load_state()
        shot = f"{self.name}-{len(self.shots) + 1:02d}-{label}.png"
        if self.screenshots:
            page.screenshot(path=str(self.artifacts / shot), full_page=True)
        self.shots.append(shot)
        where = urlsplit(page.url)
        path = where.path + (f"?{where.query}" if where.query else "")
        self.paths.append(path)
        for v in axe_violations(page):
            self.findings.append(f"{label} {path}: axe {v['id']} ({v['impact']}) {v['nodes']}")
        wide = self._wide_at_phone_width()
        if wide is not None:
            self.findings.append(f"{label} {path}: scrolls sideways at 390 px: {wide}")

    def _wide_at_phone_width(self) -> list[str] | None:
        page = self.page
        size = page.viewport_size
        narrowed = size is not None and size["width"] != PHONE_WIDTH
        if narrowed:
            page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
        try:
            return None if page.evaluate(FITS) else page.evaluate(WIDE)
        finally:
            if narrowed:
                page.set_viewport_size(size)

    def done(self) -> None:
        """No step had an axe-core violation or a sideways scroll."""
        assert self.findings == [], "\n".join(self.findings)


def sign_in(walk: Walk, live_url: str, username: str, next_path: str) -> None:
    """Sign in on the login page (a step of the walk) and land on `next_path`."""
    page = walk.page
    page.goto(f"{live_url}/login?next={next_path}")
    walk.step("login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path.split('?')[0]}*")


def tab_to(page, selector: str, presses: int = 30) -> dict:
    """Tab (the keyboard) until `selector` has the focus; its focus outline (style and width)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                           return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
            )
    raise AssertionError(f"{selector} never took the focus")


def flash(page) -> str:
    """The first flashed message on the page."""
    return page.locator(".flash").first.inner_text()
