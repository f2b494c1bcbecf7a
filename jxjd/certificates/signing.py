"""Certificate signing keys (Ed25519; SM2 optionally), JWKS-published, rotatable; compact JWS."""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import functools
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from jxjd.certificates import sm2
from jxjd.common.crypto import FieldCipher, KeyDamaged, KeyMissing, KeyStore
from jxjd.common.files import private_dir

try:  # POSIX only; elsewhere key creation relies on atomic renames alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

ALGORITHM = "EdDSA"
# Every algorithm a token may name; a key signs and verifies with its own only.
ALGORITHMS = (ALGORITHM, sm2.ALG)

KEY_FILE_VERSION = 1
MAX_TOKEN_LENGTH = 8192
_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_COMPACT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_SIGNING_DIR = "signing"
_LOCK_NAME = ".lock"
# A token's `iat` may lie this many seconds outside its key's [nbf, exp]: clocks of several
# instances differ a little, and an issue that read the time just before a rotation signs with
# the new key. Small next to what a window protects against (a retired key signing for years).
KEY_WINDOW_LEEWAY = 300

# One shared, algorithm-restricted PyJWS instance: building it per call is costly. SM2 is
# registered on this instance only; each decode still names the one algorithm of its key.
_JWS = jwt.PyJWS(algorithms=[ALGORITHM])
_JWS.register_algorithm(sm2.ALG, sm2.SM2SM3Algorithm())


def _b64url(data: bytes) -> str:
    """Unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """Decode unpadded (or padded) base64url text."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


