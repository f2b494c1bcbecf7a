"""`flask keys compromise KID`: every token under the key is invalid; its certificates re-signed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.audit.services import verify_chain
from jxjd.certificates.models import Certificate
from jxjd.certificates.services import signing_keys
from jxjd.extensions import db
from tests.verify.support import PEOPLE, unb64

ROOT = Path(__file__).resolve().parents[2]
THREE = PEOPLE + [{"name": "赵六", "id_number": "430104199003070058"}]


def _payload(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


def _verify(client, **params) -> dict:
    resp = client.get("/api/v1/verify", query_string=params)
    assert resp.status_code == 200
    return resp.get_json()


def _compromise(app, kid: str, *extra: str):
    return app.test_cli_runner().invoke(args=["keys", "compromise", kid, "--yes", *extra])


def _offline(jwks: dict, token: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / "jwks.json"
    saved.write_text(json.dumps(jwks), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_offline.py"), "--jwks", saved, token],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_compromise_invalidates_the_key_and_resigns_its_certificates(
    app, client, certificates, tmp_path
):
    certs = certificates(THREE)
    kid = certs[0]["kid"]
    revoked = certs[2]
    resp = client.post(
        f"/api/v1/certificates/{revoked['serial']}/revoke",
        json={"reason": "重复发证"},
        headers=revoked["headers"],
    )
    assert resp.status_code == 200, resp.get_json()
    qr = client.get(
        f"/api/v1/certificates/{certs[0]['serial']}/qr.png", headers=certs[0]["headers"]
    )
    cache = Path(app.config["JXJD_QR_CACHE_DIR"])
    stale = [p for p in cache.iterdir() if p.name.startswith(certs[0]["serial"] + "-")]
    assert len(stale) == 1

    result = _compromise(app, kid, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert f"{kid} marked compromised" in result.output
    assert "re-signed 2/3 certificates" in result.output
    assert "re-signed 3/3 certificates" in result.output

    # Published as compromised; every token under it is invalid, online and offline.
    jwks = client.get("/.well-known/jwks.json").get_json()
    entry = next(k for k in jwks["keys"] if k["kid"] == kid)
    assert entry["compromised"] is True and "exp" in entry
    for cert in certs:
        body = _verify(client, t=cert["token"])
        assert body["result"] == "invalid"
        assert body["reason_code"] == "key_compromised"
        assert {"step": "key_window", "ok": False} in body["checks"]
    offline = _offline(jwks, certs[0]["token"], tmp_path)
    assert offline.returncode == 1, offline.stdout
    assert "compromised" in offline.stdout

    # Same serials, new tokens under the new key, the same statements.
    active = signing_keys().active().kid
    assert active != kid
    for cert in certs:
        fresh = client.get(f"/api/v1/certificates/{cert['serial']}", headers=cert["headers"])
        fresh = fresh.get_json()
        assert fresh["serial"] == cert["serial"] and fresh["kid"] == active
        assert fresh["token"] != cert["token"]
        old, new = _payload(cert["token"]), _payload(fresh["token"])
        assert {k: v for k, v in new.items() if k != "iat"} == {
            k: v for k, v in old.items() if k != "iat"
        }
        expected = "revoked" if cert is revoked else "valid"
        assert _verify(client, t=fresh["token"])["result"] == expected
        assert _verify(client, serial=cert["serial"])["result"] == expected
        if cert is not revoked:
            assert _offline(jwks, fresh["token"], tmp_path).returncode == 0

    # New QR codes: the stale cached image is gone, the new one shows the new token.
    assert not stale[0].exists()
    new_qr = client.get(
        f"/api/v1/certificates/{certs[0]['serial']}/qr.png", headers=certs[0]["headers"]
    )
    assert new_qr.status_code == 200 and new_qr.data != qr.data

    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.target_id == kid).order_by(AuditEvent.id)
        )
    )
    assert actions == ["keys.compromise", "certificate.resign", "certificate.resign"]
    assert verify_chain().reason is None


def test_compromising_the_active_key_hands_over_to_a_new_one(app, client, certificates):
    cert = certificates()[0]
    assert signing_keys().active().kid == cert["kid"]
    result = _compromise(app, cert["kid"])
    assert result.exit_code == 0, result.output
    assert signing_keys().active().kid != cert["kid"]
    listing = app.test_cli_runner().invoke(args=["keys", "list"]).output
    assert f"{cert['kid']}  created" in listing and "COMPROMISED" in listing


def test_running_it_again_finishes_what_is_left(app, client, certificates):
    certs = certificates()
    kid = certs[0]["kid"]
    assert _compromise(app, kid).exit_code == 0
    # As if the first run had stopped half-way: one certificate still under the old key.
    db.session.execute(
        sa.update(Certificate)
        .where(Certificate.serial == certs[0]["serial"])
        .values(kid=kid, token=certs[0]["token"], payload=_payload(certs[0]["token"]))
    )
    db.session.commit()
    result = _compromise(app, kid)
    assert result.exit_code == 0, result.output
    assert "already marked compromised" in result.output
    assert "done: 1 certificates and 0 transcripts re-signed" in result.output
    assert _verify(client, serial=certs[0]["serial"])["result"] == "valid"


def test_an_unknown_key_is_refused(app):
    result = _compromise(app, "k20990101deadbeef")
    assert result.exit_code != 0
    assert "no signing key" in result.output
