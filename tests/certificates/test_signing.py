"""Certificate signing keys, JWKS publication and token verification."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from jxjd.certificates.signing import (
    ALGORITHM,
    SigningKeys,
    TokenCheck,
    jwks_from_document,
    verify_token,
)
from jxjd.common.crypto import KeyStore
from tests.certificates.support import ACTIVE_KEY_IAT, new_signing_keys


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these tests need no app and no DB."""


PAYLOAD = {
    "sn": "Qm9vay1zZXJpYWwtMDAwMQ",
    "name": "张三",
    "id_masked": "430102********1234",
    "hours": 24,
    "category": "professional",
    "title": "2025年度专业技术人员继续教育培训",
    "base": "湖南省专业技术人员继续教育基地",
    "end_date": "2025-06-30",
    "iat": ACTIVE_KEY_IAT,
}


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def saved_jwks(keys: SigningKeys) -> dict:
    """The JWKS as a verifier would have saved it (through JSON text)."""
    return jwks_from_document(json.loads(json.dumps(keys.jwks())))


def steps(check: TokenCheck) -> dict[str, bool]:
    """The check results by step name."""
    return {c["step"]: c["ok"] for c in check.checks}


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    """Signing keys over a fresh key store."""
    return new_signing_keys(tmp_path / "keys")


def test_token_verifies_with_only_the_jwks(keys: SigningKeys) -> None:
    active = keys.active()
    token = active.sign(PAYLOAD)
    header = json.loads(unb64url(token.split(".")[0]))
    assert header == {"alg": "EdDSA", "kid": active.kid}
    assert unb64url(token.split(".")[1]) == json.dumps(
        PAYLOAD, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")

    result = verify_token(token, saved_jwks(keys))
    assert result.checks == [
        {"step": "well_formed", "ok": True},
        {"step": "key_known", "ok": True},
        {"step": "signature", "ok": True},
        {"step": "key_window", "ok": True},
    ]
    assert result.payload == PAYLOAD
    assert result.kid == active.kid
    assert result.error is None
    assert result.valid


def test_tampered_payload_fails_signature(keys: SigningKeys) -> None:
    token = keys.active().sign(PAYLOAD)
    header, body, signature = token.split(".")
    text = unb64url(body).decode("utf-8")
    assert '"hours":24' in text
    forged = b64url(text.replace('"hours":24', '"hours":94').encode("utf-8"))
    result = verify_token(f"{header}.{forged}.{signature}", saved_jwks(keys))
    assert steps(result) == {"well_formed": True, "key_known": True, "signature": False}
    assert result.payload is None
    assert result.error
    assert not result.valid


def test_tampered_signature_fails(keys: SigningKeys) -> None:
    token = keys.active().sign(PAYLOAD)
    head, sig = token.rsplit(".", 1)
    raw = bytearray(unb64url(sig))
    raw[0] ^= 1
    result = verify_token(f"{head}.{b64url(bytes(raw))}", saved_jwks(keys))
    assert steps(result)["signature"] is False
    assert result.payload is None


def test_unknown_kid(keys: SigningKeys) -> None:
    keys.active()
    known = saved_jwks(keys)
    assert known
    stranger = Ed25519PrivateKey.generate()
    token = jwt.encode(PAYLOAD, stranger, algorithm="EdDSA", headers={"kid": "k20250101deadbeef"})
    result = verify_token(token, known)
    assert result.checks == [
        {"step": "well_formed", "ok": True},
        {"step": "key_known", "ok": False},
    ]
    assert result.kid == "k20250101deadbeef"
    assert result.payload is None


def test_key_of_another_issuer_under_a_known_kid(keys: SigningKeys) -> None:
    active = keys.active()
    stranger = Ed25519PrivateKey.generate()
    token = jwt.encode(PAYLOAD, stranger, algorithm="EdDSA", headers={"kid": active.kid})
    result = verify_token(token, saved_jwks(keys))
    assert steps(result) == {"well_formed": True, "key_known": True, "signature": False}
    assert result.payload is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "!!!.###.$$$",
        "eyJhbGciOiJFZERTQSJ9.eyJ.sig",
        b64url(b"[1,2]") + "." + b64url(b"{}") + ".c2ln",
        b64url(b'{"alg":"EdDSA","kid":"k1"}') + "." + b64url(b"[1]") + ".c2ln",
        b64url(b'{"alg":"EdDSA"}') + "." + b64url(b"{}") + ".c2ln",
        "x" * 10000,
    ],
)
def test_garbage_is_not_well_formed(keys: SigningKeys, token: str) -> None:
    result = verify_token(token, saved_jwks(keys))
    assert result.checks == [{"step": "well_formed", "ok": False}]
    assert result.payload is None
    assert result.error


