"""Session PDF, reports and exports as jobs (CONTRACT §15, issue #12 item 3): `Prefer:
respond-async` → 202 + Location /api/v1/jobs/{id}; the job's result is the synchronous answer's
body, or for a file a link to /api/v1/jobs/{id}/file, which answers the synchronous bytes and
headers to those who may read the job. A real Redis and an RQ worker run in the test process.

Byte for byte: reportlab stamps a PDF with the time unless SOURCE_DATE_EPOCH is set, so the
PDF tests set it; openpyxl stamps a workbook's docProps/core.xml and its zip entries with the
save time, so workbooks are compared part by part with those two stamps taken out.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from jxjd.extensions import db
from jxjd.jobs import services as jobs
from jxjd.jobs.services import work
from tests.conftest import assert_problem
from tests.fixtures.attendance import PAST_YEAR, roster_xlsx, trainee, trainees

ASYNC = {"Prefer": "respond-async"}


def _job(client, url, headers) -> str:
    """Ask for `url` as a job: 202, its Location; the job's id."""
    resp = client.get(url, headers={**headers, **ASYNC})
    assert resp.status_code == 202, resp.get_data(as_text=True)[:500]
    assert resp.headers["Preference-Applied"] == "respond-async"
    body = resp.get_json()
    assert resp.headers["Location"] == body["location"] == f"/api/v1/jobs/{body['id']}"
    return body["id"]


def _finish(client, job_id, headers) -> dict:
    work(burst=True)
    db.session.remove()
    state = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
    assert (state["status"], state["progress"], state["error"]) == ("finished", 100, None), state
    return state


