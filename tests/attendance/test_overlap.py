"""No double counting (CONTRACT §11 amends §6): a person's credited hours on a calendar day never
exceed the daily cap across sessions, whether uploaded one after the other or at the same time."""

from __future__ import annotations

import io
import threading

import pytest

from jxjd.common.crypto import app_keystore
from tests.conftest import assert_problem
from tests.fixtures.attendance import OpenSession, count_rows, roster_xlsx, trainee, trainees

DAY = {"start_date": "2026-06-01", "end_date": "2026-06-01", "hours": 8}


@pytest.fixture
def session_on(create_base, create_filed_plan, create_session, base_headers):
    """session_on(base=None, **session fields) → an OpenSession with those dates and hours."""

    def make(base=None, **fields) -> OpenSession:
        base = base or create_base()
        plan = create_filed_plan(base, year=2026)
        session = create_session(base, plan.items[0], **fields)
        return OpenSession(base, session, base_headers(base), session.id)

    return make


def _pair(session_on, **second):
    first = session_on(**DAY)
    other = session_on(base=first.base, title="另一期研修班", **(DAY | second))
    return first, other


def test_a_second_full_day_on_the_same_day_is_a_row_error_naming_the_other_session(
    session_on, upload_json
):
    first, second = _pair(session_on)
    people = trainees(2, hours=8)
    assert upload_json(first, people).json["recorded"] == 2
    body = assert_problem(upload_json(second, people), 422, "overlapping_attendance")
    assert {e["code"] for e in body["errors"]} == {"overlapping_attendance"}
    assert "另一期研修班" not in body["errors"][0]["message"]  # it names the other session
    assert first.session.title in body["errors"][0]["message"]
    assert count_rows("attendance_records")["attendance_records"] == 2
    partial = upload_json(second, people + [trainee(hours=8)], mode="partial").json
    assert (partial["recorded"], len(partial["rejected"])) == (1, 2)


def test_two_half_days_on_the_same_day_fit_the_cap(session_on, upload_json):
    first = session_on(**(DAY | {"hours": 4}))
    second = session_on(base=first.base, title="另一期研修班", **(DAY | {"hours": 4}))
    people = trainees(3, hours=4)
    assert upload_json(first, people).json["recorded"] == 3
    assert upload_json(second, people).json["recorded"] == 3


def test_a_failed_or_revoked_record_credits_nothing_on_its_day(session_on, upload_json):
    first, second = _pair(session_on)
    failed = trainee(hours=8, result="不合格")
    assert upload_json(first, [failed]).json["recorded"] == 1
    assert upload_json(second, [{**failed, "result": "合格"}]).json["recorded"] == 1


def test_a_multi_day_session_spreads_its_hours_over_its_days(session_on, upload_json):
    week = session_on(start_date="2026-06-01", end_date="2026-06-03", hours=24)
    evening = session_on(
        base=week.base, title="晚间讲座", start_date="2026-06-02", end_date="2026-06-02", hours=2
    )
    person = trainee(hours=24)
    assert upload_json(week, [person]).json["recorded"] == 1
    assert_problem(upload_json(evening, [{**person, "hours": 2}]), 422, "overlapping_attendance")


def _together(app, targets, data) -> list:
    app_keystore().ensure_all()
    barrier = threading.Barrier(len(targets))
    responses: list = [None] * len(targets)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = app.test_client().post(
                f"/api/v1/sessions/{targets[index].id}/attendance?mode=partial",
                data={"file": (io.BytesIO(data), "名单.xlsx")},
                headers=targets[index].headers,
                content_type="multipart/form-data",
            )
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return responses


@pytest.mark.parametrize("attempt", range(3))
def test_two_uploads_of_same_day_sessions_at_the_same_time_credit_each_person_once(
    app, session_on, attempt
):
    first, second = _pair(session_on)
    people = trainees(30, hours=8)
    responses = _together(app, [first, second], roster_xlsx(people))
    bodies = [r.json for r in responses]
    assert all(r.status_code == 200 for r in responses), bodies
    # Each person is recorded in exactly one of the two sessions; the other says why not.
    assert sum(b["recorded"] for b in bodies) == len(people)
    rejected = [e for b in bodies for e in b["rejected"]]
    assert len(rejected) == len(people)
    assert {e["code"] for e in rejected} == {"overlapping_attendance"}
    assert count_rows("attendance_records")["attendance_records"] == len(people)
