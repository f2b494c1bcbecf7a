"""Key windows (CONTRACT §13): a token counts only if its `iat` lies within its key's [nbf, exp]."""

from __future__ import annotations

import json
import time

import pytest

from jxjd.certificates.services import signing_keys
from jxjd.certificates.signing import (
    KEY_WINDOW_LEEWAY,
    ActiveKey,
    VerificationKey,
    jwks_from_document,
    key_window_problem,
    verify_token,
)
from tests.verify.support import unb64

DAY = 86400


def _payload(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


def _retired_key_signer(kid: str) -> ActiveKey:
    """What a thief of a retired key's private half could sign with."""
    keys = signing_keys()
    return ActiveKey(kid=kid, private_key=keys._private_key(kid))


def _rotate(app) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    return result.output.strip().split()[-1]


def test_every_published_key_has_nbf_and_a_retired_one_exp(app, client):
    first = signing_keys().active().kid
    second = _rotate(app)
    keys = {k["kid"]: k for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert isinstance(keys[first]["nbf"], int) and isinstance(keys[first]["exp"], int)
    assert keys[first]["nbf"] <= keys[first]["exp"] <= int(time.time())
    assert "exp" not in keys[second]  # the active key's window has no end yet
    assert keys[second]["nbf"] >= keys[first]["exp"] - 1
    assert "compromised" not in keys[first]


def test_a_retired_key_cannot_sign_after_its_retirement(app, client, certificates):
    cert = certificates()[0]
    _rotate(app)
    retired = cert["kid"]
    later = int(time.time()) + KEY_WINDOW_LEEWAY + DAY
    forged = _retired_key_signer(retired).sign({**_payload(cert["token"]), "iat": later})

    body = client.get("/api/v1/verify", query_string={"t": forged}).get_json()
    assert body["result"] == "invalid"
    assert body["reason_code"] == "outside_key_window"
    assert body["reason"]
    assert {"step": "key_window", "ok": False} in body["checks"]
    assert body["certificate"] is None

    # The same key's genuine, earlier token still verifies after the rotation.
    body = client.get("/api/v1/verify", query_string={"t": cert["token"]}).get_json()
    assert body["result"] == "valid"
    assert {"step": "key_window", "ok": True} in body["checks"]


def test_a_forged_certificate_of_a_retired_key_is_invalid_not_merely_unknown(
    app, client, certificates
):
    cert = certificates()[0]
    _rotate(app)
    later = int(time.time()) + 30 * DAY
    payload = {**_payload(cert["token"]), "sn": "ForgedSerial0000000000", "iat": later}
    forged = _retired_key_signer(cert["kid"]).sign(payload)
    body = client.get("/api/v1/verify", query_string={"t": forged}).get_json()
    assert body["result"] == "invalid"  # before key windows: "not_found" after a valid signature


def test_a_token_claiming_an_issue_time_before_its_key_existed_is_invalid(client, certificates):
    cert = certificates()[0]
    earlier = _payload(cert["token"])["iat"] - 365 * DAY
    forged = signing_keys().active().sign({**_payload(cert["token"]), "iat": earlier})
    body = client.get("/api/v1/verify", query_string={"t": forged}).get_json()
    assert body["result"] == "invalid"
    assert body["reason_code"] == "outside_key_window"


def test_the_verify_page_shows_the_key_window_step(app, client, certificates):
    cert = certificates()[0]
    _rotate(app)
    later = int(time.time()) + DAY
    forged = _retired_key_signer(cert["kid"]).sign({**_payload(cert["token"]), "iat": later})
    html = client.get(f"/v/{cert['serial']}", query_string={"t": forged}).get_data(as_text=True)
    assert "证书无效" in html and "密钥有效期" in html


@pytest.mark.parametrize(
    ("iat", "nbf", "exp", "compromised", "ok"),
    [
        (1000, 1000, None, False, True),
        (1000 - KEY_WINDOW_LEEWAY, 1000, None, False, True),  # clock skew tolerated
        (1000 - KEY_WINDOW_LEEWAY - 1, 1000, None, False, False),
        (5000, 1000, 5000, False, True),
        (5000 + KEY_WINDOW_LEEWAY, 1000, 5000, False, True),
        (5000 + KEY_WINDOW_LEEWAY + 1, 1000, 5000, False, False),
        (10**12, 1000, None, False, True),  # an active key: no end yet
        (3000, 1000, 5000, True, False),  # compromised: nothing under it counts
        (3000, None, None, False, True),  # an old JWKS without windows: no bound to apply
        ("3000", 1000, None, False, False),
        (True, 1000, None, False, False),
        (None, 1000, None, False, False),
    ],
)
def test_the_window_rule(iat, nbf, exp, compromised, ok):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = VerificationKey(Ed25519PrivateKey.generate().public_key(), nbf, exp, compromised)
    assert (key_window_problem(iat, key) is None) is ok


def test_jwks_windows_survive_a_saved_document_and_malformed_ones_drop_the_key(app):
    _rotate(app)
    doc = json.loads(json.dumps(signing_keys().jwks()))
    keys = jwks_from_document(doc)
    for entry in doc["keys"]:
        assert keys[entry["kid"]].nbf == entry["nbf"]
        assert keys[entry["kid"]].exp == entry.get("exp")
    doc["keys"][0]["exp"] = "soon"
    doc["keys"][1]["compromised"] = "yes"
    keys = jwks_from_document(doc)
    assert doc["keys"][0]["kid"] not in keys  # never guess a window
    assert keys[doc["keys"][1]["kid"]].compromised


def test_server_and_offline_rule_are_one_function(app, certificates):
    """The server's verdicts come from verify_token over the published windows."""
    from jxjd.verify.services import public_keys

    cert = certificates()[0]
    _rotate(app)
    forged = _retired_key_signer(cert["kid"]).sign(
        {**_payload(cert["token"]), "iat": int(time.time()) + DAY}
    )
    saved = jwks_from_document(json.loads(json.dumps(signing_keys().jwks())))
    for token in (cert["token"], forged):
        assert verify_token(token, saved).checks == verify_token(token, public_keys()).checks
