"""SM2 over SM3 (国密): the published test vector, signing keys, JWKS, verification, the setting."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jxjd.certificates import sm2
from jxjd.certificates.signing import (
    SigningKeys,
    VerificationKey,
    jwks_from_document,
    verify_token,
)
from jxjd.common.crypto import KeyStore
from tests.certificates.support import ACTIVE_KEY_IAT
from tests.verify.support import PEOPLE, b64, unb64

# GB/T 32918.5-2017 Annex A / GM/T 0003.5-2012 A.2: the recommended curve, ID 1234567812345678.
KAT_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
KAT_X = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020")
KAT_Y = bytes.fromhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
KAT_MESSAGE = b"message digest"
KAT_SIGNATURE = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
ROOT = Path(__file__).resolve().parents[2]


def test_the_published_private_key_gives_the_published_public_key():
    assert sm2.public_xy(sm2.private_from_raw(KAT_D)) == (KAT_X, KAT_Y)


def test_the_published_signature_verifies_and_a_changed_one_does_not():
    public = sm2.public_from_xy(KAT_X, KAT_Y)
    assert sm2.verify(public, KAT_MESSAGE, KAT_SIGNATURE)
    assert not sm2.verify(public, b"message digesT", KAT_SIGNATURE)
    flipped = KAT_SIGNATURE[:-1] + bytes([KAT_SIGNATURE[-1] ^ 1])
    assert not sm2.verify(public, KAT_MESSAGE, flipped)


def test_signatures_verify_and_are_randomised():
    private = sm2.private_from_raw(KAT_D)
    first, second = sm2.sign(private, KAT_MESSAGE), sm2.sign(private, KAT_MESSAGE)
    assert first != second and len(first) == 64
    public = sm2.public_from_xy(KAT_X, KAT_Y)
    assert sm2.verify(public, KAT_MESSAGE, first) and sm2.verify(public, KAT_MESSAGE, second)


@pytest.mark.parametrize(
    "signature",
    [
        bytes(64),  # r = s = 0
        KAT_SIGNATURE[:32] + sm2.ORDER.to_bytes(32, "big"),  # s = n
        sm2.ORDER.to_bytes(32, "big") + KAT_SIGNATURE[32:],  # r = n
        KAT_SIGNATURE[:63],
        KAT_SIGNATURE + b"\x00",
    ],
)
def test_malformed_signatures_are_refused(signature):
    assert not sm2.verify(sm2.public_from_xy(KAT_X, KAT_Y), KAT_MESSAGE, signature)


def test_a_point_off_the_curve_is_not_a_key():
    with pytest.raises(ValueError):
        sm2.public_from_xy(KAT_X, (int.from_bytes(KAT_Y, "big") + 1).to_bytes(32, "big"))


@pytest.mark.parametrize("raw", [bytes(32), sm2.ORDER.to_bytes(32, "big"), b"\x01" * 31])
def test_out_of_range_private_keys_are_refused(raw):
    with pytest.raises(ValueError):
        sm2.private_from_raw(raw)


def test_setting_accepts_eddsa_and_sm2_only():
    assert sm2.check_setting("EdDSA") == "EdDSA"
    assert sm2.check_setting("SM2") == "SM2SM3"
    for bad in ("sm2", "SM2SM3", "RS256", ""):
        with pytest.raises(ValueError, match="JXJD_SIGNING_ALG"):
            sm2.check_setting(bad)


def test_an_app_with_an_unknown_signing_algorithm_refuses_to_start(tmp_path):
    from jxjd import create_app

    with pytest.raises(ValueError, match="JXJD_SIGNING_ALG"):
        create_app(
            {
                "TESTING_CONFIG": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                "JXJD_KEY_DIR": str(tmp_path / "k"),
                "JXJD_SIGNING_ALG": "RSA",
            }
        )


@pytest.fixture
def sm2_keys(tmp_path) -> SigningKeys:
    store = KeyStore(tmp_path / "keys")
    store.create_missing()
    keys = SigningKeys(store, alg=sm2.ALG)
    keys.ensure_active()
    return keys


def saved_jwks(keys: SigningKeys) -> dict[str, VerificationKey]:
    return jwks_from_document(json.loads(json.dumps(keys.jwks())))


def test_an_sm2_store_publishes_ec_sm2_keys_and_its_tokens_verify(sm2_keys):
    active = sm2_keys.active()
    assert active.alg == "SM2SM3"
    (jwk,) = sm2_keys.jwks()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "SM2", "SM2SM3", "sig")
    assert len(unb64(jwk["x"])) == 32 and len(unb64(jwk["y"])) == 32 and "d" not in jwk

    token = active.sign({"sn": "X", "hours": 24, "iat": ACTIVE_KEY_IAT})
    header = json.loads(unb64(token.split(".")[0]))
    assert header == {"alg": "SM2SM3", "kid": active.kid}
    result = verify_token(token, saved_jwks(sm2_keys))
    assert result.valid and result.payload["hours"] == 24
    assert verify_token(token, sm2_keys.public_keys()).valid

    head, body, signature = token.split(".")
    forged = b64(json.dumps({"sn": "X", "hours": 240, "iat": ACTIVE_KEY_IAT}).encode())
    assert not verify_token(f"{head}.{forged}.{signature}", saved_jwks(sm2_keys)).valid


def test_a_token_naming_another_algorithm_than_its_key_is_refused(sm2_keys):
    kid = sm2_keys.active().kid
    token = sm2_keys.active().sign({"sn": "X", "iat": ACTIVE_KEY_IAT})
    _, body, signature = token.split(".")
    relabelled = b64(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    result = verify_token(f"{relabelled}.{body}.{signature}", saved_jwks(sm2_keys))
    assert not result.valid
    assert {"step": "signature", "ok": False} in result.checks


def test_openssl_verifies_the_jws_signature_independently(sm2_keys, tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command")
    token = sm2_keys.active().sign({"sn": "X", "iat": ACTIVE_KEY_IAT})
    head, body, signature = token.split(".")
    (jwk,) = sm2_keys.jwks()["keys"]
    # SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301.
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
    (tmp_path / "pub.der").write_bytes(spki + unb64(jwk["x"]) + unb64(jwk["y"]))
    (tmp_path / "input").write_bytes(f"{head}.{body}".encode())
    (tmp_path / "sig").write_bytes(sm2.raw_to_der(unb64(signature)))
    command = [
        openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.der"),
        "-keyform", "DER", "-rawin", "-digest", "sm3", "-in", str(tmp_path / "input"),
        "-sigfile", str(tmp_path / "sig"), "-pkeyopt", "distid:1234567812345678",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if "distid" in done.stderr and done.returncode != 0 and "Verif" not in done.stdout:
        pytest.skip(f"this openssl has no SM2: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "input").write_bytes(f"{head}.{body}x".encode())
    assert subprocess.run(command, capture_output=True, timeout=30).returncode != 0


def test_the_offline_script_verifies_sm2_tokens(sm2_keys, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(sm2_keys.jwks()), encoding="utf-8")
    token = sm2_keys.active().sign({"sn": "AbCdEfGhIjKlMnOpQrStUv", "iat": ACTIVE_KEY_IAT})
    url = f"https://jxjd.example.cn/v/AbCdEfGhIjKlMnOpQrStUv?t={token}"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_offline.py"), "--jwks", str(jwks), url],
        capture_output=True, text=True, encoding="utf-8", timeout=60, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "证书有效" in done.stdout


# ---- a deployment that switches to SM2 --------------------------------------------------------


@pytest.fixture
def sm2_deployment(app):
    """The session app with JXJD_SIGNING_ALG=SM2 and a rotated (SM2) key; restored afterwards."""
    signing_dir = Path(app.config["JXJD_KEY_DIR"]) / "signing"
    saved = signing_dir.parent / "signing.saved"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(signing_dir, saved)
    app.config["JXJD_SIGNING_ALG"] = "SM2"
    try:
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        yield app
    finally:
        app.config["JXJD_SIGNING_ALG"] = "EdDSA"
        shutil.rmtree(signing_dir)
        shutil.move(saved, signing_dir)
        os.utime(signing_dir)  # the verifier's key cache is stamped with the folder's mtime


def test_new_certificates_are_signed_with_sm2_and_verify_online_and_as_credentials(
    sm2_deployment, client, create_base, create_filed_plan, base_headers
):
    from jxjd.credentials import vc
    from tests.verify.support import YEAR, issue_via_api

    base = create_base()
    plan = create_filed_plan(base, year=YEAR)
    (cert,) = issue_via_api(client, base, base_headers(base), plan, PEOPLE[:1])
    assert cert["alg"] == "SM2SM3"
    body = client.get("/api/v1/verify", query_string={"t": cert["token"]}).get_json()
    assert body["result"] == "valid", body
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert {(k["kty"], k["alg"]) for k in jwks["keys"]} >= {("EC", "SM2SM3"), ("OKP", "EdDSA")}

    resp = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=cert["headers"])
    assert resp.status_code == 200
    token = resp.get_data(as_text=True)
    assert json.loads(unb64(token.split(".")[0]))["alg"] == "SM2SM3"
    check, credential = vc.verify_vc_jwt(token, jwks_from_document(jwks), "did:web:jxjd.example.cn")
    assert check.valid and credential["credentialSubject"]["creditsEarned"] == cert["hours"]