def test_alg_none_and_hs256_are_refused(keys: SigningKeys) -> None:
    kid = keys.active().kid
    known = saved_jwks(keys)
    body = b64url(json.dumps(PAYLOAD).encode())
    none_header = b64url(json.dumps({"alg": "none", "kid": kid}).encode())
    for token in (f"{none_header}.{body}.", f"{none_header}.{body}.c2ln"):
        result = verify_token(token, known)
        assert steps(result)["well_formed"] is False
        assert result.payload is None

    # HS256 "signed" with the public key bytes (the classic key-confusion attack)
    public_x = keys.jwks()["keys"][0]["x"]
    hs = jwt.encode(PAYLOAD, unb64url(public_x) * 2, algorithm="HS256", headers={"kid": kid})
    result = verify_token(hs, known)
    assert result.checks == [{"step": "well_formed", "ok": False}]
    assert "HS256" in (result.error or "")
    assert result.payload is None

    # EdDSA claimed in the header but the b64/crit extension smuggled in
    odd = b64url(json.dumps({"alg": "EdDSA", "kid": kid, "crit": ["b64"], "b64": False}).encode())
    result = verify_token(f"{odd}..c2ln", known)
    assert steps(result)["well_formed"] is False


def test_rotation(tmp_path: Path) -> None:
    keys = new_signing_keys(tmp_path / "keys")
    first = keys.active()
    token1 = first.sign({**PAYLOAD, "iat": int(time.time())})  # before the rotation

    rotated = keys.rotate()
    second = keys.active()
    assert second.kid == rotated.kid != first.kid
    token2 = second.sign({**PAYLOAD, "sn": "c2Vjb25kLXNlcmlhbC0wMDI"})

    published = keys.jwks()
    assert {k["kid"] for k in published["keys"]} == {first.kid, second.kid}
    for jwk in published["keys"]:
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
        assert jwk["alg"] == ALGORITHM and jwk["use"] == "sig"
    old, new = published["keys"]
    assert set(old) == {"kty", "crv", "x", "kid", "alg", "use", "nbf", "exp"}
    assert set(new) == {"kty", "crv", "x", "kid", "alg", "use", "nbf"}  # active: no end yet
    assert old["nbf"] <= old["exp"] <= new["nbf"] + 1

    known = saved_jwks(keys)
    assert verify_token(token1, known).valid
    assert verify_token(token2, known).valid
    assert verify_token(token1, known).kid == first.kid

    infos = {info.kid: info for info in keys.list()}
    assert infos[first.kid].retired_at is not None
    assert infos[first.kid].retired_at >= infos[first.kid].created_at
    assert infos[second.kid].retired_at is None
    assert [info.kid for info in keys.list()] == [first.kid, second.kid]
    assert keys.public_key(first.kid) is not None

    # a second process over the same directory sees the same state
    again = new_signing_keys(tmp_path / "keys")
    assert again.active().kid == second.kid
    assert again.list() == keys.list()
    assert again.jwks() == published
    assert again.active().sign(PAYLOAD) == second.sign(PAYLOAD)  # Ed25519 is deterministic

    third = again.rotate()
    assert keys.active().kid == third.kid
    assert len(keys.jwks()["keys"]) == 3
    assert sum(info.retired_at is None for info in keys.list()) == 1


def test_first_key_created_once(tmp_path: Path) -> None:
    a = new_signing_keys(tmp_path / "keys")
    b = new_signing_keys(tmp_path / "keys")
    assert a.active().kid == b.active().kid
    assert len(a.list()) == 1
    kid = a.active().kid
    assert len(kid) <= 32
    assert kid.replace("-", "").replace("_", "").isalnum()


