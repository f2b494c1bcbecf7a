"""Browser tests: the session app on a real local server, driven by Debian's Chromium.

Fixtures for every browser test module:
- `live_url`: base URL (``http://127.0.0.1:<port>``) of the test app served by werkzeug in a
  background thread; it shares the session `app` (same database, keys and configuration).
- `browser`: a headless Chromium (Playwright, sync API), one per test session.
- `phone_page`: a fresh page at a phone viewport (390×844, touch, zh-CN), closed after the test.
- `artifacts`: the git-ignored folder for screenshots (test-artifacts/).

Without /usr/bin/chromium the tests are skipped, unless JXJD_REQUIRE_BROWSER=1 (CI): then fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:
    """The session app served on 127.0.0.1 (a free port) from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the whole session (skipped when not installed)."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is not installed"
        if os.environ.get("JXJD_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " but JXJD_REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


# Reports every Content-Security-Policy violation of every page to the test (window.__cspViolation).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber,
                         document.location.pathname].join(" "));
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The CSP violations the phone page met; none may remain when the test ends."""
    return []


@pytest.fixture
def phone_page(browser, csp_violations):
    """A new page in a fresh phone-sized context (no cookies shared between tests).

    Any Content-Security-Policy violation on any page it opens fails the test at teardown.
    """
    context = browser.new_context(**PHONE)
    context.expose_function("__cspViolation", lambda text: csp_violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text),
    )
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert csp_violations == [], "Content-Security-Policy violations"


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ (git-ignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
