"""The concurrent-upload branch, on every database: rows another upload stored first.

Two uploads racing on PostgreSQL both pass the check, then one finds its records already there;
SQLite serialises writers, so the race never happens over HTTP there. The service is split into
check_roster and store_roster, so the test puts the other upload in between, deterministically.
"""

from __future__ import annotations

import pytest

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import (
    check_roster,
    check_upload_allowed,
    import_attendance,
    store_roster,
)
from jxjd.errors import ValidationFailed
from jxjd.extensions import db
from tests.fixtures.attendance import count_rows, trainees
from tests.fixtures.plans import base_actor


def _race(open_session, people, others, mode):
    """Check `people`, let another upload store `others`, then store the checked roster."""
    target = open_session()
    actor = base_actor(target.base)
    session = target.session
    checked = check_roster(session, rows_from_json(people))
    assert checked.result.already_recorded == 0 and len(checked.fresh) == len(people)
    import_attendance(actor, session, rows_from_json(others))  # the upload that got there first
    base = check_upload_allowed(session)
    return store_roster(actor, session, base, checked, mode=mode)


def test_identical_rows_stored_meanwhile_count_as_already_recorded(open_session):
    people = trainees(5)
    result = _race(open_session, people, people[:2], mode="strict")
    assert (result.recorded, result.already_recorded, result.rejected) == (3, 2, [])
    assert result.certificates_issued == 3
    assert count_rows("people", "attendance_records", "certificates", "attendance_uploads") == {
        "people": 5,
        "attendance_records": 5,
        "certificates": 5,
        "attendance_uploads": 2,
    }


def test_a_different_row_stored_meanwhile_is_rejected_in_partial_mode(open_session):
    people = trainees(4)
    changed = {**people[1], "hours": 8}
    result = _race(open_session, people, [people[0], changed], mode="partial")
    assert (result.recorded, result.already_recorded) == (2, 1)
    assert [(e["row"], e["code"]) for e in result.rejected] == [(None, "conflicting_record")]
    assert "同时上传的另一份名单" in result.rejected[0]["message"]
    db.session.flush()
    assert count_rows("attendance_records", "certificates") == {
        "attendance_records": 4,
        "certificates": 4,
    }


def test_a_different_row_stored_meanwhile_refuses_a_strict_upload(open_session):
    people = trainees(3)
    with pytest.raises(ValidationFailed) as caught:
        _race(open_session, people, [{**people[2], "result": "不合格"}], mode="strict")
    assert "同时上传的另一份名单冲突" in caught.value.detail
    assert [e["code"] for e in caught.value.errors] == ["conflicting_record"]
