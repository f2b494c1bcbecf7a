"""GET /api/v1/verify: every result, the checks that ran, the serial path, no full ID number."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jxjd.certificates.services import signing_keys
from jxjd.certificates.signing import ActiveKey
from jxjd.common.time import local_today
from tests.conftest import assert_problem
from tests.verify.support import FULL_IDS, PEOPLE, b64, unb64, with_payload

TOKEN_STEPS = ["well_formed", "key_known", "signature", "key_window", "payload_matches", "status"]


def verify(client, **params):
    resp = client.get("/api/v1/verify", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    text = resp.get_data(as_text=True)
    for full in FULL_IDS:
        assert full not in text
    return resp.get_json()


def steps(body) -> list[tuple[str, bool]]:
    return [(c["step"], c["ok"]) for c in body["checks"]]


def assert_invalid(body, code: str) -> None:
    assert body["result"] == "invalid"
    assert body["certificate"] is None
    assert body["reason_code"] == code
    assert body["reason"]


# ---- valid ---------------------------------------------------------------------------------


def test_scanned_token_of_a_real_certificate_is_valid_with_every_signed_field(client, certificate):
    body = verify(client, t=certificate["token"])
    assert body["result"] == "valid"
    assert body["reason"] is None
    assert steps(body) == [(step, True) for step in TOKEN_STEPS]
    cert = body["certificate"]
    assert cert == {
        "serial": certificate["serial"],
        "name": "张三",
        "id_masked": "430104********0015",
        "title": certificate["title"],
        "base": certificate["base"],
        "category": "professional",
        "hours": 24,
        "start_date": "2026-03-01",
        "end_date": "2026-03-03",
        "issued_at": certificate["issued_at"],
        "kid": certificate["kid"],
        "alg": "EdDSA",
        "status": "valid",
        "revoked_at": None,
        "revoked_reason": None,
        "replaced_by": None,
        "replaces": None,
    }
    assert "token" not in cert


def test_response_is_never_cached(client, certificate):
    resp = client.get("/api/v1/verify", query_string={"t": certificate["token"]})
    assert resp.headers["Cache-Control"] == "no-store"


def test_serial_alone_verifies_the_stored_certificate(client, certificate):
    body = verify(client, serial=certificate["serial"])
    assert body["result"] == "valid"
    assert steps(body) == [(step, True) for step in TOKEN_STEPS]
    assert body["certificate"]["name"] == "张三"


def test_serial_and_its_own_token_are_valid(client, certificate):
    body = verify(client, t=certificate["token"], serial=certificate["serial"])
    assert body["result"] == "valid"


def test_surrounding_spaces_are_ignored(client, certificate):
    assert verify(client, t=f"  {certificate['token']} ")["result"] == "valid"
    assert verify(client, serial=f" {certificate['serial']}  ")["result"] == "valid"


# ---- revoked -------------------------------------------------------------------------------


def test_revoked_certificate_shows_reason_and_date(client, certificate):
    resp = client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "学员未参加考核，证书误发"},
        headers=certificate["headers"],
    )
    assert resp.status_code == 200
    for params in ({"t": certificate["token"]}, {"serial": certificate["serial"]}):
        body = verify(client, **params)
        assert body["result"] == "revoked"
        assert body["reason"] == "学员未参加考核，证书误发"
        assert body["reason_code"] == "revoked"
        assert steps(body) == [(s, s != "status") for s in TOKEN_STEPS]
        cert = body["certificate"]
        assert cert["status"] == "revoked"
        assert cert["revoked_at"] == local_today().isoformat()
        assert cert["revoked_reason"] == "学员未参加考核，证书误发"
        assert cert["name"] == "张三"


# ---- invalid -------------------------------------------------------------------------------


def test_tampered_payload_is_invalid_and_nothing_from_it_is_shown(client, certificate):
    forged = with_payload(certificate["token"], lambda p: p.update(hours=96))
    body = verify(client, t=forged)
    assert_invalid(body, "bad_signature")
    assert steps(body) == [("well_formed", True), ("key_known", True), ("signature", False)]


def test_tampered_name_is_invalid_and_the_forged_name_is_not_shown(client, certificate):
    forged = with_payload(certificate["token"], lambda p: p.update(name="王五"))
    resp = client.get("/api/v1/verify", query_string={"t": forged})
    assert_invalid(resp.get_json(), "bad_signature")
    assert "王五" not in resp.get_data(as_text=True)
    assert "张三" not in resp.get_data(as_text=True)


def test_one_flipped_payload_byte_is_invalid(client, certificate):
    header, body, signature = certificate["token"].split(".")
    raw = bytearray(unb64(body))
    raw[len(raw) // 2] ^= 0x01
    result = verify(client, t=f"{header}.{b64(bytes(raw))}.{signature}")
    assert result["result"] == "invalid"
    assert result["certificate"] is None
    assert ("signature", True) not in steps(result)


def test_tampered_signature_is_invalid(client, certificate):
    header, body, signature = certificate["token"].split(".")
    raw = bytearray(unb64(signature))
    raw[10] ^= 0xFF
    result = verify(client, t=f"{header}.{body}.{b64(bytes(raw))}")
    assert_invalid(result, "bad_signature")
    assert steps(result)[-1] == ("signature", False)


def test_unknown_kid_is_invalid(client, certificate):
    header, body, _ = certificate["token"].split(".")
    forger = ActiveKey(kid="kforged0000", private_key=Ed25519PrivateKey.generate())
    forged = forger.sign(json.loads(unb64(body)))
    result = verify(client, t=forged)
    assert_invalid(result, "unknown_key")
    assert steps(result) == [("well_formed", True), ("key_known", False)]


def test_other_key_under_a_known_kid_is_invalid(client, certificate):
    _, body, _ = certificate["token"].split(".")
    forger = ActiveKey(kid=certificate["kid"], private_key=Ed25519PrivateKey.generate())
    result = verify(client, t=forger.sign(json.loads(unb64(body))))
    assert_invalid(result, "bad_signature")


@pytest.mark.parametrize(
    "garbage",
    ["garbage", "a.b.c", "%%%.%%%.%%%", "eyJ.eyJ.", "x" * 7900, "a.b.c.d"],
)
def test_garbage_is_invalid(client, garbage):
    result = verify(client, t=garbage)
    assert_invalid(result, "malformed_token")
    assert steps(result) == [("well_formed", False)]


def test_a_token_longer_than_any_url_allows_is_invalid_or_414(client):
    from jxjd.verify.services import verify_certificate

    # Through HTTP such a token makes the request line too long (CONTRACT §11: 414 problem+json);
    # the verifier refuses it on its own as well.
    assert_problem(client.get("/api/v1/verify", query_string={"t": "x" * 9000}), 414)
    assert verify_certificate(token="x" * 9000).reason_code == "malformed_token"


def test_alg_none_is_invalid(client, certificate):
    _, body, signature = certificate["token"].split(".")
    none_header = b64(json.dumps({"alg": "none", "kid": certificate["kid"]}).encode())
    for forged in (f"{none_header}.{body}.", f"{none_header}.{body}.{signature}"):
        result = verify(client, t=forged)
        assert_invalid(result, "malformed_token")


def test_hs256_with_the_public_key_as_secret_is_invalid(client, certificate):
    import hashlib
    import hmac

    jwks = client.get("/.well-known/jwks.json").get_json()
    x = next(k["x"] for k in jwks["keys"] if k["kid"] == certificate["kid"])
    _, body, _ = certificate["token"].split(".")
    header = b64(json.dumps({"alg": "HS256", "kid": certificate["kid"]}).encode())
    mac = hmac.new(x.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert_invalid(verify(client, t=f"{header}.{body}.{b64(mac)}"), "malformed_token")


def test_genuinely_signed_payload_that_differs_from_the_register_is_invalid(client, certificate):
    # e.g. a leaked signing key: the signature holds, but the register says otherwise.
    _, body, _ = certificate["token"].split(".")
    payload = {**json.loads(unb64(body)), "hours": 90}
    result = verify(client, t=signing_keys().active().sign(payload))
    assert_invalid(result, "payload_mismatch")
    assert steps(result)[-1] == ("payload_matches", False)


def test_serial_that_does_not_match_the_token_is_invalid(client, issue_certificates):
    first, second = issue_certificates()
    result = verify(client, t=first["token"], serial=second["serial"])
    assert_invalid(result, "serial_mismatch")
    assert steps(result)[-1] == ("payload_matches", False)


# ---- not found -----------------------------------------------------------------------------


@pytest.mark.parametrize("serial", ["AAAAAAAAAAAAAAAAAAAAAA", "no such serial!", "x" * 200])
def test_unknown_serial_is_not_found(client, certificate, serial):
    result = verify(client, serial=serial)
    assert result["result"] == "not_found"
    assert result["certificate"] is None
    assert result["reason_code"] == "unknown_serial"
    assert result["checks"] == []


def test_valid_token_for_a_serial_not_in_the_register_is_not_found(client, certificate):
    _, body, _ = certificate["token"].split(".")
    payload = {**json.loads(unb64(body)), "sn": "NotInTheRegister000000"}
    result = verify(client, t=signing_keys().active().sign(payload))
    assert result["result"] == "not_found"
    assert result["certificate"] is None
    assert steps(result) == [
        ("well_formed", True),
        ("key_known", True),
        ("signature", True),
        ("key_window", True),
        ("payload_matches", False),
    ]


# ---- requests, keys, documentation -----------------------------------------------------------


def test_neither_token_nor_serial_is_a_bad_request(client):
    assert_problem(client.get("/api/v1/verify"), 400, "missing_parameter")
    assert_problem(client.get("/api/v1/verify?t=&serial=%20"), 400, "missing_parameter")


def test_certificates_signed_before_a_key_rotation_still_verify(client, issue_certificates):
    old = issue_certificates(PEOPLE[:1])[0]
    assert verify(client, t=old["token"])["result"] == "valid"  # fills the key cache
    signing_keys().rotate()
    new = issue_certificates(PEOPLE[1:])[0]
    assert new["kid"] != old["kid"]
    assert verify(client, t=new["token"])["result"] == "valid"
    assert verify(client, t=old["token"])["result"] == "valid"


def test_verify_is_documented_as_public(app):
    import warnings

    from jxjd.openapi import build_spec

    # Built directly: schema-name clashes elsewhere in the API only warn, and are not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        spec = build_spec(app)
    op = spec["paths"]["/api/v1/verify"]["get"]
    assert "security" not in op
    assert {p["name"] for p in op["parameters"]} == {"t", "serial"}
    assert "429" in op["responses"]


def test_fast_dump_equals_the_documented_schema(client, issue_certificates):
    from jxjd.verify.schemas import VerificationSchema, dump_verification
    from jxjd.verify.services import verify_certificate

    good, revoked = issue_certificates()
    client.post(
        f"/api/v1/certificates/{revoked['serial']}/revoke",
        json={"reason": "测试"},
        headers=revoked["headers"],
    )
    for outcome in (
        verify_certificate(token=good["token"]),
        verify_certificate(serial=revoked["serial"]),
        verify_certificate(token="garbage"),
        verify_certificate(serial="AAAAAAAAAAAAAAAAAAAAAA"),
    ):
        assert dump_verification(outcome) == VerificationSchema().dump(outcome)


def test_repeated_lookups_give_the_same_answer_and_fresh_status(client, certificate):
    first = verify(client, t=certificate["token"])
    first["checks"].append({"step": "mutated", "ok": False})  # a client-side copy only
    again = verify(client, t=certificate["token"])
    assert again["result"] == "valid"
    assert steps(again) == [(step, True) for step in TOKEN_STEPS]
    client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "重复扫码后撤销"},
        headers=certificate["headers"],
    )
    assert verify(client, t=certificate["token"])["result"] == "revoked"


@pytest.mark.parametrize("size", [0, 1])
def test_verified_token_cache_can_be_small_or_off(app, client, issue_certificates, size):
    saved = app.config.get("JXJD_VERIFY_CACHE_SIZE")
    app.config["JXJD_VERIFY_CACHE_SIZE"] = size
    try:
        first, second = issue_certificates()
        for cert in (first, second, first, second):
            assert verify(client, t=cert["token"])["result"] == "valid"
        forged = with_payload(first["token"], lambda p: p.update(hours=96))
        assert_invalid(verify(client, t=forged), "bad_signature")
    finally:
        if saved is None:
            app.config.pop("JXJD_VERIFY_CACHE_SIZE")
        else:
            app.config["JXJD_VERIFY_CACHE_SIZE"] = saved
