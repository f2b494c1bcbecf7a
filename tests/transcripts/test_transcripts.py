"""学时认定单: issue, read, verify (online and offline), revocation since issue, PDF, employers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from jxjd.common import crockford
from jxjd.extensions import db
from jxjd.transcripts.models import Transcript
from tests.archive.conftest import LI, ZHANG
from tests.conftest import assert_problem
from tests.verify.support import unb64

ROOT = Path(__file__).resolve().parents[2]


def _payload(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


def _verify(client, **params) -> dict:
    resp = client.get("/api/v1/verify", query_string=params)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Transcript))


def _compliant_2025(earn):
    earn(ZHANG, "2025-03-10", "general", 30)
    return earn(ZHANG, "2025-06-10", "professional", 60)


def test_issue_signs_hours_per_year_and_category_as_the_archive_counts_them(
    client, earn, issue, person_headers
):
    _compliant_2025(earn)
    earn(ZHANG, "2024-05-01", "professional", 24)
    earn(ZHANG, "2024-05-09", "general", 8, result="fail")  # a fail counts nothing
    body = issue(**{"from": 2023, "to": 2025})
    assert set(body) == {"serial", "token", "url"}
    serial = body["serial"]
    assert crockford.is_canonical(serial, 20)  # 100 random bits
    assert body["url"] == f"https://jxjd.example.cn/v/{serial}?t={body['token']}"
    payload = _payload(body["token"])
    assert payload["kind"] == "transcript" and payload["sn"] == serial
    assert payload["name"] == "张三" and payload["id_masked"] == "430104********0015"
    assert "430104199003070015" not in body["token"]
    assert payload["years"] == [
        {"y": 2023, "g": 0, "p": 0, "ok": False},
        {"y": 2024, "g": 0, "p": 24, "ok": False},
        {"y": 2025, "g": 30, "p": 60, "ok": True},
    ]
    assert payload["ok"] is False
    # The same figures as the archive (one counting rule).
    archive = client.get(
        "/api/v1/me/archive", query_string={"from": 2023, "to": 2025}, headers=person_headers()
    ).get_json()
    assert [(y["general_hours"], y["professional_hours"]) for y in archive["years"]] == [
        (y["g"], y["p"]) for y in payload["years"]
    ]
    got = client.get(f"/api/v1/transcripts/{serial}", headers=person_headers()).get_json()
    assert got["years"][2] == {
        "year": 2025,
        "general_hours": 30,
        "professional_hours": 60,
        "total_hours": 90,
        "compliant": True,
    }
    assert got["record_changed"] is False and got["notice"] is None
    listed = client.get("/api/v1/me/transcripts", headers=person_headers()).get_json()
    assert [t["serial"] for t in listed["transcripts"]] == [serial]


def test_it_verifies_like_a_certificate_with_kind_transcript(client, earn, issue):
    cert_serial = _compliant_2025(earn)
    body = issue(**{"from": 2025, "to": 2025})
    by_token = _verify(client, t=body["token"], serial=body["serial"])
    assert by_token["kind"] == "transcript" and by_token["result"] == "valid"
    assert by_token["certificate"] is None and by_token["reason_code"] is None
    t = by_token["transcript"]
    assert t["serial"] == body["serial"] and t["from"] == 2025 and t["all_years_compliant"]
    assert t["record_changed"] is False and t["changed_years"] == []
    assert [c["step"] for c in by_token["checks"]] == [
        "well_formed",
        "key_known",
        "signature",
        "key_window",
        "payload_matches",
        "record_current",
    ]
    # By serial alone, typed in lower case with hyphens and spaces.
    typed = crockford.group(body["serial"]).lower().replace("-", " - ", 1)
    assert _verify(client, serial=typed)["result"] == "valid"
    # Certificates say what they are too.
    assert _verify(client, serial=cert_serial)["kind"] == "certificate"
    page = client.get(f"/v/{body['serial']}", query_string={"t": body["token"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "学时认定单有效" in html and "data-notice" not in html


def test_tampered_or_misplaced_tokens_are_invalid(client, earn, issue):
    _compliant_2025(earn)
    body = issue(**{"from": 2025, "to": 2025})
    other = issue(**{"from": 2024, "to": 2025})
    header, payload, signature = body["token"].split(".")
    claims = _payload(body["token"])
    claims["years"][0]["g"] = 90
    forged_payload = (
        __import__("base64")
        .urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
        .rstrip(b"=")
        .decode()
    )
    forged = _verify(client, t=f"{header}.{forged_payload}.{signature}")
    assert forged["result"] == "invalid" and forged["reason_code"] == "bad_signature"
    moved = _verify(client, t=other["token"], serial=body["serial"])
    assert moved["result"] == "invalid" and moved["reason_code"] == "serial_mismatch"
    assert _verify(client, serial="0" * 20)["result"] == "not_found"


def test_revoked_since_issue_is_valid_as_of_issue_with_a_notice(client, earn, issue, admin_headers):
    serial = _compliant_2025(earn)
    body = issue(**{"from": 2024, "to": 2025})
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke", json={"reason": "核查不实"}, headers=admin_headers
    )
    assert resp.status_code == 200
    outcome = _verify(client, t=body["token"])
    assert outcome["kind"] == "transcript" and outcome["result"] == "valid"
    assert outcome["reason_code"] == "record_changed"
    t = outcome["transcript"]
    assert t["record_changed"] is True
    assert t["changed_years"] == [2025] and t["hours_reduced_years"] == [2025]
    assert "2025" in outcome["reason"] and "已减少" in outcome["reason"]
    # What was signed is still what is shown: the statement as of issue.
    assert t["years"][1]["professional_hours"] == 60 and t["all_years_compliant"] is False
    assert {"step": "record_current", "ok": False} in outcome["checks"]
    html = client.get(f"/v/{body['serial']}").get_data(as_text=True)
    assert "学时认定单有效" in html and 'data-notice="record_changed"' in html
    # A transcript issued now states the register as it is.
    fresh = _payload(issue(**{"from": 2025, "to": 2025})["token"])
    assert fresh["years"] == [{"y": 2025, "g": 30, "p": 0, "ok": False}]


def test_new_hours_since_issue_are_a_change_but_not_a_reduction(client, earn, issue):
    earn(ZHANG, "2025-03-10", "general", 30)
    body = issue(**{"from": 2025, "to": 2025})
    earn(ZHANG, "2025-06-10", "professional", 60)
    t = _verify(client, serial=body["serial"])["transcript"]
    assert t["changed_years"] == [2025] and t["hours_reduced_years"] == []
    assert "已有变更" in t["notice"]


def test_bad_spans_and_wrong_callers_change_nothing(client, person_headers, make_headers):
    headers = person_headers()
    for span, field in (
        ({"from": 2025, "to": 2024}, "from"),
        ({"from": 2010, "to": 2025}, "to"),
        ({"from": "二〇二五", "to": 2025}, "from"),
        ({"from": 2025, "to": 2099}, "to"),
    ):
        resp = client.post("/api/v1/me/transcripts", json=span, headers=headers)
        problem = assert_problem(resp, 422, "invalid_year_range")
        assert problem["errors"][0]["field"] == field
    for role in ("admin", "employer"):
        resp = client.post("/api/v1/me/transcripts", json={}, headers=make_headers(role))
        assert_problem(resp, 403)
    assert_problem(client.post("/api/v1/me/transcripts", json={}), 401)
    assert _count() == 0


def test_a_person_reads_only_their_own_transcripts(client, earn, issue, person_headers):
    body = issue(**{"from": 2025, "to": 2025})
    other = person_headers(LI)
    assert_problem(client.get(f"/api/v1/transcripts/{body['serial']}", headers=other), 403)
    assert_problem(client.get(f"/api/v1/transcripts/{body['serial']}.pdf", headers=other), 403)
    unknown = client.get("/api/v1/transcripts/ZZZZZZZZZZZZZZZZZZZZ", headers=other)
    assert_problem(unknown, 404, "unknown_transcript")
    assert client.get("/api/v1/me/transcripts", headers=other).get_json()["transcripts"] == []


def test_the_pdf_states_the_years_and_its_qr_verifies(client, earn, issue, person_headers):
    from tests.printing import poppler

    _compliant_2025(earn)
    body = issue(**{"from": 2016, "to": 2025})  # ten years: the longest QR text
    resp = client.get(f"/api/v1/transcripts/{body['serial']}.pdf", headers=person_headers())
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "no-store" in resp.headers["Cache-Control"]
    assert poppler.page_count(resp.data) == 1
    text = poppler.text(resp.data)
    assert "继续教育学时认定单" in text and "张三" in text and "2016" in text
    assert crockford.group(body["serial"]) in text
    assert all(f["emb"] == "yes" for f in poppler.fonts(resp.data))
    (codes,) = poppler.qr_texts_per_page(resp.data)
    assert codes == [body["url"]]


def test_an_employer_downloads_the_transcript_of_the_granted_years(
    client, earn, person_headers, make_headers
):
    from tests.printing import poppler

    _compliant_2025(earn)
    grant = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "某公司", "from": 2024, "to": 2025},
        headers=person_headers(),
    ).get_json()
    resp = client.post(
        "/api/v1/shared/transcript.pdf",
        json={"code": grant["code"]},
        headers=make_headers("employer"),
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/pdf"
    stored = db.session.scalar(sa.select(Transcript))
    assert (stored.from_year, stored.to_year, stored.grant_id) == (2024, 2025, grant["id"])
    assert "2024—2025" in poppler.text(resp.data)
    assert _verify(client, serial=stored.serial)["result"] == "valid"
    # The person sees the download among the grant's accesses.
    grants = client.get("/api/v1/me/grants", headers=person_headers()).get_json()["grants"]
    assert grants[0]["accesses"][0]["what"] == f"transcript:{stored.serial}"
    # Without an account the viewer must say who they are; nothing is issued otherwise.
    anonymous = client.post("/api/v1/shared/transcript.pdf", json={"code": grant["code"]})
    assert_problem(anonymous, 422)
    unknown = client.post(
        "/api/v1/shared/transcript.pdf",
        json={"code": "XXXX-XXXX-XXXX-XXXX-XXXX"},
        headers=make_headers("employer"),
    )
    assert_problem(unknown, 404, "unknown_grant")
    assert_problem(
        client.post("/api/v1/shared/transcript.pdf", json={"code": grant["code"]},
                    headers=person_headers()),
        403,
    )  # fmt: skip
    assert _count() == 1


def test_the_offline_script_verifies_a_transcript(client, earn, issue, tmp_path):
    _compliant_2025(earn)
    body = issue(**{"from": 2025, "to": 2025})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(client.get("/.well-known/jwks.json").get_json()), "utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_offline.py"), "--jwks", jwks, body["url"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "学时认定单" in done.stdout and "2025" in done.stdout and "达标" in done.stdout
    assert "签发时" in done.stdout
