"""Key material in the instance key store, field encryption (AES-GCM) and keyed look-up hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# One 32-byte secret per purpose; a purpose never reuses another's key.
KEY_PURPOSES = ("field-encryption", "lookup-hmac", "signing-wrap", "session-secret")
_FIELD_VERSION = b"\x01"


def _write_private(path: Path, data: bytes) -> None:
    """Create a key file readable only by the owner, atomically; never overwrite an existing key.

    The content is written to a temporary file first and then hard-linked into place, so a
    concurrent reader sees either no file or the whole key, never an empty one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # raises FileExistsError if another process won the race
    finally:
        os.unlink(tmp)


class KeyStore:
    """The instance key store: symmetric secrets, generated on first use, never committed."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, bytes] = {}

    def secret(self, purpose: str) -> bytes:
        """The 32-byte secret for `purpose`, created if absent."""
        if purpose not in KEY_PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        if purpose not in self._cache:
            path = self.directory / f"{purpose}.key"
            if not path.exists():
                try:
                    _write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
                except FileExistsError:  # another worker created it first
                    pass
            key = base64.b64decode(path.read_bytes().strip())
            if len(key) != 32:
                raise ValueError(f"key file {path} is damaged")
            self._cache[purpose] = key
        return self._cache[purpose]

    def ensure_all(self) -> None:
        """Create every secret now (so concurrent workers never race on first use)."""
        for purpose in KEY_PURPOSES:
            self.secret(purpose)


class FieldCipher:
    """AES-256-GCM for one sensitive column; the column name is bound as associated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Encrypt; output is version || nonce || ciphertext+tag."""
        nonce = secrets.token_bytes(12)
        ct = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _FIELD_VERSION + nonce + ct

    def decrypt(self, blob: bytes, *, context: str) -> str:
        """Decrypt a value made by `encrypt` with the same context."""
        if not blob or blob[:1] != _FIELD_VERSION:
            raise ValueError("unknown field-encryption version")
        return self._aead.decrypt(blob[1:13], blob[13:], context.encode()).decode()


def lookup_hash(key: bytes, value: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value, hex; equal inputs give equal hashes."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy bearer token (no key needed: the token itself is random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "jx") -> str:
    """A new bearer token with 256 random bits."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def app_keystore() -> KeyStore:
    """The key store of the running app (JXJD_KEY_DIR, the instance folder by default)."""
    from flask import current_app

    store = current_app.extensions.get("jxjd_keystore")
    if store is None:
        store = current_app.extensions["jxjd_keystore"] = KeyStore(
            current_app.config["JXJD_KEY_DIR"]
        )
    return store


def protect_id_number(id_number: str) -> tuple[bytes, str]:
    """Encrypt a normalised ID number for storage and compute its look-up hash."""
    store = app_keystore()
    cipher = FieldCipher(store.secret("field-encryption"))
    return cipher.encrypt(id_number, context="id_number"), lookup_hash(
        store.secret("lookup-hmac"), id_number
    )


def id_lookup_hash(id_number: str) -> str:
    """The look-up hash of a normalised ID number."""
    return lookup_hash(app_keystore().secret("lookup-hmac"), id_number)


def reveal_id_number(blob: bytes) -> str:
    """Decrypt a stored ID number (privileged use only)."""
    cipher = FieldCipher(app_keystore().secret("field-encryption"))
    return cipher.decrypt(blob, context="id_number")
