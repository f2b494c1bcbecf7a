"""The roster upload page through a job: the page's script sends the form to /upload-job, follows
the job's progress and opens the page with its result; without a worker nothing is started (503)
and the form is posted as before (synchronously)."""

from __future__ import annotations

import io

import pytest

from jxjd.extensions import db
from jxjd.jobs.services import queue, work
from tests.fixtures.attendance import count_rows, roster_xlsx, trainee, trainees
from tests.fixtures.auth import csrf_token_from


@pytest.fixture
def base_page(client, make_account, login, open_session):
    """(signed-in client, OpenSession, CSRF token) for a base's web account."""
    target = open_session()
    make_account("base", username="job-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "job-base").status_code == 302
    token = csrf_token_from(client.get(f"/sessions/{target.id}").get_data(as_text=True))
    return client, target, token


def _send(client, target, token, data, mode="strict"):
    return client.post(
        f"/sessions/{target.id}/upload-job",
        data={"csrf_token": token, "mode": mode, "file": (io.BytesIO(data), "名单.xlsx")},
        content_type="multipart/form-data",
    )


def test_the_form_names_its_job_endpoint_and_a_labelled_progress_bar(base_page):
    client, target, _ = base_page
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert f'data-upload-job="/sessions/{target.id}/upload-job"' in html
    assert '<label for="upload-progress">' in html and '<progress id="upload-progress"' in html


def test_without_redis_nothing_is_started_and_the_form_posts_as_before(base_page):
    client, target, token = base_page
    resp = _send(client, target, token, roster_xlsx(trainees(2)))
    assert resp.status_code == 503 and resp.json["code"] == "jobs_unavailable"
    assert count_rows("attendance_records") == {"attendance_records": 0}


def test_without_a_worker_nothing_is_started(base_page, jobs_redis):
    client, target, token = base_page
    assert _send(client, target, token, roster_xlsx(trainees(2))).status_code == 503
    assert count_rows("attendance_records") == {"attendance_records": 0}


def test_a_job_reports_progress_and_the_page_shows_its_result(base_page, listening):
    client, target, token = base_page
    resp = _send(client, target, token, roster_xlsx(trainees(3) + [trainee(result="不合格")]))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    job = resp.json
    assert job["result_url"] == f"/sessions/{target.id}?job={job['id']}#upload-outcome"
    queued = client.get(job["status_url"]).json
    assert queued == {"status": "queued", "progress": 0}
    running = client.get(job["result_url"].split("#")[0]).get_data(as_text=True)
    assert "名单正在处理" in running and "上传结果" not in running

    work(burst=True)
    db.session.remove()
    assert client.get(job["status_url"]).json == {"status": "finished", "progress": 100}
    page = client.get(job["result_url"].split("#")[0])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "上传结果" in html
    assert "新记录 <strong>4</strong> 条" in html and "签发证书 <strong>3</strong> 张" in html
    assert count_rows("attendance_records") == {"attendance_records": 4}


def test_a_refused_roster_shows_its_rows_and_the_error_report(base_page, listening):
    client, target, token = base_page
    bad = trainees(2) + [trainee(id_number="430104199001011234")]
    job = _send(client, target, token, roster_xlsx(bad)).json
    work(burst=True)
    db.session.remove()
    assert client.get(job["status_url"]).json["status"] == "finished"
    page = client.get(job["result_url"].split("#")[0])
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "未通过检查的行" in html and "<td>4</td>" in html
    assert "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," in html
    assert count_rows("attendance_records") == {"attendance_records": 0}


def test_a_file_the_form_cannot_read_starts_no_job(base_page, listening):
    client, target, token = base_page
    resp = client.post(
        f"/sessions/{target.id}/upload-job",
        data={"csrf_token": token, "mode": "strict"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert queue().count == 0


def test_another_account_cannot_follow_the_job(
    base_page, listening, app, make_account, login, open_session
):
    client, target, token = base_page
    job = _send(client, target, token, roster_xlsx(trainees(1))).json
    other = open_session()
    make_account("base", username="job-other", name=other.base.name, base_id=other.base.id)
    stranger = app.test_client()
    assert login(stranger, "job-other").status_code == 302
    assert stranger.get(job["status_url"]).status_code in (403, 404)
    assert stranger.get(f"/sessions/{other.id}?job={job['id']}").status_code == 403
