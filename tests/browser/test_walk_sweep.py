"""Every page each demo role reaches from its menu, at 390 px, through axe-core (ISSUE11 item 12).

The walks follow each user's job; this sweep catches the pages no walk opens (the demo data set,
the menu's pages and one page of each kind they link to; the public ones once). No screenshots:
the walks take those.
"""

from __future__ import annotations

import pytest

from tests.browser.test_content_security_policy import (
    demo,  # noqa: F401 - a fixture
    route_of,
    same_site_links,
    sign_in,
)
from tests.browser.walk import Walk

pytestmark = pytest.mark.browser

ROLES = ("admin", "dept", "base", "person", "employer", "applicant")
# The same for every role: checked once.
PUBLIC = {
    "/",
    "/login",
    "/register",
    "/verify",
    "/directory",
    "/directory/notices",
    "/api/docs",
    "/shared",
}


def test_every_page_each_role_reaches_passes_axe_at_390_px(
    demo,  # noqa: F811
    live_url,
    phone_page,
    artifacts,
):
    findings: list[str] = []
    page = phone_page
    public: set[str] = set()
    for role in ROLES:
        walk = Walk(page, artifacts, f"sweep-{role}", screenshots=False)
        sign_in(page, live_url, role, demo)
        kinds = set(public)
        menu = sorted(same_site_links(page, live_url))
        linked: set[str] = set()
        for level, paths in enumerate((menu, linked)):
            for path in sorted(paths):
                kind = route_of(path)
                if kind in kinds:
                    continue
                kinds.add(kind)
                if kind in PUBLIC:
                    public.add(kind)
                page.goto(live_url + path)
                walk.step(kind.strip("/").replace("/", "-").replace("*", "n") or "home")
                if level == 0:
                    linked |= same_site_links(page, live_url)
        findings += [f"{role}: {f}" for f in walk.findings]
    assert findings == [], "\n".join(findings)
