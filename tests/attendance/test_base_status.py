"""A revoked or barred base can no longer record attendance or issue certificates."""

from __future__ import annotations

import pytest

from jxjd.auth import CLI
from jxjd.bases.services import change_base_status
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.attendance import count_rows, trainees


@pytest.mark.parametrize("status", ["revoked", "barred"])
def test_an_inactive_base_cannot_upload_a_roster(open_session, upload_json, status):
    target = open_session()
    change_base_status(CLI, target.base, status, "乱发证（第二十三条）")
    db.session.commit()
    resp = upload_json(target, trainees(2))
    assert_problem(resp, 422, "base_not_active")
    assert count_rows("attendance_records", "certificates") == {
        "attendance_records": 0,
        "certificates": 0,
    }


def test_a_rectifying_base_still_uploads(open_session, upload_json):
    target = open_session()
    change_base_status(CLI, target.base, "rectifying", "限期整改")
    db.session.commit()
    resp = upload_json(target, trainees(2))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["certificates_issued"] == 2
