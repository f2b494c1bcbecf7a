"""The claim page (phone, photo of the evidence) and the reviewer's queue with the evidence."""

from __future__ import annotations

import io

from jxjd.credits.models import Credit
from jxjd.extensions import db
from tests.credits.conftest import png_bytes
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from


def _sign_in(client, username):
    login = client.get("/login")
    resp = client.post(
        "/login",
        data={
            "username": username,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token_from(login.text),
        },
    )
    assert resp.status_code == 302


def test_a_person_claims_from_the_page_and_the_reviewer_approves_from_the_queue(
    app, client, make_account, trained
):
    person, _ = trained(department="湖南省教育厅")
    make_account("person", username="me", id_number=person["id_number"], name=person["name"])
    make_account("dept", username="reviewer", department="湖南省教育厅")
    _sign_in(client, "me")
    page = client.get("/me/credits")
    assert page.status_code == 200 and 'capture="environment"' in page.text
    form = {
        "csrf_token": csrf_token_from(page.text),
        "id_number": person["id_number"],
        "form": "conference",
        "year": "2026",
        "quantity": "1",
        "title": "全省卫生学术年会",
        "provider": "湖南省医学会",
        "start_date": "2026-09-01",
        "end_date": "2026-09-01",
    }
    missing = client.post("/me/credits", data=form, content_type="multipart/form-data")
    assert missing.status_code == 422 and "证明材料" in missing.text
    form["evidence"] = (io.BytesIO(png_bytes()), "photo.png")
    resp = client.post("/me/credits", data=form, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.text
    assert "待审核" in client.get("/me/credits").text
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/me/credits").text)})
    reviewer = app.test_client()
    _sign_in(reviewer, "reviewer")
    queue = reviewer.get("/credits/queue")
    credit = db.session.scalar(db.select(Credit))
    assert queue.status_code == 200 and "全省卫生学术年会" in queue.text
    assert f"/credits/{credit.id}/evidence" in queue.text
    photo = reviewer.get(f"/credits/{credit.id}/evidence")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    done = reviewer.post(
        f"/credits/{credit.id}/decision",
        data={"csrf_token": csrf_token_from(queue.text), "decision": "approve", "opinion": "属实"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Credit, credit.id).status == "approved"
