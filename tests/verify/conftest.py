"""Real certificates for the verification tests: a filed plan, a session, an uploaded roster."""

from __future__ import annotations

import pytest

from tests.verify.support import PEOPLE, YEAR, issue_via_api


@pytest.fixture
def issue_certificates(client, create_base, create_filed_plan, base_headers):
    """issue_certificates(rows=PEOPLE) → the certificates (JSON records) issued for the rows.

    The roster goes through POST /api/v1/sessions/{id}/attendance, as a base uploads it.
    """

    def make(rows: list[dict] | None = None) -> list[dict]:
        base = create_base()
        plan = create_filed_plan(base, year=YEAR)
        return issue_via_api(client, base, base_headers(base), plan, rows)

    return make


@pytest.fixture
def certificate(issue_certificates):
    """One valid certificate (张三), as the issuing base sees it, with its `headers`."""
    return issue_certificates(PEOPLE[:1])[0]
