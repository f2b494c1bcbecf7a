"""SM2 signatures over SM3 (国密, GB/T 32918.2 / GM/T 0003.2) for certificate tokens.

The arithmetic is Tongsuo's (the OpenAtom Foundation's OpenSSL fork for the Chinese algorithms,
through its Python SDK `tongsuopy`), chosen by measurement over the pure-Python `gmssl`,
`snowland-smx` and `gmalg` (20–50 ms per operation, not constant-time; `gmssl` even draws its
nonces from `random`): see scripts/bench_credentials.py and the README.

JOSE has no registered identifiers for SM2, so these are this service's own (documented in the
README; a verifier must know them):
- JWS `alg`: "SM2SM3" — SM2 signature of SM3(Z_A ‖ message), with the default distinguishing
  identifier "1234567812345678" (GM/T 0009) in Z_A; the signature is r ‖ s, 32 bytes each,
  big-endian (as ES256 encodes ECDSA), not DER.
- JWK: `{"kty": "EC", "crv": "SM2", "x", "y"}`, the affine coordinates as 32-byte base64url.

Importing this module needs no SM2 library; `tongsuopy` is imported on first use, so the offline
verifier still checks Ed25519 tokens where it is not installed.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from jwt.algorithms import Algorithm

ALG = "SM2SM3"
KTY = "EC"
CRV = "SM2"
SETTING = "SM2"  # the JXJD_SIGNING_ALG value that selects this algorithm
DEFAULT_ID = b"1234567812345678"
# The order n of the SM2 curve's base point (GB/T 32918.5).
ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
COORDINATE_BYTES = 32


class SM2Unavailable(RuntimeError):
    """No SM2 implementation is installed."""


@functools.cache
def _lib() -> tuple[Any, Any, Any]:
    """(ec, hashes, InvalidSignature) of tongsuopy; SM2Unavailable when it is not installed."""
    try:
        from tongsuopy.crypto import hashes
        from tongsuopy.crypto.asymciphers import ec
        from tongsuopy.crypto.exceptions import InvalidSignature
    except ImportError as exc:  # pragma: no cover - tongsuopy is a pinned requirement
        raise SM2Unavailable(
            "SM2 signing needs the tongsuopy package (pip install -r requirements.txt)"
        ) from exc
    return ec, hashes, InvalidSignature


def available() -> bool:
    """Whether SM2 signatures can be made and checked here."""
    try:
        _lib()
    except SM2Unavailable:
        return False
    return True


def is_private_key(key: Any) -> bool:
    """Whether `key` is an SM2 private key object."""
    if not available():
        return False
    ec = _lib()[0]
    return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SM2)


def is_public_key(key: Any) -> bool:
    """Whether `key` is an SM2 public key object."""
    if not available():
        return False
    ec = _lib()[0]
    return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SM2)


def generate_private_key() -> Any:
    """A new SM2 private key."""
    ec = _lib()[0]
    return ec.generate_private_key(ec.SM2())


def private_from_raw(raw: bytes) -> Any:
    """The private key with scalar `raw` (32 bytes, big-endian); ValueError when out of range."""
    value = int.from_bytes(raw, "big")
    if len(raw) != COORDINATE_BYTES or not 1 <= value < ORDER - 1:
        raise ValueError("not an SM2 private key")
    ec = _lib()[0]
    return ec.derive_private_key(value, ec.SM2())


def private_raw(key: Any) -> bytes:
    """The private scalar as 32 bytes, big-endian."""
    return key.private_numbers().private_value.to_bytes(COORDINATE_BYTES, "big")


def public_xy(key: Any) -> tuple[bytes, bytes]:
    """The public point's affine coordinates (32 bytes each) of a public or private key."""
    public = key.public_key() if is_private_key(key) else key
    numbers = public.public_numbers()
    return (
        numbers.x.to_bytes(COORDINATE_BYTES, "big"),
        numbers.y.to_bytes(COORDINATE_BYTES, "big"),
    )


