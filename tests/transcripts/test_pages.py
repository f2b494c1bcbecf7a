"""The person's transcript pages: issue from a form, print, download the PDF."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.transcripts.models import Transcript
from tests.archive.conftest import LI, ZHANG
from tests.fixtures.auth import csrf_token_from


def _signed_in(client, make_account, login, person=ZHANG, username="zhangsan"):
    make_account("person", username=username, name=person[1], id_number=person[0])
    assert login(client, username).status_code == 302


def test_a_person_issues_prints_and_downloads_a_transcript(client, earn, make_account, login):
    earn(ZHANG, "2025-06-10", "professional", 24)
    _signed_in(client, make_account, login)
    html = client.get("/me/transcripts").get_data(as_text=True)
    assert "尚未开具学时认定单" in html
    bad = client.post(
        "/me/transcripts",
        data={"csrf_token": csrf_token_from(html), "from": "2026", "to": "2020"},
    )
    assert bad.status_code == 200 and "起始年份不能晚于截止年份" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transcript)) == 0
    resp = client.post(
        "/me/transcripts",
        data={"csrf_token": csrf_token_from(html), "from": "2024", "to": "2025"},
    )
    assert resp.status_code == 302
    serial = db.session.scalar(sa.select(Transcript.serial))
    assert resp.headers["Location"].endswith(f"/transcripts/{serial}")
    page = client.get(f"/transcripts/{serial}").get_data(as_text=True)
    assert "学时认定单" in page and serial in page and "<svg" in page and "2024—2025" in page
    pdf = client.get(f"/transcripts/{serial}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert serial in client.get("/me/transcripts").get_data(as_text=True)


def test_another_persons_transcript_page_is_refused(client, earn, make_account, login):
    _signed_in(client, make_account, login)
    html = client.get("/me/transcripts").get_data(as_text=True)
    client.post("/me/transcripts", data={"csrf_token": csrf_token_from(html)})
    serial = db.session.scalar(sa.select(Transcript.serial))
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    other = client.application.test_client()
    _signed_in(other, make_account, login, person=LI, username="lisi")
    assert other.get(f"/transcripts/{serial}").status_code == 403
    assert other.get(f"/transcripts/{serial}.pdf").status_code == 403
