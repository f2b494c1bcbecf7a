"""Real certificates for the credential tests, and the vendored specification files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.verify.support import PEOPLE, YEAR, issue_via_api

VENDOR = Path(__file__).resolve().parents[1] / "vendor"


def vendored(path: str) -> dict:
    """A vendored JSON file (tests/vendor/…, see its README for provenance)."""
    return json.loads((VENDOR / path).read_text(encoding="utf-8"))


@pytest.fixture
def issue_certificates(client, create_base, create_filed_plan, base_headers):
    """issue_certificates(rows=PEOPLE, base=None) → certificates issued through the roster API."""

    def make(rows: list[dict] | None = None, base=None) -> list[dict]:
        base = base or create_base()
        plan = create_filed_plan(base, year=YEAR)
        return issue_via_api(client, base, base_headers(base), plan, rows)

    return make


@pytest.fixture
def certificate(issue_certificates):
    """One valid certificate (张三), as the issuing base sees it, with its `headers`."""
    return issue_certificates(PEOPLE[:1])[0]
