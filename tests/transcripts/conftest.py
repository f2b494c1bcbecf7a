"""Transcript fixtures: hours earned through the real roster path (tests/archive's `earn`)."""

from __future__ import annotations

import pytest

from tests.archive.conftest import earn, person_headers, rules_override  # noqa: F401


@pytest.fixture
def issue(client, person_headers):  # noqa: F811
    """issue(person=ZHANG, **span) → the 201 body of POST /api/v1/me/transcripts."""
    from tests.archive.conftest import ZHANG

    def make(person=ZHANG, **span):
        resp = client.post("/api/v1/me/transcripts", json=span, headers=person_headers(person))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return make
