"""Does the key store match the database? Keys are created only where no data depends on them.

At start-up (create_app), on `flask keys init` and on `/api/v1/ready` the key files are compared
with what the database remembers (`key_fingerprints`) and with the data itself (a person's
encrypted ID number against its look-up hash, the audit chain head's MAC, the signing keys the
certificates name). Keys are generated only for a database that holds nothing made with them, or
on an explicit `flask keys init --force`. When the database holds data made with keys that are
not there (or not these), the app serves nothing but /api/v1/health and /api/v1/ready (503 with
the reasons) and the data-writing CLI commands refuse, so no request ever writes data under the
wrong keys and no key is silently regenerated.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from flask import Flask, current_app, has_app_context, request
from flask.cli import ScriptInfo

from jxjd.audit.models import AuditHead
from jxjd.audit.services import head_mac
from jxjd.certificates.models import Certificate
from jxjd.certificates.signing import SigningKeys
from jxjd.common.crypto import (
    KEY_PURPOSES,
    FieldCipher,
    KeyDamaged,
    KeyMissing,
    KeyStore,
    KeyStoreError,
    lookup_hash,
)
from jxjd.common.time import utcnow
from jxjd.errors import Problem, render_problem
from jxjd.extensions import db
from jxjd.keys.models import KeyFingerprint
from jxjd.people.models import Person

log = logging.getLogger(__name__)

OK, LOCKED, DEFERRED = "ok", "locked", "deferred"
# Tables whose rows exist only in a database that is in use: with any of them non-empty, no key
# is generated behind the operator's back.
DATA_TABLES = ("audit_events", "people", "certificates", "accounts", "api_tokens", "bases")
# Requests that are answered whatever the key store's state (they use neither keys nor data).
EXEMPT_ENDPOINTS = frozenset(
    {
        "main.health",
        "main.ready",
        "main.metrics",  # reads API tokens (no key), so monitoring sees a locked instance
        "static",
        "openapi.openapi_json",
        "openapi.api_docs",
    }
)

_STATE = "jxjd_key_state"
_SECRET_FROM_STORE = "jxjd_secret_from_store"


@dataclass(frozen=True)
class KeyProblem:
    """One reason the key store cannot be used with this database."""

    code: str
    key: str | None
    message: str  # Chinese, for /api/v1/ready and pages (no file paths)
    detail: str  # English with file paths, for the log and the CLI

    def as_error(self) -> dict[str, Any]:
        """The CONTRACT §1 `errors` entry."""
        return {"code": self.code, "field": self.key, "row": None, "message": self.message}


@dataclass
class KeyState:
    """The outcome of one check."""

    status: str
    problems: list[KeyProblem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def summary(self) -> str:
        """The reasons in one line (English, with paths)."""
        return "; ".join(p.detail for p in self.problems)


class KeyStoreUnavailable(Problem):
    status, code, title = 503, "key_store_unavailable", "服务暂停：密钥库与数据库不一致"


def _fingerprint_public(public_x: str) -> str:
    """The recorded fingerprint of a signing key: SHA-256 of its public half."""
    return hashlib.sha256(public_x.encode("ascii")).hexdigest()


def _problem(code: str, key: str | None, message: str, detail: str) -> KeyProblem:
    return KeyProblem(code, key, message, detail)


@dataclass
class _Facts:
    """What the database says."""

    recorded: dict[str, str]
    has_data: bool
    has_certificates: bool
    cert_kids: set[str]
    head: Any
    person: Any


def _read_facts() -> _Facts | KeyState:
    """Read what the check needs from the database, or the reason it cannot be read."""
    try:
        with db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            if KeyFingerprint.__tablename__ not in tables:
                return KeyState(
                    DEFERRED,
                    [
                        _problem(
                            "schema_missing",
                            None,
                            "数据库尚未建立或迁移，请先运行 flask --app app db upgrade。",
                            "the database schema is not migrated: run `flask --app app db upgrade`",
                        )
                    ],
                )
            fp = KeyFingerprint.__table__
            recorded = {row.name: row.fingerprint for row in conn.execute(sa.select(fp))}
            has_data = False
            for name in DATA_TABLES:
                table = db.metadata.tables.get(name)
                if table is not None and name in tables:
                    if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                        has_data = True
                        break
            certs = Certificate.__table__
            has_certificates = (
                conn.execute(sa.select(sa.literal(1)).select_from(certs).limit(1)).first()
                is not None
            )
            cert_kids: set[str] = set()
            if has_certificates and not any(n.startswith("signing:") for n in recorded):
                # Only before any signing key was recorded (an upgraded install): afterwards the
                # recorded keys say the same without reading the whole table.
                cert_kids = set(conn.scalars(sa.select(certs.c.kid).distinct()))
            heads = AuditHead.__table__
            head = conn.execute(sa.select(heads).where(heads.c.id == 1)).first()
            people = Person.__table__
            person = conn.execute(
                sa.select(people.c.id_hash, people.c.id_encrypted).order_by(people.c.id).limit(1)
            ).first()
    except sa.exc.SQLAlchemyError as exc:
        return KeyState(
            DEFERRED,
            [
                _problem(
                    "database_unavailable",
                    None,
                    "数据库暂时无法连接。",
                    f"the database cannot be read: {exc.__class__.__name__}",
                )
            ],
        )
    return _Facts(recorded, has_data, has_certificates, cert_kids, head, person)


def _key_files(
    store: KeyStore, signing: SigningKeys
) -> tuple[dict[str, str], list[str], list[Any], list[KeyProblem]]:
    """The key files on disk: fingerprints of those present, missing purposes, signing keys,
    and a problem for each damaged file."""
    problems: list[KeyProblem] = []
    present: dict[str, str] = {}
    missing: list[str] = []
    for purpose in KEY_PURPOSES:
        try:
            present[f"secret:{purpose}"] = store.fingerprint(purpose)
        except KeyMissing:
            missing.append(purpose)
        except KeyDamaged as exc:
            problems.append(
                _problem(
                    "key_damaged",
                    purpose,
                    f"密钥文件 {purpose} 已损坏（可能未写完整），请从备份恢复。",
                    str(exc),
                )
            )
    try:
        infos = signing.list()
    except KeyDamaged as exc:
        problems.append(
            _problem("key_damaged", "signing", "签名密钥文件已损坏，请从备份恢复。", str(exc))
        )
        infos = []
    for info in infos:
        present[f"signing:{info.kid}"] = _fingerprint_public(info.public_x)
    return present, missing, infos, problems


def check_key_store(store: KeyStore, *, force: bool = False) -> KeyState:
    """Compare the key store with the database; create keys only where nothing depends on them.

    `force` (from `flask keys init --force`) accepts the keys on disk as they are, creates the
    missing ones although data depends on them, and records them as the database's keys.
    Damaged key files are never accepted or overwritten.
    """
    facts = _read_facts()
    if isinstance(facts, KeyState):
        return facts
    store = KeyStore(store.directory)  # the files as they are now: no cache, never blocked
    signing = SigningKeys(store)
    present, missing, infos, problems = _key_files(store, signing)
    if problems:  # damaged files: never repaired by regeneration, whatever the flags
        return KeyState(LOCKED, problems)

    data_note = "数据库中已有用该密钥生成的数据"
    keyed_audit = facts.head is not None and facts.head.mac is not None

    def creatable(purpose: str) -> bool:
        if force or not facts.has_data:
            return True
        # A purpose added by an upgrade (the audit chain's key) has nothing depending on it yet.
        return (
            purpose == "audit-hmac"
            and not keyed_audit
            and "secret:audit-hmac" not in facts.recorded
        )

    for purpose in missing:
        if not creatable(purpose):
            problems.append(
                _problem(
                    "key_missing",
                    purpose,
                    f"密钥文件 {purpose} 不存在，但{data_note}；请从与数据库同时制作的备份恢复密钥库。",
                    f"key file {store.path(purpose)} is missing but the database holds data made "
                    "with it: restore the key store from the backup made with the database",
                )
            )
    has_active = any(info.retired_at is None for info in infos)
    signing_recorded = any(name.startswith("signing:") for name in facts.recorded)
    if not has_active and not (
        force
        or not facts.has_data
        or (not infos and not signing_recorded and not facts.has_certificates)
    ):
        problems.append(
            _problem(
                "signing_key_missing",
                "signing",
                "没有可用的证书签名密钥，但数据库中已有数据；请从备份恢复密钥库。",
                f"no active signing key in {signing.directory} although the database holds data",
            )
        )
    if facts.has_data and not force:  # without data, nothing depends on the recorded keys
        problems.extend(_mismatches(store, facts, present, infos))
    if problems:
        return KeyState(LOCKED, problems)

    created = [f"secret:{p}" for p in store.create_missing()]
    if not has_active:
        created.append(f"signing:{signing.ensure_active().kid}")
    try:
        _record(store, signing, facts, replace=force or not facts.has_data)
    except sa.exc.IntegrityError:  # another worker recorded them at the same moment
        return check_key_store(store, force=False)
    return KeyState(OK, [], created)


def _mismatches(
    store: KeyStore, facts: _Facts, present: dict[str, str], infos: list[Any]
) -> list[KeyProblem]:
    """Keys on disk that differ from the ones the data was made with."""
    problems = []
    for name, fingerprint in sorted(facts.recorded.items()):
        kind, _, key = name.partition(":")
        if name in present and not hmac.compare_digest(present[name], fingerprint):
            problems.append(
                _problem(
                    "key_mismatch",
                    key,
                    f"密钥 {key} 与数据库记录的不是同一把密钥；请从与数据库同时制作的备份恢复密钥库。",
                    f"key {name} on disk is not the key the database was made with",
                )
            )
        elif kind == "signing" and name not in present:
            problems.append(
                _problem(
                    "key_missing",
                    key,
                    f"签名密钥 {key} 不在密钥库中，用它签发的证书将无法验证；请从备份恢复。",
                    f"signing key {key} is missing from {store.directory / 'signing'}",
                )
            )
    known_kids = {info.kid for info in infos}
    for kid in sorted(facts.cert_kids - known_kids):
        if f"signing:{kid}" in facts.recorded:
            continue  # reported above
        problems.append(
            _problem(
                "key_missing",
                kid,
                f"证书由签名密钥 {kid} 签发，但该密钥不在密钥库中；请从备份恢复。",
                f"certificates are signed by key {kid}, which is not in the key store",
            )
        )
    # The data itself: one person's encrypted ID number must decrypt to its look-up hash.
    if (
        facts.person is not None
        and "secret:field-encryption" in present
        and "secret:lookup-hmac" in present
    ):
        try:
            cipher = FieldCipher(store.read("field-encryption"))
            id_number = cipher.decrypt(facts.person.id_encrypted, context="id_number")
            matches = hmac.compare_digest(
                lookup_hash(store.read("lookup-hmac"), id_number), facts.person.id_hash
            )
        except (InvalidTag, ValueError):
            matches = False
        if not matches:
            problems.append(
                _problem(
                    "key_mismatch",
                    "field-encryption",
                    "字段加密密钥或查找密钥与数据库中的人员数据不符；请从备份恢复密钥库。",
                    "field-encryption/lookup-hmac do not match the people table (a stored ID "
                    "number does not decrypt to its look-up hash)",
                )
            )
    head = facts.head
    if head is not None and head.mac is not None and "secret:audit-hmac" in present:
        expected = head_mac(store.read("audit-hmac"), head.count, head.last_hash)
        if not hmac.compare_digest(expected, head.mac):
            problems.append(
                _problem(
                    "key_mismatch",
                    "audit-hmac",
                    "审计密钥与数据库中的审计链不符；请从备份恢复密钥库。",
                    "audit-hmac does not verify the audit chain head",
                )
            )
    return problems


def _record(store: KeyStore, signing: SigningKeys, facts: _Facts, *, replace: bool) -> None:
    """Remember the fingerprints of the keys now on disk (the database's keys from now on).

    With `replace` (forced, or a database without data) a differing or vanished record is
    replaced; otherwise only keys the database has not seen yet are added.
    """
    now_present = {f"secret:{p}": store.fingerprint(p) for p in KEY_PURPOSES}
    for info in signing.list():
        now_present[f"signing:{info.kid}"] = _fingerprint_public(info.public_x)
    table = KeyFingerprint.__table__
    now = utcnow()
    with db.engine.begin() as conn:
        for name, fingerprint in now_present.items():
            if name not in facts.recorded:
                conn.execute(
                    table.insert().values(name=name, fingerprint=fingerprint, recorded_at=now)
                )
            elif facts.recorded[name] != fingerprint and replace:
                conn.execute(
                    table.update()
                    .where(table.c.name == name)
                    .values(fingerprint=fingerprint, recorded_at=now)
                )
        gone = [name for name in facts.recorded if name not in now_present]
        if gone and replace:
            conn.execute(table.delete().where(table.c.name.in_(gone)))


def record_new_keys(store: KeyStore) -> None:
    """Record keys created since the check (a rotation) in the caller's transaction."""
    table = KeyFingerprint.__table__
    recorded = set(db.session.scalars(sa.select(table.c.name)))
    now = utcnow()
    for info in SigningKeys(store).list():
        name = f"signing:{info.kid}"
        if name not in recorded:
            db.session.execute(
                table.insert().values(
                    name=name, fingerprint=_fingerprint_public(info.public_x), recorded_at=now
                )
            )


# ---- the app's state ---------------------------------------------------------------------------


def apply_key_state(app: Flask, state: KeyState) -> KeyState:
    """Make `state` the app's: block the key store while it does not match, log why."""
    store: KeyStore = app.extensions["jxjd_keystore"]
    previous = app.extensions.get(_STATE)
    app.extensions[_STATE] = state
    # Not decided yet (database down, schema missing) counts as not matching: no key is used.
    store.blocked = None if state.ok else state.summary()
    if state.ok:
        store.forget()  # keys may have been created or accepted: read them afresh
    if state.ok and app.extensions.get(_SECRET_FROM_STORE):
        app.config["SECRET_KEY"] = store.secret("session-secret").hex()
    if state.status == LOCKED:
        log.critical(
            "key store %s does not match the database; serving only /api/v1/health and "
            "/api/v1/ready until it does: %s",
            store.directory,
            state.summary(),
        )
    elif state.status == DEFERRED and (previous is None or previous.status != DEFERRED):
        log.warning("key store check deferred: %s", state.summary())
    if state.created:
        log.warning("created keys for a database without data: %s", ", ".join(state.created))
    return state


def prepare_key_store(app: Flask) -> KeyState:
    """The start-up check (create_app; the test fixture after migrating)."""
    with app.app_context():
        return apply_key_state(app, check_key_store(app.extensions["jxjd_keystore"]))


def session_secret(app: Flask, store: KeyStore) -> str:
    """SECRET_KEY from the key store, or a throw-away one until the store is checked."""
    app.extensions[_SECRET_FROM_STORE] = True
    try:
        return store.read("session-secret").hex()
    except KeyStoreError:
        return secrets.token_hex(32)


def key_state() -> KeyState:
    """The app's key state; one that could not be decided yet (deferred) is checked again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state: KeyState | None = app.extensions.get(_STATE)
    if state is None or state.status == DEFERRED:
        state = apply_key_state(app, check_key_store(app.extensions["jxjd_keystore"]))
    return state


def _unavailable(state: KeyState, *, with_reasons: bool) -> KeyStoreUnavailable:
    """The 503 problem for a key store that does not match (reasons only for readiness)."""
    if not with_reasons:
        detail = "服务暂不可用，请稍后再试或联系系统管理员。"
        return KeyStoreUnavailable(detail, headers={"Retry-After": "60"})
    detail = "服务暂不可用：" + "".join(p.message for p in state.problems)
    return KeyStoreUnavailable(
        detail, headers={"Retry-After": "60"}, errors=[p.as_error() for p in state.problems]
    )


def register_key_guard(app: Flask) -> None:
    """Answer 503 (problem+json) to every request but health and readiness while keys mismatch."""

    @app.before_request
    def _require_matching_keys():
        state = app.extensions.get(_STATE)
        if state is None or state.ok or request.endpoint in EXEMPT_ENDPOINTS:
            return None
        state = key_state()
        if state.ok:
            return None
        if state.status == DEFERRED and state.problems[0].code == "database_unavailable":
            # The request fails on the database itself (503 from the database handler); the
            # key store stays blocked, so nothing it does can use a key that was not checked.
            return None
        return render_problem(_unavailable(state, with_reasons=False))

    @app.errorhandler(KeyStoreError)
    def _key_store_error(exc: KeyStoreError):
        # A key that vanished or broke while running: 503 with the reason logged, never a 500.
        log.error("key store error: %s", exc)
        return render_problem(
            KeyStoreUnavailable(
                "服务暂不可用：密钥库无法读取，请联系系统管理员。",
                headers={"Retry-After": "60"},
            )
        )


def require_keys(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a CLI command that writes data: it refuses while the key store does not match."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not has_app_context():  # outside Flask's with_appcontext: push it as it would
            ctx = click.get_current_context()
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
        state = key_state()
        if not state.ok:
            lines = "\n".join(f"  - {p.detail}" for p in state.problems)
            raise click.ClickException(
                "the key store does not match the database; nothing was changed:\n"
                f"{lines}\nSee `flask --app app keys init --help`."
            )
        return command(*args, **kwargs)

    return wrapper


def guard_commands(*commands: click.Command) -> None:
    """Make each command (and each subcommand of a group) refuse while keys mismatch."""
    for command in commands:
        if isinstance(command, click.Group):
            guard_commands(*command.commands.values())
        elif command.callback is not None and not hasattr(command.callback, "_requires_keys"):
            command.callback = require_keys(command.callback)
            command.callback._requires_keys = True  # type: ignore[attr-defined]


# ---- readiness -------------------------------------------------------------------------------


class NotReady(KeyStoreUnavailable):
    code, title = "not_ready", "服务尚未就绪"


def not_ready(problems: list[KeyProblem]) -> NotReady:
    """The 503 answer of /api/v1/ready, each reason in `errors`."""
    return NotReady(
        "服务尚未就绪：" + "".join(p.message for p in problems),
        headers={"Retry-After": "30"},
        errors=[p.as_error() for p in problems],
    )


def readiness() -> list[KeyProblem]:
    """Why the instance should not receive traffic now (empty when ready)."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return [
            _problem(
                "database_unavailable",
                None,
                "数据库暂时无法连接。",
                f"the database cannot be reached: {exc.__class__.__name__}",
            )
        ]
    state = key_state()
    if not state.ok:
        return state.problems
    store: KeyStore = current_app.extensions["jxjd_keystore"]
    gone = [purpose for purpose in KEY_PURPOSES if not store.exists(purpose)]
    try:
        signing = SigningKeys(store).list()
    except KeyStoreError:
        signing = []
    if not any(info.retired_at is None for info in signing):
        gone.append("signing")
    return [
        _problem(
            "key_missing",
            name,
            f"密钥文件 {name} 已不在密钥库中；服务重启后将拒绝启动，请立即从备份恢复。",
            f"key {name} disappeared from {store.directory} while running",
        )
        for name in gone
    ]
