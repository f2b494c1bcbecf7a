"""Fixtures of the certificate tests."""

from __future__ import annotations

import pytest

from tests.fixtures.attendance import roster_xlsx, trainees


@pytest.fixture
def one_certificate(open_session, upload_roster, client):
    """(headers, serial) of one freshly issued certificate, as its issuing base sees it."""
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(1))).status_code == 200
    listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
    return target.headers, listed.json["certificates"][0]["serial"]
