"""`keys compromise` across formats: transcripts re-signed; VC, status list and did:web follow."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.audit.services import verify_chain
from jxjd.certificates.services import signing_keys
from jxjd.certificates.signing import jwks_from_document
from jxjd.credentials import vc
from jxjd.credentials.models import CredentialStatus
from jxjd.extensions import db
from jxjd.transcripts.models import Transcript
from tests.keys.test_compromise import _compromise, _offline, _payload, _verify
from tests.verify.support import PEOPLE, YEAR

DID = "did:web:jxjd.example.cn"


def _person_headers(make_headers, person):
    return make_headers("person", name=person["name"], id_number=person["id_number"])


def test_compromise_resigns_transcripts_and_every_format_follows(
    app, client, certificates, make_headers, admin_headers, tmp_path
):
    certs = certificates()
    kid = certs[0]["kid"]
    owner = _person_headers(make_headers, PEOPLE[0])
    issued = []
    for span in ({"from": YEAR, "to": YEAR}, {"from": YEAR - 1, "to": YEAR}):
        resp = client.post("/api/v1/me/transcripts", json=span, headers=owner)
        assert resp.status_code == 201, resp.get_json()
        issued.append(resp.get_json())
    before = {t.serial: t.issued_at for t in db.session.scalars(sa.select(Transcript))}
    revoked = client.post(
        f"/api/v1/certificates/{certs[1]['serial']}/revoke",
        json={"reason": "重复发证"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    credential = client.get(
        f"/api/v1/certificates/{certs[0]['serial']}/credential", headers=certs[0]["headers"]
    ).get_data(as_text=True)

    result = _compromise(app, kid, "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "re-signed 2/2 transcripts" in result.output
    assert "done: 2 certificates and 2 transcripts re-signed" in result.output
    active = signing_keys().active().kid
    assert active != kid
    jwks = client.get("/.well-known/jwks.json").get_json()
    keys = jwks_from_document(jwks)

    for old in issued:
        # The old QR text is invalid, online and offline.
        body = _verify(client, t=old["token"])
        assert body["result"] == "invalid" and body["reason_code"] == "key_compromised"
        assert _offline(jwks, old["url"], tmp_path).returncode == 1
        # Same serial, new token by the active key, the same statement, the same issue time.
        fresh = client.get(f"/api/v1/transcripts/{old['serial']}", headers=owner).get_json()
        assert fresh["kid"] == active and fresh["url"] != old["url"]
        token = fresh["url"].split("?t=", 1)[1]
        new_claims, old_claims = _payload(token), _payload(old["token"])
        assert {k: v for k, v in new_claims.items() if k != "iat"} == {
            k: v for k, v in old_claims.items() if k != "iat"
        }
        stored = db.session.scalar(sa.select(Transcript).where(Transcript.serial == old["serial"]))
        assert stored.issued_at == before[old["serial"]]
        outcome = _verify(client, t=token)
        assert outcome["kind"] == "transcript" and outcome["result"] == "valid"
        assert _verify(client, serial=old["serial"])["result"] == "valid"
        assert _offline(jwks, fresh["url"], tmp_path).returncode == 0

    # The VC credential: the old one is refused, a new download carries the active key.
    check, _ = vc.verify_vc_jwt(credential, keys, DID)
    assert not check.valid
    again = client.get(
        f"/api/v1/certificates/{certs[0]['serial']}/credential", headers=certs[0]["headers"]
    ).get_data(as_text=True)
    check, _ = vc.verify_vc_jwt(again, keys, DID)
    assert check.valid

    # The status list is signed by the active key and still carries the revoked bit.
    entry = db.session.get(
        CredentialStatus,
        db.session.scalar(
            sa.text("SELECT id FROM certificates WHERE serial = :s"), {"s": certs[1]["serial"]}
        ),
    )
    status_token = client.get(f"/status/{entry.list_id}").get_data(as_text=True)
    check, status_list = vc.verify_vc_jwt(status_token, keys, DID)
    assert check.valid
    bits = vc.decode_bitstring(status_list["credentialSubject"]["encodedList"])
    assert vc.bit_is_set(bits, entry.idx)

    # did:web: the compromised key is listed as such and asserts nothing.
    doc = client.get("/.well-known/did.json").get_json(force=True)
    assert f"{DID}#{kid}" not in doc["assertionMethod"]
    assert f"{DID}#{active}" in doc["assertionMethod"]

    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action == "transcript.resign")
        )
    )
    assert actions == ["transcript.resign", "transcript.resign"]
    assert verify_chain().reason is None
