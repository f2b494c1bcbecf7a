"""CONTRACT §7 (issuing half): certificates issued by an upload, their tokens, QR codes, access
and revocation, checked through the HTTP API with nothing but the published JWKS."""

from __future__ import annotations

import base64
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from jxjd.certificates.signing import jwks_from_document, verify_token
from tests.conftest import assert_problem
from tests.fixtures.attendance import roster_xlsx, trainee, trainees

PUBLIC_URL = "https://jxjd.example.cn"
PAYLOAD_KEYS = {"sn", "name", "id_masked", "hours", "category", "title", "base", "end_date", "iat"}
SERIAL_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture
def issued(open_session, upload_roster, client):
    """issued(people=None, target=None) → (target, people, certificates as the API lists them)."""

    def make(people=None, target=None):
        target = target or open_session()
        people = people or trainees(3)
        resp = upload_roster(target, roster_xlsx(people))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
        assert listed.status_code == 200
        return target, people, listed.json["certificates"]

    return make


def _published_keys(client):
    resp = client.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    return resp.json, jwks_from_document(resp.json)


def _tamper_payload(token: str) -> str:
    """The same token with one byte of the signed payload changed."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    at = raw.index(b'"hours":') + len(b'"hours":')
    raw[at] = ord("9") if raw[at] != ord("9") else ord("8")
    changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def _rotate(app) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    return result.output.strip().split()[-1]


# ---- tokens ------------------------------------------------------------------------------------


def test_each_certificate_token_verifies_with_only_the_published_jwks(client, issued):
    target, people, certs = issued()
    _, keys = _published_keys(client)
    assert len(certs) == len(people)
    by_name = {p["name"] for p in people}
    for cert in certs:
        check = verify_token(cert["token"], keys)
        assert check.valid, check.error
        payload = check.payload
        assert PAYLOAD_KEYS <= set(payload)
        assert payload["sn"] == cert["serial"]
        assert payload["name"] in by_name
        assert payload["hours"] == 24
        assert payload["category"] == "professional"
        assert payload["title"] == target.session.title
        assert payload["base"] == target.base.name
        assert payload["end_date"] == "2026-03-03"
        assert isinstance(payload["iat"], int)
        header = json.loads(base64.urlsafe_b64decode(cert["token"].split(".")[0] + "=="))
        assert header == {"alg": "EdDSA", "kid": cert["kid"]}


def test_tokens_never_hold_a_full_id_number(client, issued):
    _, people, certs = issued()
    _, keys = _published_keys(client)
    for cert in certs:
        payload = verify_token(cert["token"], keys).payload
        person = next(p for p in people if p["name"] == payload["name"])
        full = person["id_number"]
        assert payload["id_masked"] == full[:6] + "*" * 8 + full[-4:]
        for text in (cert["token"], json.dumps(payload), json.dumps(cert)):
            assert full not in text


def test_a_token_with_one_payload_byte_changed_does_not_verify(client, issued):
    _, _, certs = issued()
    _, keys = _published_keys(client)
    forged = _tamper_payload(certs[0]["token"])
    check = verify_token(forged, keys)
    assert not check.valid
    assert check.payload is None
    assert {"step": "signature", "ok": False} in check.checks


def test_serials_are_url_safe_random_and_unique(issued):
    _, _, certs = issued(trainees(20))
    serials = [c["serial"] for c in certs]
    assert len(set(serials)) == len(serials)
    for serial in serials:
        assert SERIAL_RE.fullmatch(serial)
        assert len(serial) * 6 >= 96  # each URL-safe base64 character carries 6 random bits


def test_certificate_record_shows_the_verify_url_and_masked_id(client, issued):
    _, people, certs = issued(trainees(1))
    cert = certs[0]
    assert cert["status"] == "valid"
    assert cert["verify_url"] == f"{PUBLIC_URL}/v/{cert['serial']}?t={cert['token']}"
    assert len(cert["verify_url"]) < 800
    assert cert["id_masked"].count("*") == 8
    assert people[0]["id_number"] not in json.dumps(cert)


def test_long_titles_still_fit_in_the_qr_text(client, issued, open_session):
    target = open_session(title="人工智能应用高级研修班" * 12)
    _, _, certs = issued(trainees(1), target=target)
    assert len(certs[0]["verify_url"]) < 800
    _, keys = _published_keys(client)
    assert verify_token(certs[0]["token"], keys).valid


def test_key_rotation_signs_new_certificates_with_the_new_key_and_keeps_old_ones_valid(
    app, client, issued, open_session
):
    target, _, old_certs = issued()
    old_kid = old_certs[0]["kid"]
    new_kid = _rotate(app)
    assert new_kid != old_kid

    second = open_session(base=target.base, title="人工智能应用高级研修班（第二期）")
    _, _, new_certs = issued(target=second)
    assert {c["kid"] for c in new_certs} == {new_kid}

    doc, keys = _published_keys(client)
    kids = [k["kid"] for k in doc["keys"]]
    assert old_kid in kids and new_kid in kids
    for key in doc["keys"]:
        shape = (key["kty"], key["crv"], key["alg"], key["use"])
        assert shape == ("OKP", "Ed25519", "EdDSA", "sig")
        assert "d" not in key
    for cert in old_certs + new_certs:
        assert verify_token(cert["token"], keys).valid


def test_keys_list_shows_the_active_key(app, issued):
    issued(trainees(1))
    result = app.test_cli_runner().invoke(args=["keys", "list"])
    assert result.exit_code == 0, result.output
    assert "active" in result.output


# ---- QR codes ----------------------------------------------------------------------------------


def test_qr_png_decodes_to_exactly_the_verify_url(client, issued):
    from PIL import Image
    from pyzbar.pyzbar import decode

    target, _, certs = issued(trainees(1))
    cert = certs[0]
    resp = client.get(f"/api/v1/certificates/{cert['serial']}/qr.png", headers=target.headers)
    assert resp.status_code == 200
    assert resp.mimetype == "image/png"
    symbols = decode(Image.open(io.BytesIO(resp.data)))
    assert len(symbols) == 1
    text = symbols[0].data.decode()
    assert text == f"{PUBLIC_URL}/v/{cert['serial']}?t={cert['token']}"
    assert len(text) < 800


def test_second_qr_request_is_served_from_the_cache(client, issued, monkeypatch):
    from jxjd.certificates import qr

    target, _, certs = issued(trainees(1))
    url = f"/api/v1/certificates/{certs[0]['serial']}/qr.png"
    real = qr.render_png
    calls = []

    def render_once(text, **kw):
        if calls:
            raise AssertionError("QR rendered twice")
        calls.append(text)
        return real(text, **kw)

    monkeypatch.setattr(qr, "render_png", render_once)
    first = client.get(url, headers=target.headers)
    second = client.get(url, headers=target.headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.data == second.data
    assert len(calls) == 1


def test_qr_svg_is_a_well_formed_svg_document(client, issued):
    target, _, certs = issued(trainees(1))
    resp = client.get(f"/api/v1/certificates/{certs[0]['serial']}/qr.svg", headers=target.headers)
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    root = ET.fromstring(resp.data)
    assert root.tag.endswith("svg")
    paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
    assert len(paths) == 1 and paths[0].get("d")


def test_qr_of_unknown_certificate_is_404(client, admin_headers):
    resp = client.get("/api/v1/certificates/nope/qr.png", headers=admin_headers)
    assert_problem(resp, 404, "not_found")


# ---- access ------------------------------------------------------------------------------------


def test_owner_person_reads_their_certificate_and_qr(client, issued, make_headers):
    person = trainee()
    _, _, certs = issued([person])
    serial = certs[0]["serial"]
    headers = make_headers("person", name=person["name"], id_number=person["id_number"])
    resp = client.get(f"/api/v1/certificates/{serial}", headers=headers)
    assert resp.status_code == 200
    assert resp.json["serial"] == serial
    assert client.get(f"/api/v1/certificates/{serial}/qr.png", headers=headers).status_code == 200
    mine = client.get("/api/v1/me/certificates", headers=headers)
    assert [c["serial"] for c in mine.json["certificates"]] == [serial]


def test_another_person_cannot_read_the_certificate(client, issued, make_headers):
    _, _, certs = issued(trainees(1))
    stranger = trainee()
    headers = make_headers("person", name=stranger["name"], id_number=stranger["id_number"])
    serial = certs[0]["serial"]
    assert_problem(client.get(f"/api/v1/certificates/{serial}", headers=headers), 403, "forbidden")
    resp = client.get(f"/api/v1/certificates/{serial}/qr.png", headers=headers)
    assert_problem(resp, 403, "forbidden")
    assert client.get("/api/v1/me/certificates", headers=headers).json["certificates"] == []


def test_employer_cannot_read_a_certificate(client, issued, make_headers):
    _, _, certs = issued(trainees(1))
    headers = make_headers("employer")
    resp = client.get(f"/api/v1/certificates/{certs[0]['serial']}", headers=headers)
    assert_problem(resp, 403, "forbidden")


def test_another_base_cannot_read_or_list_the_certificates(
    client, issued, create_base, base_headers
):
    target, _, certs = issued(trainees(1))
    other = base_headers(create_base(name="湖南另一所继续教育基地"))
    resp = client.get(f"/api/v1/certificates/{certs[0]['serial']}", headers=other)
    assert_problem(resp, 403, "forbidden")
    resp = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=other)
    assert_problem(resp, 403, "forbidden")


def test_the_bases_department_and_admin_read_the_certificate(
    client, issued, dept_headers, admin_headers
):
    _, _, certs = issued(trainees(1))
    url = f"/api/v1/certificates/{certs[0]['serial']}"
    assert client.get(url, headers=dept_headers()).status_code == 200
    assert client.get(url, headers=admin_headers).status_code == 200
    assert_problem(client.get(url, headers=dept_headers("湖南省卫生健康委员会")), 403, "forbidden")


def test_unknown_certificate_is_404(client, admin_headers):
    resp = client.get("/api/v1/certificates/unknown", headers=admin_headers)
    assert_problem(resp, 404, "not_found")


# ---- revocation --------------------------------------------------------------------------------


def test_issuing_base_revokes_with_a_reason(client, issued):
    target, _, certs = issued(trainees(1))
    url = f"/api/v1/certificates/{certs[0]['serial']}"
    resp = client.post(f"{url}/revoke", json={"reason": "考核记录有误"}, headers=target.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["status"] == "revoked"
    assert resp.json["revoked_reason"] == "考核记录有误"
    assert resp.json["revoked_at"]
    assert client.get(url, headers=target.headers).json["status"] == "revoked"


def test_revoking_twice_is_a_conflict(client, issued):
    target, _, certs = issued(trainees(1))
    url = f"/api/v1/certificates/{certs[0]['serial']}/revoke"
    assert client.post(url, json={"reason": "重复"}, headers=target.headers).status_code == 200
    resp = client.post(url, json={"reason": "重复"}, headers=target.headers)
    body = assert_problem(resp, 409, "already_revoked")
    assert body["type"].endswith("already-revoked")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_revoking_without_a_reason_is_refused(client, issued, body):
    target, _, certs = issued(trainees(1))
    url = f"/api/v1/certificates/{certs[0]['serial']}"
    resp = client.post(f"{url}/revoke", json=body, headers=target.headers)
    body = assert_problem(resp, 422, "missing_reason")
    assert body["errors"][0]["field"] == "reason"
    assert client.get(url, headers=target.headers).json["status"] == "valid"


def test_another_base_cannot_revoke(client, issued, create_base, base_headers):
    _, _, certs = issued(trainees(1))
    other = base_headers(create_base(name="湖南另一所继续教育基地"))
    url = f"/api/v1/certificates/{certs[0]['serial']}/revoke"
    assert_problem(client.post(url, json={"reason": "越权"}, headers=other), 403, "forbidden")


def test_person_cannot_revoke_their_own_certificate(client, issued, make_headers):
    person = trainee()
    _, _, certs = issued([person])
    headers = make_headers("person", name=person["name"], id_number=person["id_number"])
    url = f"/api/v1/certificates/{certs[0]['serial']}/revoke"
    assert_problem(client.post(url, json={"reason": "不想要"}, headers=headers), 403, "forbidden")


def test_admin_revokes_every_certificate_of_a_session(client, issued, admin_headers):
    target, people, certs = issued(trainees(4))
    url = f"/api/v1/certificates/{certs[0]['serial']}/revoke"
    client.post(url, json={"reason": "单张撤销"}, headers=target.headers)

    resp = client.post(
        f"/api/v1/sessions/{target.id}/certificates/revoke",
        json={"reason": "违规发证（第二十三条）"},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json == {"session_id": target.id, "revoked": len(people) - 1}
    listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=admin_headers).json
    assert {c["status"] for c in listed["certificates"]} == {"revoked"}
    reasons = {c["serial"]: c["revoked_reason"] for c in listed["certificates"]}
    assert reasons[certs[0]["serial"]] == "单张撤销"  # the earlier reason is kept


def test_only_admin_revokes_a_whole_session(client, issued):
    target, _, _ = issued(trainees(2))
    resp = client.post(
        f"/api/v1/sessions/{target.id}/certificates/revoke",
        json={"reason": "批量"},
        headers=target.headers,
    )
    assert_problem(resp, 403, "forbidden")


def test_session_revoke_without_reason_is_refused(client, issued, admin_headers):
    target, _, _ = issued(trainees(1))
    resp = client.post(
        f"/api/v1/sessions/{target.id}/certificates/revoke", json={}, headers=admin_headers
    )
    assert_problem(resp, 422, "missing_reason")
