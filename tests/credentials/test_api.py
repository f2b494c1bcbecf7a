"""GET /api/v1/certificates/{serial}/credential, GET /status/{id}, GET /.well-known/did.json."""

from __future__ import annotations

import base64
import json

import pytest

from jxjd.certificates.services import signing_keys
from jxjd.certificates.signing import jwks_from_document
from jxjd.credentials import vc
from jxjd.credentials.models import CredentialStatus
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.verify.support import PEOPLE

DID = "did:web:jxjd.example.cn"


def header_of(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def download(client, cert, headers=None):
    return client.get(
        f"/api/v1/certificates/{cert['serial']}/credential", headers=headers or cert["headers"]
    )


def verified(client, token: str) -> dict:
    """The credential of a vc+jwt, checked against the served JWKS (fails the test otherwise)."""
    keys = jwks_from_document(client.get("/.well-known/jwks.json").get_json())
    check, credential = vc.verify_vc_jwt(token, keys, DID)
    assert check.valid, check.error
    return credential


def status_bits(client, list_url: str) -> bytes:
    resp = client.get(list_url.removeprefix("https://jxjd.example.cn"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/vc+jwt"
    status_list = verified(client, resp.get_data(as_text=True))
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    return vc.decode_bitstring(status_list["credentialSubject"]["encodedList"])


def test_the_owner_downloads_a_signed_open_badge_credential(client, certificate, make_headers):
    owner = make_headers("person", name=PEOPLE[0]["name"], id_number=PEOPLE[0]["id_number"])
    resp = download(client, certificate, owner)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vc+jwt"
    assert "no-store" in resp.headers["Cache-Control"]  # personal data: never cached
    token = resp.get_data(as_text=True)
    header = header_of(token)
    kid = signing_keys().active().kid
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": f"{DID}#{kid}"}
    credential = verified(client, token)
    assert credential["id"] == f"https://jxjd.example.cn/v/{certificate['serial']}"
    assert credential["issuer"]["id"] == DID
    subject = credential["credentialSubject"]
    assert subject["creditsEarned"] == certificate["hours"]
    ids = subject["identifier"]
    assert ids[0]["identityHash"] == vc.identity_hash(PEOPLE[0]["id_number"], ids[0]["salt"])
    assert PEOPLE[0]["id_number"] not in json.dumps(credential)
    assert (
        PEOPLE[0]["id_number"] not in base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    )


def test_a_tampered_credential_does_not_verify(client, certificate):
    token = download(client, certificate).get_data(as_text=True)
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["credentialSubject"]["creditsEarned"] = 240
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    keys = jwks_from_document(client.get("/.well-known/jwks.json").get_json())
    check, credential = vc.verify_vc_jwt(f"{head}.{forged_body}.{sig}", keys, DID)
    assert not check.valid and credential is None


def test_the_status_entry_and_salt_stay_the_same_across_downloads(client, certificate):
    first = verified(client, download(client, certificate).get_data(as_text=True))
    second = verified(client, download(client, certificate).get_data(as_text=True))
    assert first["credentialStatus"] == second["credentialStatus"]
    assert first["credentialSubject"]["identifier"] == second["credentialSubject"]["identifier"]
    assert db.session.query(CredentialStatus).count() == 1


def test_revoking_the_certificate_sets_its_bit(client, issue_certificates, admin_headers):
    certs = issue_certificates()
    entries = [verified(client, download(client, c).get_data(as_text=True)) for c in certs]
    statuses = [e["credentialStatus"] for e in entries]
    assert statuses[0]["statusListCredential"] == statuses[1]["statusListCredential"]
    indices = [int(s["statusListIndex"]) for s in statuses]
    bits = status_bits(client, statuses[0]["statusListCredential"])
    assert len(bits) * 8 == vc.STATUS_LIST_SIZE
    assert not any(vc.bit_is_set(bits, i) for i in indices)

    resp = client.post(
        f"/api/v1/certificates/{certs[0]['serial']}/revoke",
        json={"reason": "学时造假"},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    bits = status_bits(client, statuses[0]["statusListCredential"])
    assert vc.bit_is_set(bits, indices[0])
    assert not vc.bit_is_set(bits, indices[1])
    assert sum(bin(b).count("1") for b in bits) == 1


def test_a_status_list_is_public_and_cacheable(client, certificate):
    credential = verified(client, download(client, certificate).get_data(as_text=True))
    url = credential["credentialStatus"]["statusListCredential"]
    resp = client.get(url.removeprefix("https://jxjd.example.cn"))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert header_of(resp.get_data(as_text=True))["typ"] == "vc+jwt"


@pytest.mark.parametrize("list_id", ["999", "0"])
def test_an_unknown_status_list_is_a_404_problem(client, list_id):
    assert_problem(client.get(f"/status/{list_id}"), 404, "status_list_not_found")


def test_the_credential_is_read_only_by_those_who_read_the_certificate(
    client, certificate, issue_certificates, make_headers, create_base, base_headers
):
    serial = certificate["serial"]
    url = f"/api/v1/certificates/{serial}/credential"
    stranger = make_headers("person", name=PEOPLE[1]["name"], id_number=PEOPLE[1]["id_number"])
    assert_problem(client.get(url, headers=stranger), 403)
    assert_problem(client.get(url, headers=base_headers(create_base())), 403)
    assert_problem(client.get(url, headers=make_headers("employer", name="用人单位")), 403)
    assert_problem(client.get(url), 401)
    assert client.get(url, headers=make_headers("admin")).status_code == 200
    assert_problem(
        client.get(
            "/api/v1/certificates/NoSuchSerial0000000000/credential", headers=certificate["headers"]
        ),
        404,
    )
    # Refusals allocate nothing.
    assert db.session.query(CredentialStatus).count() == 1


def test_did_document_lists_the_jwks_keys_and_follows_rotation_and_compromise(
    app, client, certificate
):
    first = signing_keys().active().kid
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    second = signing_keys().active().kid

    resp = client.get("/.well-known/did.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/did+json"
    doc = resp.get_json(force=True)
    assert doc["id"] == DID
    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert [m["publicKeyJwk"] for m in doc["verificationMethod"]] == jwks
    assert {m["id"] for m in doc["verificationMethod"]} >= {f"{DID}#{first}", f"{DID}#{second}"}
    assert f"{DID}#{first}" in doc["assertionMethod"]  # retired: old credentials still verify
    for method in doc["verificationMethod"]:
        assert method["type"] == "JsonWebKey2020" and method["controller"] == DID
        assert "d" not in method["publicKeyJwk"]

    # A new download is signed by the new key.
    token = download(client, certificate).get_data(as_text=True)
    assert header_of(token)["kid"] == f"{DID}#{second}"

    result = runner.invoke(args=["keys", "compromise", first, "--yes"])
    assert result.exit_code == 0, result.output
    doc = client.get("/.well-known/did.json").get_json(force=True)
    methods = {m["id"]: m for m in doc["verificationMethod"]}
    assert methods[f"{DID}#{first}"]["publicKeyJwk"]["compromised"] is True
    assert f"{DID}#{first}" not in doc["assertionMethod"]
    assert f"{DID}#{second}" in doc["assertionMethod"]
    assert client.get("/did.json").get_json(force=True) == doc


def test_a_credential_under_a_compromised_key_is_refused(app, client, certificate):
    token = download(client, certificate).get_data(as_text=True)
    kid = signing_keys().active().kid
    result = app.test_cli_runner().invoke(args=["keys", "compromise", kid, "--yes"])
    assert result.exit_code == 0, result.output
    keys = jwks_from_document(client.get("/.well-known/jwks.json").get_json())
    check, credential = vc.verify_vc_jwt(token, keys, DID)
    assert not check.valid and credential is None
    assert check.error == "signing key was declared compromised"
    # A new download carries the new key and verifies.
    assert verified(client, download(client, certificate).get_data(as_text=True))


def test_revoking_a_whole_session_sets_every_bit_at_once(client, issue_certificates, admin_headers):
    """Entries exist from issue on: the published list follows a bulk revocation immediately."""
    import sqlalchemy as sa

    from jxjd.certificates.models import Certificate

    certs = issue_certificates()
    session_id = db.session.scalar(sa.select(Certificate.session_id).limit(1))
    entries = db.session.scalars(sa.select(CredentialStatus)).all()
    assert len(entries) == len(certs)  # allocated at issue, before any download
    list_url = f"/status/{entries[0].list_id}"
    assert not any(vc.bit_is_set(status_bits(client, list_url), e.idx) for e in entries)
    resp = client.post(
        f"/api/v1/sessions/{session_id}/certificates/revoke",
        json={"reason": "乱发证"},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.get_json()
    bits = status_bits(client, list_url)
    assert all(vc.bit_is_set(bits, e.idx) for e in entries)
    assert sum(bin(b).count("1") for b in bits) == len(certs)
