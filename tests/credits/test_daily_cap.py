"""Approved credits count in the daily cap (CONTRACT §11 with §14): a person's credited hours on
a calendar day, across sessions and approved credits, never exceed it."""

from __future__ import annotations

import threading

import pytest

from jxjd.common.crypto import app_keystore
from tests.conftest import assert_problem
from tests.credits.conftest import credit_body
from tests.fixtures.attendance import count_rows, trainee

DAY = {"start_date": "2026-06-01", "end_date": "2026-06-01", "hours": 8}
CONFERENCE = {"form": "conference", "quantity": 1, "title": "全省学术年会"} | {
    k: DAY[k] for k in ("start_date", "end_date")
}


def _credit(client, headers, row, **change) -> int:
    resp = client.post("/api/v1/credits", json=credit_body(row, **change), headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _decide(client, headers, credit_id, verb="approve", opinion=""):
    return client.post(
        f"/api/v1/credits/{credit_id}/{verb}", json={"opinion": opinion}, headers=headers
    )


def _status(client, headers, credit_id) -> str:
    return client.get(f"/api/v1/credits/{credit_id}", headers=headers).json["status"]


def test_a_roster_upload_sees_an_approved_credit_on_the_same_day(
    client, admin_headers, session_on, upload_json
):
    person = trainee(hours=8)
    credit_id = _credit(client, admin_headers, person, **CONFERENCE)
    assert _decide(client, admin_headers, credit_id).status_code == 200
    body = assert_problem(upload_json(session_on(**DAY), [person]), 422, "overlapping_attendance")
    message = body["errors"][0]["message"]
    assert "全省学术年会" in message and f"编号 {credit_id}" in message
    assert count_rows("attendance_records")["attendance_records"] == 0


def test_a_pending_or_revoked_credit_leaves_the_day_free(
    client, admin_headers, session_on, upload_json
):
    pending, revoked = trainee(hours=8), trainee(hours=8)
    _credit(client, admin_headers, pending, **CONFERENCE)
    credit_id = _credit(client, admin_headers, revoked, **CONFERENCE)
    assert _decide(client, admin_headers, credit_id).status_code == 200
    assert _decide(client, admin_headers, credit_id, "revoke", "会议取消").status_code == 200
    resp = upload_json(session_on(**DAY), [pending, revoked])
    assert resp.status_code == 200 and resp.json["recorded"] == 2, resp.json


def test_approving_a_credit_over_the_cap_with_a_session_is_refused_and_changes_nothing(
    client, admin_headers, session_on, upload_json
):
    person = trainee(hours=8)
    target = session_on(**DAY)
    assert upload_json(target, [person]).json["recorded"] == 1
    credit_id = _credit(client, admin_headers, person, **CONFERENCE)
    body = assert_problem(_decide(client, admin_headers, credit_id), 409, "overlapping_attendance")
    assert target.session.title in body["detail"] and "2026-06-01" in body["detail"]
    assert _status(client, admin_headers, credit_id) == "pending"
    # The reviewer can still reject it with an opinion.
    assert _decide(client, admin_headers, credit_id, "reject", "与基地培训同日").status_code == 200


def test_two_approved_credits_on_one_day_cannot_pass_the_cap(client, admin_headers):
    person = trainee()
    first = _credit(client, admin_headers, person, **CONFERENCE)
    half = _credit(
        client,
        admin_headers,
        person,
        **(CONFERENCE | {"form": "employer_training", "quantity": 4, "title": "单位内训"}),
    )
    second = _credit(client, admin_headers, person, **(CONFERENCE | {"title": "分会场报告"}))
    assert _decide(client, admin_headers, first).status_code == 200
    body = assert_problem(_decide(client, admin_headers, half), 409, "overlapping_attendance")
    assert "全省学术年会" in body["detail"]
    assert_problem(_decide(client, admin_headers, second), 409, "overlapping_attendance")
    assert _decide(client, admin_headers, first, "revoke", "重复申报").status_code == 200
    assert _decide(client, admin_headers, half).status_code == 200  # 4 of 8: it fits now


def test_a_credit_spread_over_its_days_fits_and_one_crammed_into_a_day_does_not(
    client, admin_headers
):
    person = trainee()
    spread = _credit(
        client,
        admin_headers,
        person,
        form="online_general",
        quantity=30,
        title="网络公需课",
        start_date="2026-03-01",
        end_date="2026-03-10",
    )
    crammed = _credit(
        client,
        admin_headers,
        person,
        form="online_general",
        quantity=20,
        title="一天二十学时",
        start_date="2026-04-01",
        end_date="2026-04-01",
    )
    assert _decide(client, admin_headers, spread).status_code == 200
    body = assert_problem(_decide(client, admin_headers, crammed), 409, "overlapping_attendance")
    assert "请核对起止日期" in body["detail"]


def test_a_paper_is_not_attendance_on_its_date(client, admin_headers, session_on, upload_json):
    person = trainee(hours=8)
    paper = _credit(client, admin_headers, person, **DAY_PAPER)
    assert _decide(client, admin_headers, paper).status_code == 200
    assert upload_json(session_on(**DAY), [person]).json["recorded"] == 1


DAY_PAPER = {"form": "paper", "quantity": 1, "start_date": "2026-06-01", "end_date": "2026-06-01"}


def _at_once(app, calls) -> list:
    """Run the request functions in threads released together; their responses."""
    app_keystore().ensure_all()
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = calls[index](app.test_client())
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return responses


@pytest.mark.parametrize("attempt", range(3))
def test_an_approval_and_an_upload_at_the_same_time_never_both_count(
    app, client, admin_headers, session_on, attempt
):
    people = [trainee(hours=8) for _ in range(5)]
    credits = [_credit(client, admin_headers, p, **CONFERENCE) for p in people]
    target = session_on(**DAY)

    def upload(c):
        return c.post(
            f"/api/v1/sessions/{target.id}/attendance?mode=partial",
            json={"rows": people},
            headers=target.headers,
        )

    def approve(credit_id):
        return lambda c: c.post(
            f"/api/v1/credits/{credit_id}/approve", json={}, headers=admin_headers
        )

    responses = _at_once(app, [upload, *(approve(i) for i in credits)])
    assert responses[0].status_code == 200, responses[0].json
    approved = sum(r.status_code == 200 for r in responses[1:])
    refused = [r for r in responses[1:] if r.status_code != 200]
    assert all(r.json["code"] == "overlapping_attendance" for r in refused), [
        r.json for r in refused
    ]
    # Each person counts the day once: in the session or in the approved credit, never both.
    assert responses[0].json["recorded"] + approved == len(people), responses[0].json


def test_approving_an_approved_credit_again_is_an_invalid_transition(client, admin_headers):
    credit_id = _credit(client, admin_headers, trainee(), **CONFERENCE)
    assert _decide(client, admin_headers, credit_id).status_code == 200
    assert_problem(_decide(client, admin_headers, credit_id), 409, "invalid_transition")


@pytest.mark.parametrize("attempt", range(2))
def test_two_approvals_on_one_day_at_the_same_time_let_one_through(
    app, client, admin_headers, attempt
):
    person = trainee()
    first = _credit(client, admin_headers, person, **CONFERENCE)
    second = _credit(client, admin_headers, person, **(CONFERENCE | {"title": "分会场报告"}))

    def approve(credit_id):
        return lambda c: c.post(
            f"/api/v1/credits/{credit_id}/approve", json={}, headers=admin_headers
        )

    responses = _at_once(app, [approve(first), approve(second)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.json for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] == "overlapping_attendance"
