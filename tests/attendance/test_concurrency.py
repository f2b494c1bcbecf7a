"""Idempotent uploads under concurrency (CONTRACT §6): two identical uploads at the same time."""

from __future__ import annotations

import io
import threading

import pytest

from jxjd.common.crypto import app_keystore
from tests.fixtures.attendance import count_rows, roster_xlsx, trainees


def _upload_to_each(app, targets: list, files: list[bytes]) -> list:
    """One roster to each session, from threads released at once; the responses in order."""
    # KeyStore.secret creates a missing key file non-atomically (O_EXCL, then write), so two
    # first-ever requests can read an empty file ("key file … is damaged"): create the keys first,
    # as KeyStore.ensure_all is meant for. Reported as a bug in jxjd/common/crypto.py.
    app_keystore().ensure_all()
    barrier = threading.Barrier(len(targets))
    responses: list = [None] * len(targets)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            responses[index] = client.post(
                f"/api/v1/sessions/{targets[index].id}/attendance",
                data={"file": (io.BytesIO(files[index]), "名单.xlsx")},
                headers=targets[index].headers,
                content_type="multipart/form-data",
            )
        except BaseException as exc:  # surfaced in the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return responses


def _upload_together(app, target, data: bytes | list[bytes], uploads: int = 2) -> list:
    """Post rosters to one session from `uploads` threads released at once; the responses.

    `data` is one roster for every thread, or one roster per thread.
    """
    files = data if isinstance(data, list) else [data] * uploads
    return _upload_to_each(app, [target] * len(files), files)


@pytest.mark.parametrize("attempt", range(3))
def test_identical_uploads_at_the_same_time_store_each_person_once(app, open_session, attempt):
    target = open_session()
    people = trainees(60)
    responses = _upload_together(app, target, roster_xlsx(people))

    for resp in responses:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.json
        assert body["recorded"] + body["already_recorded"] == len(people), body
        assert body["rejected"] == []
    bodies = [r.json for r in responses]
    assert sum(b["recorded"] for b in bodies) == len(people)
    assert sum(b["certificates_issued"] for b in bodies) == len(people)
    assert count_rows("people", "attendance_records", "certificates") == {
        "people": len(people),
        "attendance_records": len(people),
        "certificates": len(people),
    }


def test_identical_uploads_of_known_people_at_the_same_time_store_each_record_once(
    app, open_session, upload_roster
):
    first = open_session()
    second = open_session(
        base=first.base,
        title="人工智能应用高级研修班（第二期）",
        start_date="2026-04-01",
        end_date="2026-04-03",
    )
    people = trainees(40)
    data = roster_xlsx(people)
    assert upload_roster(first, data).json["recorded"] == len(people)

    responses = _upload_together(app, second, data)
    for resp in responses:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.json["recorded"] + resp.json["already_recorded"] == len(people)
    assert count_rows("people", "attendance_records", "certificates") == {
        "people": len(people),
        "attendance_records": 2 * len(people),
        "certificates": 2 * len(people),
    }


def test_same_people_in_another_order_at_the_same_time_store_each_person_once(app, open_session):
    # Rows inserted in file order would take the unique-index locks in opposite orders here
    # (a deadlock on PostgreSQL); the service inserts in a fixed order instead.
    target = open_session()
    people = trainees(200)
    files = [roster_xlsx(people), roster_xlsx(people[::-1])]
    for _ in range(3):
        responses = _upload_together(app, target, files)
        for resp in responses:
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.json["recorded"] + resp.json["already_recorded"] == len(people)
    assert count_rows("people", "attendance_records", "certificates") == {
        "people": len(people),
        "attendance_records": len(people),
        "certificates": len(people),
    }


def test_new_people_shared_by_sessions_on_other_days_are_stored_once(app, open_session):
    # No day in common, so no lock keeps these uploads apart: they meet on the people's unique
    # index (each COPYs straight in; the ones that find a person taken go the staging way).
    first = open_session(start_date="2026-05-04", end_date="2026-05-06")
    targets = [first] + [
        open_session(
            base=first.base,
            title=f"人工智能应用高级研修班（第{n}期）",
            start_date=f"2026-05-{3 * n + 4:02d}",
            end_date=f"2026-05-{3 * n + 6:02d}",
        )
        for n in range(1, 4)
    ]
    shared, own = trainees(120), [trainees(10) for _ in targets]
    files = [roster_xlsx(shared[n * 30 :] + shared[: n * 30] + own[n]) for n in range(len(targets))]
    responses = _upload_to_each(app, targets, files)
    for resp in responses:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.json["recorded"] == len(shared) + 10
    assert count_rows("people", "attendance_records", "certificates") == {
        "people": len(shared) + 10 * len(targets),
        "attendance_records": len(targets) * (len(shared) + 10),
        "certificates": len(targets) * (len(shared) + 10),
    }
