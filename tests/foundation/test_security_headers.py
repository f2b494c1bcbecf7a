"""Content-Security-Policy and Permissions-Policy on every response; templates that obey the policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


@pytest.mark.parametrize("path", ["/", "/login", "/verify", "/api/docs", "/directory", "/nope"])
def test_pages_carry_a_strict_policy(client, path):
    resp = client.get(path, headers={"Accept": "text/html"})
    assert resp.status_code in (200, 404)
    assert resp.mimetype == "text/html"
    policy = resp.headers["Content-Security-Policy"]
    assert [d for d in DIRECTIVES if d not in policy] == []
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert "geolocation=()" in resp.headers["Permissions-Policy"]


def test_api_docs_still_lists_the_endpoints(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert "/api/v1/verify" in resp.get_data(as_text=True)


def test_api_answers_carry_the_policy_too(client):
    resp = client.get("/api/v1/verify")
    assert resp.status_code == 400
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_needs_inline_script_or_style():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert found == []
