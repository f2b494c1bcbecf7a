"""Helpers for the signing tests: a fresh key store, initialised as `flask keys init` does."""

from __future__ import annotations

from pathlib import Path

from jxjd.certificates.signing import SigningKeys
from jxjd.common.crypto import KeyStore


def new_signing_keys(directory: str | Path) -> SigningKeys:
    """Signing keys over a key store at `directory`: secrets and a first key created if absent."""
    store = KeyStore(directory)
    store.create_missing()
    keys = SigningKeys(store)
    keys.ensure_active()
    return keys


# 2100-01-01: within the window of any key that is still active (its window has no end yet), so
# fixed test payloads verify whenever the suite runs. Tests about retired keys sign with `now`.
ACTIVE_KEY_IAT = 4102444800