def public_from_xy(x: bytes, y: bytes) -> Any:
    """The public key at (x, y); ValueError unless it is a point of the SM2 curve."""
    if len(x) != COORDINATE_BYTES or len(y) != COORDINATE_BYTES:
        raise ValueError("SM2 coordinates are 32 bytes each")
    ec = _lib()[0]
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SM2()
    )
    return numbers.public_key()  # Tongsuo refuses points off the curve


def _der_integer(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
    return b"\x02" + bytes([len(body)]) + body


def raw_to_der(signature: bytes) -> bytes:
    """r ‖ s (64 bytes) as the DER SEQUENCE Tongsuo takes; ValueError when r or s is out of range."""
    if len(signature) != 2 * COORDINATE_BYTES:
        raise ValueError("an SM2 signature is 64 bytes")
    r = int.from_bytes(signature[:COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[COORDINATE_BYTES:], "big")
    if not (1 <= r < ORDER and 1 <= s < ORDER):  # GB/T 32918.2 §7.1 B1, B2
        raise ValueError("SM2 signature values out of range")
    body = _der_integer(r) + _der_integer(s)
    return b"\x30" + bytes([len(body)]) + body


def der_to_raw(der: bytes) -> bytes:
    """A DER SEQUENCE { r, s } (as Tongsuo returns it) as r ‖ s, 32 bytes each."""
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER SM2 signature")
    out, i = [], 2
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER SM2 signature")
        length = der[i + 1]
        out.append(int.from_bytes(der[i + 2 : i + 2 + length], "big"))
        i += 2 + length
    if i != len(der):
        raise ValueError("not a DER SM2 signature")
    return b"".join(v.to_bytes(COORDINATE_BYTES, "big") for v in out)


def sign(key: Any, message: bytes) -> bytes:
    """SM2 signature (r ‖ s) of SM3(Z_A ‖ message) with the default identifier."""
    ec, hashes, _ = _lib()
    return der_to_raw(key.sign(message, ec.ECDSA(hashes.SM3())))


def verify(key: Any, message: bytes, signature: bytes) -> bool:
    """Whether `signature` (r ‖ s) is the SM2 signature of `message` under the public key."""
    ec, hashes, invalid = _lib()
    try:
        der = raw_to_der(signature)
    except ValueError:
        return False
    try:
        key.verify(der, message, ec.ECDSA(hashes.SM3()))
    except invalid:
        return False
    return True


class SM2SM3Algorithm(Algorithm):
    """The "SM2SM3" JWS algorithm for PyJWT (registered per PyJWS instance, never globally)."""

    def prepare_key(self, key: Any) -> Any:
        """Accept SM2 key objects only (no PEM strings: keys come from the key store)."""
        if is_private_key(key) or is_public_key(key):
            return key
        raise TypeError("expected an SM2 key object")

    def sign(self, msg: bytes, key: Any) -> bytes:
        """r ‖ s over the JWS signing input."""
        if not is_private_key(key):
            raise TypeError("signing needs an SM2 private key")
        return sign(key, msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        """Check r ‖ s over the JWS signing input."""
        public = key.public_key() if is_private_key(key) else key
        return verify(public, msg, sig)

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        """The public JWK (kty EC, crv SM2)."""
        x, y = public_xy(key_obj)
        jwk = {"kty": KTY, "crv": CRV, "x": _b64url(x), "y": _b64url(y)}
        return jwk if as_dict else json.dumps(jwk)

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        """The public key of an SM2 JWK."""
        data = json.loads(jwk) if isinstance(jwk, str) else jwk
        if data.get("kty") != KTY or data.get("crv") != CRV:
            raise ValueError("not an SM2 JWK")
        return public_from_xy(_unb64url(data["x"]), _unb64url(data["y"]))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_setting(value: str) -> str:
    """The JWS algorithm a JXJD_SIGNING_ALG value selects; ValueError with the reason otherwise."""
    if value == "EdDSA":
        return "EdDSA"
    if value == SETTING:
        if not available():
            raise ValueError(
                "JXJD_SIGNING_ALG=SM2 needs the tongsuopy package, which is not installed"
            )
        return ALG
    raise ValueError(f"JXJD_SIGNING_ALG must be EdDSA or SM2, not {value!r}")
