"""Background jobs (CONTRACT §15): Prefer: respond-async on the upload → 202 + a job to follow.

A real Redis and an RQ worker run here in the test process (SimpleWorker, burst).
"""

from __future__ import annotations

import io

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.jobs.services import work
from tests.conftest import assert_problem
from tests.fixtures.attendance import count_rows, roster_xlsx, trainee, trainees

ASYNC = {"Prefer": "respond-async"}


def _post(client, target, data, headers=None, mode="strict"):
    return client.post(
        f"/api/v1/sessions/{target.id}/attendance?mode={mode}",
        data={"file": (io.BytesIO(data), "名单.xlsx")},
        headers={**target.headers, **(headers or {})},
        content_type="multipart/form-data",
    )


def test_an_async_upload_answers_202_and_its_job_carries_the_synchronous_answer(
    client, open_session, jobs_redis
):
    target, twin = open_session(), open_session()
    people = trainees(4) + [trainee(result="不合格")]
    resp = _post(client, target, roster_xlsx(people), ASYNC)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    assert location == f"/api/v1/jobs/{resp.get_json()['id']}"
    assert resp.headers["Preference-Applied"] == "respond-async"
    assert count_rows("attendance_records") == {"attendance_records": 0}  # not stored yet

    queued = client.get(location, headers=target.headers)
    assert queued.status_code == 200
    assert (queued.get_json()["status"], queued.get_json()["result"]) == ("queued", None)

    work(burst=True)
    db.session.remove()
    done = client.get(location, headers=target.headers).get_json()
    assert (done["status"], done["progress"], done["error"]) == ("finished", 100, None)
    same = _post(client, twin, roster_xlsx(trainees(4) + [trainee(result="不合格")])).get_json()
    ignore = {"session_id", "upload_id"}
    assert {k: v for k, v in done["result"].items() if k not in ignore} == {
        k: v for k, v in same.items() if k not in ignore
    }
    assert done["result"]["session_id"] == target.id
    assert (done["result"]["recorded"], done["result"]["certificates_issued"]) == (5, 4)
    assert count_rows("attendance_records", "certificates") == {
        "attendance_records": 10,
        "certificates": 8,
    }


def test_a_refused_roster_fails_its_job_with_the_synchronous_problem(
    client, open_session, jobs_redis
):
    target = open_session()
    rows = trainees(2) + [trainee(id_number="430104199001011234")]
    resp = _post(client, target, roster_xlsx(rows), ASYNC)
    assert resp.status_code == 202
    work(burst=True)
    db.session.remove()
    state = client.get(resp.headers["Location"], headers=target.headers).get_json()
    assert state["status"] == "failed" and state["result"] is None
    assert state["error"]["status"] == 422 and state["error"]["code"] == "validation_failed"
    assert [e["row"] for e in state["error"]["errors"]] == [4]
    assert count_rows("people", "attendance_records") == {"people": 0, "attendance_records": 0}


def test_only_its_starter_or_an_admin_reads_a_job(
    client, open_session, jobs_redis, admin_headers, dept_headers
):
    target, other = open_session(), open_session()
    resp = _post(client, target, roster_xlsx(trainees(1)), ASYNC)
    location = resp.headers["Location"]
    assert client.get(location, headers=admin_headers).status_code == 200
    assert_problem(client.get(location, headers=other.headers), 403)
    assert_problem(client.get(location, headers=dept_headers()), 403)
    assert_problem(client.get(location), 401)
    assert_problem(client.get("/api/v1/jobs/no-such-job", headers=target.headers), 404)
    assert_problem(client.get("/api/v1/jobs/" + "x" * 65, headers=admin_headers), 404)


def test_without_the_preference_or_without_a_queue_the_upload_is_answered_at_once(
    client, open_session, jobs_redis, app, monkeypatch
):
    target = open_session()
    assert _post(client, target, roster_xlsx(trainees(1))).status_code == 200
    monkeypatch.setitem(app.config, "JXJD_JOBS_REDIS", None)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    resp = _post(client, target, roster_xlsx(trainees(1)), ASYNC)
    assert resp.status_code == 200 and "Preference-Applied" not in resp.headers
    assert resp.get_json()["recorded"] == 1
    assert db.session.scalar(sa.text("SELECT count(*) FROM attendance_records")) == 2


def test_a_large_upload_job_stops_its_worker_for_a_fresh_one(
    app, client, open_session, jobs_redis, monkeypatch
):
    # JXJD_RECYCLE_AFTER_ROWS, as gunicorn.conf.py replaces a web worker (3 rows here).
    monkeypatch.setitem(app.config, "JXJD_RECYCLE_AFTER_ROWS", 3)
    target = open_session()
    large = _post(client, target, roster_xlsx(trainees(3)), ASYNC)
    small = _post(client, target, roster_xlsx(trainees(1)), ASYNC)
    assert (large.status_code, small.status_code) == (202, 202)

    assert work(burst=True) is True  # stopped after the large job, to be replaced
    db.session.remove()
    first = client.get(large.headers["Location"], headers=target.headers).get_json()
    waiting = client.get(small.headers["Location"], headers=target.headers).get_json()
    assert (first["status"], first["result"]["recorded"]) == ("finished", 3)
    assert waiting["status"] == "queued"  # left for the fresh worker

    assert work(burst=True) is False  # a small job keeps its worker
    db.session.remove()
    second = client.get(small.headers["Location"], headers=target.headers).get_json()
    assert (second["status"], second["result"]["recorded"]) == ("finished", 1)