def _xlsx_parts(data: bytes) -> dict[str, bytes]:
    """A workbook's parts, without the save-time stamps of docProps/core.xml."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", parts["docProps/core.xml"]
    )
    return parts


@pytest.fixture
def printed(open_session, upload_roster):
    """A session with four certificates (and a failed trainee)."""
    target = open_session()
    resp = upload_roster(target, roster_xlsx(trainees(4) + [trainee(result="不合格")]))
    assert resp.status_code == 200, resp.get_json()
    return target


def test_the_session_pdf_as_a_job_is_the_synchronous_pdf_with_progress_by_page(
    client, printed, jobs_redis, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    seen: list[int] = []
    original = jobs.report_progress
    monkeypatch.setattr(jobs, "report_progress", lambda p: (seen.append(p), original(p)))
    url = f"/api/v1/sessions/{printed.id}/certificates.pdf"
    job_id = _job(client, url, printed.headers)
    queued = client.get(f"/api/v1/jobs/{job_id}", headers=printed.headers).get_json()
    assert (queued["status"], queued["progress"], queued["kind"]) == ("queued", 0, "session.pdf")
    assert_problem(
        client.get(f"/api/v1/jobs/{job_id}/file", headers=printed.headers), 409, "job_not_finished"
    )

    state = _finish(client, job_id, printed.headers)
    assert seen[-4:] == [10 + 85 * n // 4 for n in (1, 2, 3, 4)]  # one step per page drawn
    file = state["result"]["file"]
    assert file["location"] == f"/api/v1/jobs/{job_id}/file"
    assert file["content_type"] == "application/pdf"
    got = client.get(file["location"], headers=printed.headers)
    same = client.get(url, headers=printed.headers)
    assert got.status_code == same.status_code == 200
    assert got.get_data() == same.get_data() and got.get_data().startswith(b"%PDF-")
    assert file["size"] == len(same.get_data())
    for header in ("Content-Type", "Content-Disposition", "Cache-Control"):
        assert got.headers[header] == same.headers[header], header


def test_a_pdf_that_would_be_refused_is_refused_at_once_not_queued(
    client, open_session, printed, jobs_redis, app, monkeypatch
):
    empty = open_session()
    resp = client.get(
        f"/api/v1/sessions/{empty.id}/certificates.pdf", headers={**empty.headers, **ASYNC}
    )
    assert_problem(resp, 409, "no_certificates")
    resp = client.get(
        f"/api/v1/sessions/{printed.id}/certificates.pdf?part=2",
        headers={**printed.headers, **ASYNC},
    )
    assert_problem(resp, 422)
    resp = client.get(
        f"/api/v1/sessions/{printed.id}/certificates.pdf", headers={**empty.headers, **ASYNC}
    )
    assert_problem(resp, 403)
    assert jobs.queue().count == 0
    # Without a queue the header changes nothing: the PDF comes at once.
    monkeypatch.setitem(app.config, "JXJD_JOBS_REDIS", None)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    resp = client.get(
        f"/api/v1/sessions/{printed.id}/certificates.pdf", headers={**printed.headers, **ASYNC}
    )
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"


def test_only_the_starter_or_an_admin_downloads_a_jobs_file(
    client, printed, open_session, jobs_redis, admin_headers, dept_headers
):
    other = open_session()
    url = f"/api/v1/sessions/{printed.id}/certificates.pdf"
    job_id = _job(client, url, printed.headers)
    _finish(client, job_id, printed.headers)
    location = f"/api/v1/jobs/{job_id}/file"
    assert client.get(location, headers=printed.headers).status_code == 200
    assert client.get(location, headers=admin_headers).status_code == 200
    assert_problem(client.get(location, headers=other.headers), 403)
    assert_problem(client.get(location, headers=dept_headers()), 403)
    assert_problem(client.get(location), 401)
    assert_problem(client.get("/api/v1/jobs/no-such-job/file", headers=admin_headers), 404)
    # A job whose answer is a body, not a file, has nothing to download.
    report = _job(client, f"/api/v1/bases/{printed.base.id}/report?year=2026", printed.headers)
    _finish(client, report, printed.headers)
    assert_problem(client.get(f"/api/v1/jobs/{report}/file", headers=printed.headers), 404)


def test_reports_as_jobs_carry_the_synchronous_answers(
    client, printed, open_session, upload_roster, jobs_redis, admin_headers
):
    second = open_session()
    assert upload_roster(second, roster_xlsx(trainees(2))).status_code == 200
    base_url = f"/api/v1/bases/{printed.base.id}/report?year={PAST_YEAR}"
    for url, headers, kind in (
        (base_url, printed.headers, "report.base"),
        (f"/api/v1/reports/{PAST_YEAR}", admin_headers, "report.province"),
    ):
        job_id = _job(client, url, headers)
        state = _finish(client, job_id, headers)
        assert state["kind"] == kind
        same = client.get(url, headers=headers)
        assert same.status_code == 200
        assert state["result"] == same.get_json()
    assert state["result"]["totals"]["person_times"] == 7

    url = f"/api/v1/reports/{PAST_YEAR}.xlsx"
    job_id = _job(client, url, admin_headers)
    file = _finish(client, job_id, admin_headers)["result"]["file"]
    got = client.get(file["location"], headers=admin_headers)
    same = client.get(url, headers=admin_headers)
    assert got.status_code == same.status_code == 200
    assert _xlsx_parts(got.get_data()) == _xlsx_parts(same.get_data())
    for header in ("Content-Type", "Content-Disposition"):
        assert got.headers[header] == same.headers[header], header
    # A department's job covers its bases only, as its request does.
    assert_problem(client.get(base_url, headers={**second.headers, **ASYNC}), 403)


def test_the_trainee_list_as_a_job_is_the_synchronous_workbook(
    client, printed, jobs_redis, admin_headers
):
    url = f"/api/v1/sessions/{printed.id}/trainees.xlsx?q=某某"
    same = client.get(url, headers=printed.headers)
    page = client.get(f"/sessions/{printed.id}/trainees.xlsx?q=某某")  # signed out: the login
    assert page.status_code in (302, 303, 401)
    assert same.status_code == 200 and same.mimetype.endswith("spreadsheetml.sheet")
    job_id = _job(client, url, printed.headers)
    file = _finish(client, job_id, printed.headers)["result"]["file"]
    got = client.get(file["location"], headers=printed.headers)
    assert _xlsx_parts(got.get_data()) == _xlsx_parts(same.get_data())
    assert got.headers["Content-Disposition"] == same.headers["Content-Disposition"]
    assert len(_xlsx_parts(same.get_data())["xl/worksheets/sheet1.xml"]) > 0