def _parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp from a key file, or None."""
    return datetime.fromisoformat(value) if value else None


def _new_kid(now: datetime) -> str:
    """A short, URL-safe, unique key id: "k" + UTC date + 8 random hex (17 chars)."""
    return f"k{now:%Y%m%d}{secrets.token_hex(4)}"


def _public_x(public_key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as base64url (the JWK "x")."""
    return _b64url(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _numeric_date(value: datetime) -> int:
    """A NumericDate (whole seconds since the epoch, rounded down, as `iat` is)."""
    return int(value.timestamp())


def _jwk(info: KeyInfo) -> dict[str, Any]:
    """The public JWK of one key, with its validity window (CONTRACT §13)."""
    if info.alg == sm2.ALG:
        key: dict[str, Any] = {
            "kty": sm2.KTY,
            "crv": sm2.CRV,
            "x": info.public_x,
            "y": info.public_y,
        }
    else:
        key = {"kty": "OKP", "crv": "Ed25519", "x": info.public_x}
    jwk: dict[str, Any] = {
        **key,
        "kid": info.kid,
        "alg": info.alg,
        "use": "sig",
        "nbf": info.nbf,
    }
    if info.exp is not None:
        jwk["exp"] = info.exp
    if info.compromised_at is not None:
        jwk["compromised"] = True
    return jwk


@dataclass(frozen=True)
class KeyInfo:
    """Public facts about one signing key."""

    kid: str
    created_at: datetime
    retired_at: datetime | None
    public_x: str  # base64url raw public key (SM2: the x coordinate)
    compromised_at: datetime | None = None
    alg: str = ALGORITHM
    public_y: str | None = None  # SM2 only

    @property
    def nbf(self) -> int:
        """When the key started signing (NumericDate)."""
        return _numeric_date(self.created_at)

    @property
    def exp(self) -> int | None:
        """When the key stopped signing (NumericDate), None while it is active."""
        return None if self.retired_at is None else _numeric_date(self.retired_at)

    @property
    def state(self) -> str:
        """active, retired or compromised."""
        if self.compromised_at is not None:
            return "compromised"
        return "retired" if self.retired_at is not None else "active"


@dataclass(frozen=True)
class VerificationKey:
    """A published key as a verifier uses it: the public key and the window it signed in."""

    public_key: Any = field(repr=False, compare=False)  # Ed25519PublicKey or an SM2 key
    nbf: int | None = None  # None: not published (an old JWKS); no lower bound
    exp: int | None = None  # None: still active
    compromised: bool = False
    alg: str = ALGORITHM


def key_window_problem(
    iat: Any, key: VerificationKey, leeway: int = KEY_WINDOW_LEEWAY
) -> str | None:
    """Why a token with this `iat` is not within its key's validity, or None when it is.

    The one rule the server and the offline verifier share: a compromised key makes every
    token invalid; otherwise `iat` must lie in [nbf - leeway, exp + leeway].
    """
    if key.compromised:
        return "signing key was declared compromised"
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return "token has no numeric iat"
    if key.nbf is not None and iat < key.nbf - leeway:
        return "token claims to be issued before its key was in service"
    if key.exp is not None and iat > key.exp + leeway:
        return "token claims to be issued after its key was retired"
    return None


@dataclass(frozen=True)
class ActiveKey:
    """The key that signs new certificates; holds the loaded private key object."""

    kid: str
    private_key: Any = field(repr=False, compare=False)  # Ed25519PrivateKey or an SM2 key
    alg: str = ALGORITHM

    def sign(self, payload: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """A compact JWS over the compactly serialised JSON payload.

        The header is only alg and kid (it keeps the QR short) unless `headers` adds members
        (a vc+jwt sets typ, cty and a DID URL kid).
        """
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if self.alg == ALGORITHM and not headers:
            # The same bytes PyJWS makes (sorted compact header, base64url segments), signed
            # with Ed25519 directly: Ed25519 is deterministic, so the token is byte-identical.
            signing_input = self._header_segment + b"." + _b64url(body).encode("ascii")
            signature = self.private_key.sign(signing_input)
            return (signing_input + b"." + _b64url(signature).encode("ascii")).decode("ascii")
        return _JWS.encode(
            body,
            self.private_key,
            algorithm=self.alg,
            headers={"kid": self.kid, "typ": None, **(headers or {})},
        )

    @functools.cached_property
    def _header_segment(self) -> bytes:
        """The base64url protected header of a plain EdDSA token: {"alg","kid"}, sorted."""
        header = json.dumps(
            {"alg": self.alg, "kid": self.kid}, separators=(",", ":"), sort_keys=True
        )
        return _b64url(header.encode("utf-8")).encode("ascii")


class SigningKeys:
    """Ed25519 keys in <keystore>/signing/<kid>.json, private halves AES-GCM-wrapped."""

    def __init__(self, keystore: KeyStore, alg: str | None = None) -> None:
        self.keystore = keystore
        # The algorithm of keys created from now on; None: the app's JXJD_SIGNING_ALG.
        self.alg = alg
        # Nothing is created here: a missing key folder must stay visibly missing.
        self.directory = Path(keystore.directory) / _SIGNING_DIR
        self._private_cache: dict[str, Ed25519PrivateKey] = {}
        self._public_cache: dict[str, Ed25519PublicKey] = {}

    # -- public API -------------------------------------------------------------------------

    def active(self) -> ActiveKey:
        """The current signing key (newest non-retired); KeyMissing when there is none."""
        kid = self._active_kid()
        if kid is None:
            raise KeyMissing(
                f"no active signing key in {self.directory}: restore the key store from the "
                "backup made with the database (or, for a new database, run "
                "`flask --app app keys init`)"
            )
        record = self._read(kid) or {}
        return ActiveKey(kid, self._private_key(kid), record.get("alg", ALGORITHM))

    def ensure_active(self) -> ActiveKey:
        """The active key, creating the first one when none exists (key store initialisation)."""
        if self._active_kid() is None:
            with self._locked():
                if self._active_kid() is None:  # another process may have created one meanwhile
                    self._create_key()
        return self.active()

    def rotate(self) -> KeyInfo:
        """Create a new active key and retire every other key; all stay published."""
        with self._locked():
            return self._rotate_locked()

    def compromise(self, kid: str) -> tuple[KeyInfo, KeyInfo]:
        """Mark `kid` compromised (retiring it; a new key takes over if it was active).

        Returns the compromised key's info and the active key's. Every token under a compromised
        key is invalid; it stays published (with "compromised": true) so verifiers learn it.
        """
        with self._locked():
            record = self._read(kid) if _KID_RE.fullmatch(kid or "") else None
            if record is None:
                raise KeyError(kid)
            if self._active_kid() == kid or self._active_kid() is None:
                self._rotate_locked()
            record = self._read(kid)
            assert record is not None
            now = _now().isoformat()
            if not record.get("compromised_at"):
                record["compromised_at"] = now
            if not record.get("retired_at"):
                record["retired_at"] = now
            self._write(kid, record)
            active = self._active_kid()
            assert active is not None
            return self._info(record), self._info(self._read(active) or {})

    def info(self, kid: str) -> KeyInfo | None:
        """Facts about one key, or None when unknown."""
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            return None
        record = self._read(kid)
        return None if record is None else self._info(record)

    def list(self) -> builtins.list[KeyInfo]:
        """Every key, oldest first (by created_at, then kid)."""
        infos = [self._info(record) for record in self._records()]
        return sorted(infos, key=lambda i: (i.created_at, i.kid))

    def jwks(self) -> dict[str, Any]:
        """The JWK Set of every key that ever signed, retired and compromised ones included."""
        return {"keys": [_jwk(info) for info in self.list()]}

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key for `kid`, or None when unknown."""
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            return None
        cached = self._public_cache.get(kid)
        if cached is not None:
            return cached
        record = self._read(kid)
        if record is None:
            return None
        if record.get("alg") == sm2.ALG:
            key = sm2.public_from_xy(_unb64url(record["x"]), _unb64url(record.get("y", "")))
        else:
            key = Ed25519PublicKey.from_public_bytes(_unb64url(record["x"]))
        self._public_cache[kid] = key
        return key

    def public_keys(self) -> dict[str, VerificationKey]:
        """Every published key by kid, with its window, for verify_token."""
        keys: dict[str, VerificationKey] = {}
        for info in self.list():
            key = self.public_key(info.kid)
            if key is not None:
                keys[info.kid] = VerificationKey(
                    key, info.nbf, info.exp, info.compromised_at is not None, info.alg
                )
        return keys

    # -- storage ----------------------------------------------------------------------------

    def _cipher(self) -> FieldCipher:
        """The AES-GCM cipher that wraps private keys."""
        return FieldCipher(self.keystore.secret("signing-wrap"))

    def _path(self, kid: str) -> Path:
        """The file of one key."""
        return self.directory / f"{kid}.json"

    def _records(self) -> Iterator[dict[str, Any]]:
        """Every key file's content (temporary files skipped; a damaged one raises KeyDamaged)."""
        for path in sorted(self.directory.glob("*.json")):
            kid = path.stem
            if not _KID_RE.fullmatch(kid):
                continue
            record = self._read(kid)
            if record is not None:
                yield record

    def _read(self, kid: str) -> dict[str, Any] | None:
        """One key file's content, or None when absent."""
        path = self._path(kid)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError):
            record = None
        if (
            not isinstance(record, dict)
            or record.get("kid") != kid
            or not isinstance(record.get("x"), str)
            or not isinstance(record.get("d_wrapped"), str)
        ):
            raise KeyDamaged(
                f"signing key file {path} is damaged (half-written?): restore it from the backup"
            )
        return record

    def _info(self, record: dict[str, Any]) -> KeyInfo:
        """KeyInfo from a key file's content."""
        try:
            created = _parse_time(record.get("created_at"))
            retired = _parse_time(record.get("retired_at"))
            compromised = _parse_time(record.get("compromised_at"))
        except (TypeError, ValueError):
            created = None
        if created is None:
            raise KeyDamaged(f"signing key file for {record.get('kid')!r} has no valid dates")
        return KeyInfo(
            kid=record["kid"],
            created_at=created,
            retired_at=retired,
            public_x=record["x"],
            compromised_at=compromised,
            alg=record.get("alg", ALGORITHM),
            public_y=record.get("y"),
        )

    def _write(self, kid: str, record: dict[str, Any]) -> None:
        """Atomically (re)write one key file with mode 0600."""
        private_dir(self.directory)
        final = self._path(kid)
        tmp = self.directory / f".{kid}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    def _creation_alg(self) -> str:
        """The algorithm of a new key: this store's, else the app's JXJD_SIGNING_ALG."""
        if self.alg is not None:
            return self.alg
        from flask import current_app, has_app_context  # not needed by the offline verifier

        if not has_app_context():
            return ALGORITHM
        return sm2.check_setting(current_app.config.get("JXJD_SIGNING_ALG", ALGORITHM))

    def _create_key(self) -> KeyInfo:
        """Generate, wrap and store a new key; returns its info."""
        now = _now()
        alg = self._creation_alg()
        kid = _new_kid(now)
        while self._path(kid).exists():  # pragma: no cover - 2^-32 chance per day
            kid = _new_kid(now)
        if alg == sm2.ALG:
            private: Any = sm2.generate_private_key()
            raw = sm2.private_raw(private)
            x, y = sm2.public_xy(private)
            members = {"kty": sm2.KTY, "crv": sm2.CRV, "x": _b64url(x), "y": _b64url(y)}
        else:
            private = Ed25519PrivateKey.generate()
            raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            members = {"kty": "OKP", "crv": "Ed25519", "x": _public_x(private.public_key())}
        wrapped = self._cipher().encrypt(_b64url(raw), context=f"signing-key:{kid}")
        record = {
            "version": KEY_FILE_VERSION,
            "kid": kid,
            **members,
            "alg": alg,
            "d_wrapped": _b64url(wrapped),
            "created_at": now.isoformat(),
            "retired_at": None,
        }
        self._write(kid, record)
        self._private_cache[kid] = private
        return self._info(record)

    def _rotate_locked(self) -> KeyInfo:
        """A new active key; every other live key retired (the caller holds the lock)."""
        new = self._create_key()
        when = _now()
        for info in self.list():
            if info.kid != new.kid and info.retired_at is None:
                self._retire(info.kid, when)
        return new

    def _retire(self, kid: str, when: datetime) -> None:
        """Mark a key retired (it stays published for verification)."""
        record = self._read(kid)
        if record is None or record.get("retired_at"):
            return
        record["retired_at"] = when.isoformat()
        self._write(kid, record)

    def _active_kid(self) -> str | None:
        """The kid of the newest non-retired key (by created_at, then kid), or None."""
        live = [info for info in self.list() if info.retired_at is None]
        return live[-1].kid if live else None

    def _private_key(self, kid: str) -> Ed25519PrivateKey:
        """Unwrap (once, then cached) the private key of `kid`."""
        cached = self._private_cache.get(kid)
        if cached is not None:
            return cached
        record = self._read(kid)
        if record is None:
            raise KeyError(kid)
        try:
            blob = _unb64url(record["d_wrapped"])
            raw = _unb64url(self._cipher().decrypt(blob, context=f"signing-key:{kid}"))
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise KeyDamaged(f"cannot unwrap signing key {kid!r}: wrong signing-wrap?") from exc
        if record.get("alg") == sm2.ALG:
            private: Any = sm2.private_from_raw(raw)
            public = tuple(_b64url(c) for c in sm2.public_xy(private))
            matches = public == (record["x"], record.get("y"))
        else:
            private = Ed25519PrivateKey.from_private_bytes(raw)
            matches = _public_x(private.public_key()) == record["x"]
        if not matches:
            raise KeyDamaged(f"signing key {kid!r}: private and public halves do not match")
        self._private_cache[kid] = private
        return private

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive inter-process lock over key creation and rotation."""
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        private_dir(self.directory)
        fd = os.open(self.directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _window_member(entry: dict[str, Any], name: str) -> tuple[bool, int | float | None]:
    """(usable, value) of an optional NumericDate member of a JWK."""
    value = entry.get(name)
    if value is None:
        return True, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False, None
    return True, value


def _entry_key(entry: dict[str, Any]) -> tuple[Any, str] | None:
    """(public key, algorithm) of a JWK Set entry: Ed25519, or SM2 where it is supported."""
    x = entry.get("x")
    if not isinstance(x, str):
        return None
    try:
        if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519":
            if entry.get("alg", ALGORITHM) != ALGORITHM:
                return None
            raw = _unb64url(x)
            return (Ed25519PublicKey.from_public_bytes(raw), ALGORITHM) if len(raw) == 32 else None
        if entry.get("kty") == sm2.KTY and entry.get("crv") == sm2.CRV and sm2.available():
            y = entry.get("y")
            if entry.get("alg", sm2.ALG) != sm2.ALG or not isinstance(y, str):
                return None
            return sm2.public_from_xy(_unb64url(x), _unb64url(y)), sm2.ALG
    except (ValueError, binascii.Error):
        return None
    return None


def jwks_from_document(doc: dict[str, Any]) -> dict[str, VerificationKey]:
    """Keys by kid from a JWK Set document (Ed25519 and SM2; other or unusable entries ignored).

    Each key keeps its window: `nbf`, `exp` (NumericDates) and `"compromised": true`. An entry
    whose window members are malformed is dropped: a verifier never guesses a key's validity.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise ValueError('not a JWK Set: expected {"keys": [...]}')
    keys: dict[str, VerificationKey] = {}
    for entry in doc["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        nbf_ok, nbf = _window_member(entry, "nbf")
        exp_ok, exp = _window_member(entry, "exp")
        if not (nbf_ok and exp_ok):
            continue
        compromised = entry.get("compromised", False) not in (False, None)
        found = _entry_key(entry)
        if found is None:
            continue
        keys[kid] = VerificationKey(found[0], nbf, exp, compromised, found[1])  # type: ignore[arg-type]
    return keys


@dataclass
class TokenCheck:
    """The outcome of verifying one token, step by step."""

    # [{"step": "well_formed"|"key_known"|"signature"|"key_window", "ok": bool}]
    checks: list[dict[str, Any]]
    kid: str | None
    payload: dict[str, Any] | None  # only set when the signature verified
    error: str | None  # short English reason

    @property
    def valid(self) -> bool:
        """True when every step passed and the payload is available."""
        return self.payload is not None and all(c["ok"] for c in self.checks)


def _well_formed(token: str) -> tuple[dict[str, Any] | None, str | None]:
    """The protected header when `token` is a well-formed EdDSA compact JWS, else an error."""
    if not isinstance(token, str) or not token:
        return None, "token is empty"
    if len(token) > MAX_TOKEN_LENGTH:
        return None, "token is too long"
    if not _COMPACT_RE.fullmatch(token):
        return None, "token is not three base64url parts"
    header_segment, payload_segment, _ = token.split(".")
    try:
        header = json.loads(_unb64url(header_segment))
        payload = json.loads(_unb64url(payload_segment))
    except (ValueError, binascii.Error, RecursionError):
        return None, "token parts are not base64url-encoded JSON"
    if not isinstance(header, dict):
        return None, "header is not a JSON object"
    if header.get("alg") not in ALGORITHMS:
        return None, f"algorithm {header.get('alg')!r} is not allowed"
    if "b64" in header or "crit" in header:
        return None, "unsupported header parameters"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return None, "header has no kid"
    if not isinstance(payload, dict):
        return None, "payload is not a JSON object"
    return header, None


def verify_token(token: str, keys: Mapping[str, VerificationKey | Ed25519PublicKey]) -> TokenCheck:
    """Check a compact JWS: well formed, signed by a known key, signature valid, and issued
    within the key's validity window (`key_window_problem`; a bare public key has no window).

    The server (jxjd.verify) and the offline verifier (scripts/verify_offline.py) both call
    this one function, so they apply the same rules.
    """
    token = token.strip() if isinstance(token, str) else token
    header, problem = _well_formed(token)
    if header is None:
        return TokenCheck([{"step": "well_formed", "ok": False}], None, None, problem)
    checks: list[dict[str, Any]] = [{"step": "well_formed", "ok": True}]
    kid = header["kid"]
    key = keys.get(kid)
    if key is None:
        checks.append({"step": "key_known", "ok": False})
        return TokenCheck(checks, kid, None, f"unknown signing key {kid!r}")
    checks.append({"step": "key_known", "ok": True})
    if not isinstance(key, VerificationKey):
        key = VerificationKey(key)
    try:
        # Only the key's own algorithm: a token naming another one is refused (no confusion).
        payload = json.loads(_JWS.decode(token, key.public_key, algorithms=[key.alg]))
    except jwt.InvalidSignatureError:
        checks.append({"step": "signature", "ok": False})
        return TokenCheck(checks, kid, None, "signature does not match")
    except jwt.PyJWTError as exc:
        checks.append({"step": "signature", "ok": False})
        return TokenCheck(checks, kid, None, f"signature check failed: {exc}")
    checks.append({"step": "signature", "ok": True})
    problem = key_window_problem(payload.get("iat"), key)
    checks.append({"step": "key_window", "ok": problem is None})
    if problem is not None:
        return TokenCheck(checks, kid, None, problem)
    return TokenCheck(checks, kid, payload, None)