def _race_active(directory: str, barrier: Any, results: Any) -> None:
    """Child process: wait for the others, then initialise the key store and take its key."""
    store = KeyStore(directory)
    barrier.wait()
    store.create_missing()
    results.put(SigningKeys(store).ensure_active().kid)


def test_concurrent_first_use_creates_one_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    directory = str(tmp_path / "keys")
    workers = [
        ctx.Process(target=_race_active, args=(directory, barrier, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    kids = {results.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert len(kids) == 1
    assert [info.kid for info in new_signing_keys(directory).list()] == list(kids)


def test_public_key_lookup(keys: SigningKeys) -> None:
    kid = keys.active().kid
    assert keys.public_key(kid) is not None
    assert keys.public_key("k20000101ffffffff") is None
    assert keys.public_key("../../etc/passwd") is None
    assert set(keys.public_keys()) == {kid}


def test_private_key_never_in_plaintext(tmp_path: Path) -> None:
    keys = new_signing_keys(tmp_path / "keys")
    keys.active()
    keys.rotate()
    directory = tmp_path / "keys" / "signing"
    files = sorted(directory.glob("*.json"))
    assert len(files) == 2
    for info in keys.list():
        private = keys._private_key(info.kid)  # the unwrapped key, to search for
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        forms = [
            raw,
            b64url(raw).encode(),
            base64.b64encode(raw),
            base64.urlsafe_b64encode(raw),
            raw.hex().encode(),
            pem,
        ]
        for path in files:
            content = path.read_bytes()
            for form in forms:
                assert form not in content, path
        path = directory / f"{info.kid}.json"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        record = json.loads(path.read_text())
        assert "d" not in record


def test_wrong_wrap_key_cannot_unwrap(tmp_path: Path) -> None:
    keys = new_signing_keys(tmp_path / "keys")
    kid = keys.active().kid
    (tmp_path / "keys" / "signing-wrap.key").write_bytes(base64.b64encode(os.urandom(32)))
    with pytest.raises(ValueError):
        new_signing_keys(tmp_path / "keys")._private_key(kid)


def test_jwks_from_document_ignores_other_keys() -> None:
    private = Ed25519PrivateKey.generate()
    x = jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)["x"]
    doc = {
        "keys": [
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            {"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": "AAAA"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"},
            {"kty": "OKP", "crv": "Ed25519", "x": x},
            "not a dict",
            {"kty": "OKP", "crv": "Ed25519", "kid": "good", "x": x, "alg": "EdDSA", "use": "sig"},
        ]
    }
    assert set(jwks_from_document(doc)) == {"good"}
    with pytest.raises(ValueError):
        jwks_from_document({"not": "a jwks"})


def test_sign_is_fast(keys: SigningKeys) -> None:
    import time

    active = keys.active()
    start = time.perf_counter()
    for _ in range(1000):
        active.sign(PAYLOAD)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "payload",
    [
        PAYLOAD,
        {**PAYLOAD, "name": "欧阳·娜仁花", "title": "“引号” \\ 反斜杠 / 斜杠 \t", "hours": 1.5},
        {"sn": "x", "emoji": "🀄", "nested": {"b": [1, 2.5, None, True]}, "iat": ACTIVE_KEY_IAT},
    ],
)
def test_direct_ed25519_signing_is_byte_identical_to_pyjwt(
    keys: SigningKeys, payload: dict[str, Any]
) -> None:
    """The fast path signs exactly the bytes PyJWS would: same header, payload and signature."""
    from jxjd.certificates.signing import _JWS

    active = keys.active()
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    through_pyjwt = _JWS.encode(
        body, active.private_key, algorithm=ALGORITHM, headers={"kid": active.kid, "typ": None}
    )
    token = active.sign(payload)
    assert token == through_pyjwt
    assert json.loads(unb64url(token.split(".")[0])) == {"alg": ALGORITHM, "kid": active.kid}
    assert verify_token(token, saved_jwks(keys)).valid
