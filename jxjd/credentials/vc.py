"""W3C Verifiable Credentials 2.0 / Open Badges 3.0 documents, as pure functions (no Flask, no DB).

- A certificate becomes an `OpenBadgeCredential` (OB 3.0 on VC 2.0) built only from the
  certificate's signed payload, so the credential states exactly what the QR code states.
- Its status is a `BitstringStatusListEntry`; the list is a `BitstringStatusListCredential`
  whose `encodedList` is multibase base64url ("u") of the GZIP of the bitstring (index 0 is the
  most significant bit of the first byte).
- Both are secured per VC-JOSE-COSE as `application/vc+jwt`: a compact JWS over the credential
  JSON, header `{"alg", "typ": "vc+jwt", "cty": "vc", "kid": "<did>#<kid>"}`, with the JWT
  claims `iss` (= issuer id) and `iat` (so the key windows of CONTRACT §13 apply as to QR tokens).
- The issuer is `did:web` of JXJD_PUBLIC_URL; verification method ids are `<did>#<JWKS kid>`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from jxjd.certificates.signing import ActiveKey, TokenCheck, VerificationKey, verify_token
from jxjd.common.enums import CATEGORIES
from jxjd.common.time import LOCAL_TZ

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# No `credentialSchema`: OB's "1EdTechJsonSchemaValidator2019" type is defined by none of the
# contexts, so JSON-LD processors in safe mode refuse it (tests/credentials/test_interop.py).
VC_JWT_MEDIA_TYPE = "application/vc+jwt"
VC_JWT_TYP = "vc+jwt"
# Herd privacy (Bitstring Status List §6): at least 131,072 entries (16 KiB) per list.
STATUS_LIST_SIZE = 131_072
STATUS_PURPOSE = "revocation"
# How long a verifier may cache a status list (the list's `ttl`, milliseconds).
STATUS_LIST_TTL_MS = 300_000
# A status list credential is valid for a day after it was built; the server rebuilds it sooner.
STATUS_LIST_VALIDITY = timedelta(days=1)
# The holder of the signing keys and of the register: the province's department. The base that
# ran the training is the achievement's `creator`.
DEFAULT_ISSUER_NAME = "湖南省人力资源和社会保障厅"
ACHIEVEMENT_TYPE = "CertificateOfCompletion"
# Namespace for the deterministic achievement and creator ids (urn:uuid, version 5).
_NAMESPACE = uuid.UUID("5f0c3b1e-2d7a-5c4e-9b8f-6a1d2e3c4b5a")


def did_web(public_url: str) -> str:
    """The did:web identifier of a public URL (host, percent-encoded port, path segments)."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise ValueError(f"public URL without a host: {public_url!r}")
    host = parts.hostname.lower()
    if parts.port is not None:
        host += f"%3A{parts.port}"
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def did_document_path(public_url: str) -> str:
    """Where a did:web resolver fetches the DID document for this URL (the path part)."""
    path = urlsplit(public_url).path.rstrip("/")
    return f"{path}/did.json" if path else "/.well-known/did.json"


def method_id(did: str, kid: str) -> str:
    """The verification method id (DID URL) of a JWKS key: the JWS `kid` of credentials."""
    return f"{did}#{kid}"


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: "sha256$" + hex SHA-256 of the UTF-8 identifier with the salt appended."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def _stamp(value: datetime) -> str:
    """An XML Schema dateTimeStamp in UTC, whole seconds (e.g. 2026-03-03T02:00:00Z)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_day(value: str) -> str:
    """A calendar date (YYYY-MM-DD, Hunan) as the dateTime of its local midnight."""
    day = date.fromisoformat(value)
    return datetime.combine(day, time(), LOCAL_TZ).isoformat(timespec="seconds")


def _urn(kind: str, *parts: Any) -> str:
    """A stable urn:uuid for a thing of this service (the public URL is part of the name)."""
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "|".join([kind, *map(str, parts)])))


@dataclass(frozen=True)
class StatusEntry:
    """Where a credential's revocation bit lives."""

    list_url: str
    index: int

    def as_json(self) -> dict[str, Any]:
        """The `BitstringStatusListEntry` of a credential."""
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": STATUS_PURPOSE,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


@dataclass(frozen=True)
class CertificateFacts:
    """Everything an Open Badges credential of one certificate is built from."""

    serial: str
    payload: Mapping[str, Any]  # the certificate's signed payload (CONTRACT §7 fields)
    issued_at: datetime
    session_id: int
    id_number: str  # hashed with `salt`; never written into the credential
    salt: str
    status: StatusEntry
    public_url: str
    issuer_name: str = DEFAULT_ISSUER_NAME


