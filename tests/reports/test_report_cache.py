"""Base reports are cached by version and never stale after a write (uploads, revocations)."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.attendance.tallies import rebuild_tallies
from jxjd.extensions import db
from jxjd.reports import services
from tests.fixtures.attendance import PAST_YEAR, OpenSession, roster_xlsx, trainees


def _report(client, target, headers) -> dict:
    resp = client.get(f"/api/v1/bases/{target.base.id}/report?year={PAST_YEAR}", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.json


def _computations(monkeypatch) -> list[int]:
    calls: list[int] = []
    compute = services._compute_base_report

    def counted(base, year):
        calls.append(base.id)
        return compute(base, year)

    monkeypatch.setattr(services, "_compute_base_report", counted)
    return calls


def test_a_repeated_report_is_served_from_the_cache(
    client, open_session, upload_roster, admin_headers, monkeypatch
):
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(3))).status_code == 200
    calls = _computations(monkeypatch)
    first = _report(client, target, admin_headers)
    assert _report(client, target, admin_headers) == first
    assert _report(client, target, target.headers) == first  # the base itself: same answer
    assert calls == [target.base.id]


def test_an_upload_and_a_revocation_show_at_once(
    client, open_session, upload_roster, create_session, admin_headers, monkeypatch
):
    first_session = open_session()
    assert upload_roster(first_session, roster_xlsx(trainees(3))).status_code == 200
    calls = _computations(monkeypatch)
    before = _report(client, first_session, admin_headers)
    assert before["person_times"] == 3 and before["trainee_hours"] == 72
    # Another roster of the same base and year: the next report counts it.
    base = first_session.base
    scheduled = create_session(base, first_session.session.plan_item, hours=24)
    second = OpenSession(base, scheduled, first_session.headers, scheduled.id)
    assert upload_roster(second, roster_xlsx(trainees(2))).status_code == 200
    after_upload = _report(client, first_session, admin_headers)
    assert (after_upload["sessions"], after_upload["person_times"]) == (2, 5)
    assert after_upload["trainee_hours"] == 120
    # A revoked certificate's hours stop counting in the very next report.
    listed = client.get(f"/api/v1/sessions/{second.id}/certificates", headers=second.headers).json[
        "certificates"
    ]
    revoked = client.post(
        f"/api/v1/certificates/{listed[0]['serial']}/revoke",
        json={"reason": "证书误发"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    after_revoke = _report(client, first_session, admin_headers)
    assert after_revoke["trainee_hours"] == 96 and after_revoke["person_times"] == 5
    assert len(calls) == 3


def test_tallies_rebuilt_from_the_records_change_the_version(
    app, client, open_session, upload_roster, admin_headers
):
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(2))).status_code == 200
    assert _report(client, target, admin_headers)["person_times"] == 2
    with app.app_context():  # a bulk load behind the app's back, then the documented rebuild
        db.session.execute(
            sa.text("UPDATE attendance_records SET counted = :no WHERE session_id = :s"),
            {"no": False, "s": target.id},
        )
        rebuild_tallies()
        db.session.commit()
    assert _report(client, target, admin_headers)["trainee_hours"] == 0
