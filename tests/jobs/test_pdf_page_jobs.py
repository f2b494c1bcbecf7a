"""The session PDF from the page through a job: the print button's script starts /pdf-job,
follows the job's progress and downloads its file (the same PDF as the direct link); without a
worker nothing is started (503) and the link is followed as before (synchronously)."""

from __future__ import annotations

import pytest

from jxjd.extensions import db
from jxjd.jobs.services import queue, work
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.fixtures.auth import csrf_token_from


@pytest.fixture
def print_page(client, make_account, login, open_session, upload_roster):
    """(signed-in base client, session with three certificates, CSRF token)."""
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(3))).status_code == 200
    make_account("base", username="pdf-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "pdf-base").status_code == 302
    token = csrf_token_from(client.get(f"/sessions/{target.id}").get_data(as_text=True))
    return client, target, token


def test_the_print_button_names_its_job_endpoint_and_a_labelled_progress_bar(print_page):
    client, target, _ = print_page
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert f'data-pdf-job="/sessions/{target.id}/pdf-job"' in html
    assert f'href="/sessions/{target.id}/certificates.pdf"' in html
    assert '<label for="pdf-progress">' in html and '<progress id="pdf-progress"' in html


def test_without_redis_or_a_worker_nothing_is_started(print_page, jobs_redis):
    client, target, token = print_page
    resp = client.post(f"/sessions/{target.id}/pdf-job", data={"csrf_token": token})
    assert resp.status_code == 503 and resp.json["code"] == "jobs_unavailable"
    assert queue().count == 0


def test_without_the_form_token_nothing_is_started(print_page, listening):
    client, target, _ = print_page
    assert client.post(f"/sessions/{target.id}/pdf-job").status_code in (400, 403)
    assert queue().count == 0


def test_a_job_reports_progress_and_its_file_is_the_direct_pdf(print_page, listening, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    client, target, token = print_page
    resp = client.post(f"/sessions/{target.id}/pdf-job", data={"csrf_token": token})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    job = resp.json
    assert client.get(job["status_url"]).json == {"status": "queued", "progress": 0}
    assert client.get(job["file_url"]).status_code == 409  # not finished yet

    work(burst=True)
    db.session.remove()
    assert client.get(job["status_url"]).json == {"status": "finished", "progress": 100}
    from_job = client.get(job["file_url"])
    direct = client.get(f"/sessions/{target.id}/certificates.pdf")
    assert from_job.status_code == direct.status_code == 200
    assert from_job.mimetype == "application/pdf"
    assert from_job.data == direct.data
    assert from_job.headers["Content-Disposition"] == direct.headers["Content-Disposition"]


def test_a_part_beyond_the_session_is_refused_before_any_job(print_page, listening):
    client, target, token = print_page
    resp = client.post(f"/sessions/{target.id}/pdf-job?part=9", data={"csrf_token": token})
    assert resp.status_code == 422
    assert queue().count == 0


def test_another_account_cannot_follow_or_download_the_job(
    print_page, listening, app, make_account, login, open_session
):
    client, target, token = print_page
    job = client.post(f"/sessions/{target.id}/pdf-job", data={"csrf_token": token}).json
    work(burst=True)
    db.session.remove()
    other = open_session()
    make_account("base", username="pdf-other", name=other.base.name, base_id=other.base.id)
    stranger = app.test_client()
    assert login(stranger, "pdf-other").status_code == 302
    assert stranger.get(job["status_url"]).status_code in (403, 404)
    assert stranger.get(job["file_url"]).status_code in (403, 404)
    assert stranger.post(
        f"/sessions/{target.id}/pdf-job",
        data={"csrf_token": csrf_token_from(stranger.get("/").get_data(as_text=True))},
    ).status_code in (403, 404)