def openbadge_credential(facts: CertificateFacts) -> dict[str, Any]:
    """The unsecured OB 3.0 `OpenBadgeCredential` (a VC 2.0 document) of one certificate."""
    p = facts.payload
    did = did_web(facts.public_url)
    category = str(p.get("category", ""))
    category_label = CATEGORIES.get(category, category)
    hours = p["hours"]
    achievement: dict[str, Any] = {
        "id": _urn("achievement", facts.public_url, "session", facts.session_id),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": p["title"],
        "description": f"{p['base']}举办的继续教育培训“{p['title']}”（{category_label}，{hours}学时）。",
        "criteria": {
            "narrative": "参加全部培训并考核合格，学时计入湖南省专业技术人员继续教育学时。"
        },
        "creditsAvailable": hours,
        "fieldOfStudy": category_label,
        "tag": [category] if category else [],
        "inLanguage": "zh-CN",
        "creator": {
            "id": _urn("base", facts.public_url, p["base"]),
            "type": ["Profile"],
            "name": p["base"],
        },
    }
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "nationalIdentityNumber",
                "hashed": True,
                "identityHash": identity_hash(facts.id_number, facts.salt),
                "salt": facts.salt,
            },
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": p["name"],
            },
        ],
        "achievement": achievement,
        "creditsEarned": hours,
    }
    if p.get("start_date"):
        subject["activityStartDate"] = _local_day(p["start_date"])
    if p.get("end_date"):
        subject["activityEndDate"] = _local_day(p["end_date"])
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"{facts.public_url}/v/{facts.serial}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"电子培训证书：{p['title']}",
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": facts.public_url,
        },
        "validFrom": _stamp(facts.issued_at),
        "awardedDate": _stamp(facts.issued_at),
        "credentialSubject": subject,
        "credentialStatus": facts.status.as_json(),
    }


# ---- the bitstring -----------------------------------------------------------------------------


def bitstring(indices: Iterable[int], size: int = STATUS_LIST_SIZE) -> bytes:
    """`size` bits (a multiple of 8) with the given indices set; index 0 is the first byte's MSB."""
    if size <= 0 or size % 8:
        raise ValueError("a bitstring has a positive multiple of 8 bits")
    bits = bytearray(size // 8)
    for index in indices:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside the list of {size}")
        bits[index >> 3] |= 0x80 >> (index & 7)
    return bytes(bits)


def encode_bitstring(bits: bytes) -> str:
    """Multibase base64url (no padding, prefix "u") of the GZIP of the bitstring."""
    compressed = gzip.compress(bits, compresslevel=9, mtime=0)  # mtime 0: same list, same bytes
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


# A decoded list larger than this is refused (a GZIP bomb costs the verifier nothing then).
MAX_DECODED_LIST = 16 * 1024 * 1024
_MULTIBASE_B64URL = re.compile(r"u[A-Za-z0-9_-]+")


def decode_bitstring(encoded: str) -> bytes:
    """The bitstring of an `encodedList`; ValueError when it is not multibase base64url GZIP."""
    if not isinstance(encoded, str) or not _MULTIBASE_B64URL.fullmatch(encoded):
        raise ValueError("encodedList is not multibase base64url (prefix 'u')")
    try:
        compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        inflater = zlib.decompressobj(wbits=31)  # GZIP container
        bits = inflater.decompress(compressed, MAX_DECODED_LIST + 1)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise ValueError(f"encodedList is not GZIP data: {exc}") from exc
    if len(bits) > MAX_DECODED_LIST or inflater.unconsumed_tail:
        raise ValueError("encodedList is too large")
    if not inflater.eof or inflater.unused_data or not bits:
        raise ValueError("encodedList is not one complete GZIP stream")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether `index` is set in a bitstring (IndexError outside it)."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} outside the list of {len(bits) * 8}")
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def status_list_credential(
    list_url: str, issuer: str, encoded_list: str, valid_from: datetime
) -> dict[str, Any]:
    """The unsecured `BitstringStatusListCredential` of one list."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _stamp(valid_from),
        "validUntil": _stamp(valid_from + STATUS_LIST_VALIDITY),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded_list,
            "ttl": STATUS_LIST_TTL_MS,
        },
    }


# ---- securing: application/vc+jwt ----------------------------------------------------------------


def encode_segment(data: bytes) -> str:
    """Unpadded base64url (a JWS segment)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_segment(text: str) -> bytes:
    """The bytes of an (unpadded) base64url JWS segment."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id, whether `issuer` is a string or an object."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def sign_vc_jwt(key: ActiveKey, credential: Mapping[str, Any], iat: int) -> str:
    """The credential secured as `application/vc+jwt` by the active signing key.

    The JWT claims are the credential's own members plus `iss` (its issuer id, as VC-JOSE-COSE
    requires when present) and `iat` (the signing time: it must lie within the key's window).
    """
    did = issuer_id(credential)
    if not did:
        raise ValueError("credential has no issuer id")
    if "iss" in credential or "iat" in credential:
        raise ValueError("credential already carries JWT claims")
    claims = {**credential, "iss": did, "iat": iat}
    headers = {"typ": VC_JWT_TYP, "cty": "vc", "kid": method_id(did, key.kid)}
    return key.sign(claims, headers=headers)


def verify_vc_jwt(
    token: str, keys: Mapping[str, VerificationKey], did: str
) -> tuple[TokenCheck, dict[str, Any] | None]:
    """Verify a vc+jwt of `did` against the JWKS keys: the shared rules of `verify_token`, then
    `typ`, the kid being a method of `did`, and `iss` matching the credential's issuer.

    Returns the check and, when everything passed, the credential (without `iss` and `iat`).
    """
    by_method = {method_id(did, kid): key for kid, key in keys.items()}
    check = verify_token(token, by_method)
    if not check.valid or check.payload is None:
        return check, None
    header = json.loads(decode_segment(token.strip().split(".")[0]))
    claims = dict(check.payload)
    ok = (
        header.get("typ") == VC_JWT_TYP
        and claims.get("iss") == did
        and issuer_id(claims) == did
        and VC_CONTEXT == (claims.get("@context") or [None])[0]
    )
    check.checks.append({"step": "vc_jwt", "ok": ok})
    if not ok:
        check.error = "not a vc+jwt of this issuer"
        check.payload = None
        return check, None
    claims.pop("iss", None)
    claims.pop("iat", None)
    return check, claims
