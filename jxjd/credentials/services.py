"""Credentials of certificates (vc+jwt), status list credentials and the did:web document."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from jxjd.certificates.models import Certificate
from jxjd.certificates.services import signing_keys
from jxjd.common.crypto import reveal_id_number
from jxjd.common.time import utcnow
from jxjd.credentials import status, vc
from jxjd.errors import NotFound
from jxjd.extensions import db
from jxjd.people.models import Person

# A cached status list credential is signed again after this long even when nothing changed,
# so its validFrom/validUntil stay fresh (validUntil is a day after validFrom).
STATUS_LIST_REBUILD_AFTER = timedelta(hours=1)


class StatusListNotFound(NotFound):
    code, title = "status_list_not_found", "状态列表不存在"


def public_url() -> str:
    """JXJD_PUBLIC_URL, without a trailing slash."""
    return current_app.config["JXJD_PUBLIC_URL"].rstrip("/")


def issuer_did() -> str:
    """This service's did:web."""
    return vc.did_web(public_url())


def issuer_name() -> str:
    """The issuer's name in credentials (JXJD_ISSUER_NAME)."""
    return current_app.config.get("JXJD_ISSUER_NAME") or vc.DEFAULT_ISSUER_NAME


def status_list_url(list_id: int) -> str:
    """The public URL of a status list credential."""
    return f"{public_url()}/status/{list_id}"


def certificate_facts(cert: Certificate) -> vc.CertificateFacts:
    """What the certificate's credential states; allocates its status entry on first use."""
    entry = status.ensure_entry(cert.id)
    person = db.session.get_one(Person, cert.person_id)
    return vc.CertificateFacts(
        serial=cert.serial,
        payload=cert.payload,
        issued_at=cert.issued_at,
        session_id=cert.session_id,
        id_number=reveal_id_number(person.id_encrypted),
        salt=entry.salt,
        status=vc.StatusEntry(status_list_url(entry.list_id), entry.idx),
        public_url=public_url(),
        issuer_name=issuer_name(),
    )


def credential_jwt(cert: Certificate, now: datetime | None = None) -> str:
    """The certificate as an OB 3.0 credential secured as vc+jwt by the active key.

    Signed afresh on each request (about 0.1 ms), so no stored credential needs re-signing after a
    key rotation or compromise: the next download carries the current key.
    """
    credential = vc.openbadge_credential(certificate_facts(cert))
    return vc.sign_vc_jwt(signing_keys().active(), credential, int((now or utcnow()).timestamp()))


# ---- status lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Built:
    stamp: tuple[Any, ...]
    built_at: datetime
    token: str


_lock = threading.Lock()


def _cache() -> dict[int, _Built]:
    """Signed status lists of this app, by list id."""
    return current_app.extensions.setdefault("jxjd_status_lists", {})


def status_list_jwt(list_id: int) -> str:
    """The list's BitstringStatusListCredential as vc+jwt, bit set for each revoked certificate.

    Rebuilt only when a revocation happened since (count and latest time of revocations), the
    signing key or public URL changed, or the cached one is an hour old.
    """
    size = status.list_size(list_id)
    if size is None:
        raise StatusListNotFound(f"状态列表 {list_id} 不存在")
    key = signing_keys().active()
    stamp = (status.revocation_stamp(), key.kid, public_url())
    now = utcnow()
    cached = _cache().get(list_id)
    if cached and cached.stamp == stamp and now - cached.built_at < STATUS_LIST_REBUILD_AFTER:
        return cached.token
    encoded = vc.encode_bitstring(vc.bitstring(status.revoked_indices(list_id), size))
    credential = vc.status_list_credential(status_list_url(list_id), issuer_did(), encoded, now)
    token = vc.sign_vc_jwt(key, credential, int(now.timestamp()))
    with _lock:
        _cache()[list_id] = _Built(stamp, now, token)
    return token


# ---- did:web -------------------------------------------------------------------------------------


def did_document() -> dict[str, Any]:
    """This service's DID document, built from its JWKS."""
    return build_did_document(issuer_did(), signing_keys().jwks())


def build_did_document(did: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The DID document of `did`: every JWKS key as a JsonWebKey2020 verification method.

    Retired keys stay (old credentials keep verifying); a compromised key stays listed with its
    JWK's "compromised": true, as in the JWKS, but is left out of assertionMethod, so a generic
    DID-based verifier refuses whatever it signed.
    """
    methods = [
        {
            "id": vc.method_id(did, jwk["kid"]),
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": jwk,
        }
        for jwk in jwks["keys"]
    ]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [
            vc.method_id(did, jwk["kid"]) for jwk in jwks["keys"] if not jwk.get("compromised")
        ],
    }
