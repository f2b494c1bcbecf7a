"""Key material in the instance key store, field encryption (AES-GCM) and keyed look-up hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jxjd.common.files import PRIVATE_DIR, PRIVATE_FILE, private_dir, tighten, write_private

# One 32-byte secret per purpose; a purpose never reuses another's key.
KEY_PURPOSES = (
    "field-encryption",
    "lookup-hmac",
    "signing-wrap",
    "session-secret",
    "audit-hmac",
)
_FIELD_VERSION = b"\x01"
_FINGERPRINT_LABEL = b"jxjd key fingerprint v1"


class KeyStoreError(Exception):
    """The key store cannot give a key: missing, damaged, or withheld until it matches the data."""


class KeyMissing(KeyStoreError):
    """A key file that is not there."""


class KeyDamaged(KeyStoreError, ValueError):
    """A key file that is there but unreadable (e.g. half-written)."""


class KeyStoreBlocked(KeyStoreError):
    """The key store does not match the database, so no key is handed out."""


def key_fingerprint(key: bytes) -> str:
    """A public fingerprint of a secret key: HMAC of a constant under it (reveals nothing of it)."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


class KeyStore:
    """The instance key store: one secret file per purpose, never committed, never overwritten.

    Secrets are only read here; they are created by `create_missing`, which the start-up check
    (jxjd.keys) calls for a database that holds nothing made with them, and `flask keys init`.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, bytes] = {}
        # Set while the keys on disk do not match the database: every secret() is refused.
        self.blocked: str | None = None

    def path(self, purpose: str) -> Path:
        """The file of one secret."""
        if purpose not in KEY_PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        return self.directory / f"{purpose}.key"

    def secret(self, purpose: str) -> bytes:
        """The 32-byte secret for `purpose`; KeyStoreError when missing, damaged or withheld."""
        if self.blocked is not None:
            raise KeyStoreBlocked(self.blocked)
        key = self._cache.get(purpose)
        if key is None:
            key = self._cache[purpose] = self.read(purpose)
        return key

    def read(self, purpose: str) -> bytes:
        """Read one secret from disk (no cache, not subject to `blocked`)."""
        path = self.path(purpose)
        try:
            text = path.read_bytes().strip()
        except FileNotFoundError:
            raise KeyMissing(
                f"key file {path} is missing: restore the key store from the backup made with "
                "the database (or, for a new database, run `flask --app app keys init`)"
            ) from None
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise KeyDamaged(
                f"key file {path} is damaged (not 32 base64-encoded bytes; half-written?): "
                "restore it from the backup; it is never overwritten automatically"
            )
        return key

    def forget(self) -> None:
        """Drop the cached secrets (they are read again on next use)."""
        self._cache.clear()

    def exists(self, purpose: str) -> bool:
        """Whether the secret's file is there (damaged or not)."""
        return self.path(purpose).exists()

    def create_missing(self) -> list[str]:
        """Create every absent secret (existing files are never touched); the purposes created."""
        private_dir(self.directory)
        created = []
        for purpose in KEY_PURPOSES:
            path = self.path(purpose)
            if path.exists():
                continue
            try:
                write_private(
                    path, base64.b64encode(secrets.token_bytes(32)) + b"\n", replace=False
                )
                created.append(purpose)
            except FileExistsError:  # another worker created it first
                pass
        return created

    def ensure_all(self) -> None:
        """Create every missing secret now (fresh stores in tests and scripts)."""
        self.create_missing()

    def tighten(self) -> None:
        """Make an existing store owner-only (folders 0700, files 0600), e.g. an older one."""
        folders = [self.directory, self.directory / "signing"]
        for folder in folders:
            if not folder.is_dir():
                continue
            tighten(folder, PRIVATE_DIR)
            for path in folder.iterdir():
                if path.is_file():
                    tighten(path, PRIVATE_FILE)

    def fingerprint(self, purpose: str) -> str:
        """The fingerprint of the secret on disk."""
        return key_fingerprint(self.read(purpose))


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
    return hmac.digest(key, value.encode(), "sha256").hex()  # one C call, as hmac.new(…)


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
