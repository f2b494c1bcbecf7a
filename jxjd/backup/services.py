"""One consistent snapshot of the database, the key store and the audit checkpoints, and its restore.

A backup folder (created 0700; files 0600) holds:

    manifest.json            format, app version, Alembic revision, database kind, created_at, the
                             row count of every table, the keys' fingerprints, the audit head, and
                             the size and SHA-256 of every other file
    database.dump            PostgreSQL: `pg_dump --format=custom` taken in the very snapshot the
                             row counts were read in (`pg_export_snapshot()`)
    database.sqlite3         SQLite: a copy by the online backup API, consistent while the app runs
    keys/…                   the key store (JXJD_KEY_DIR), folders 0700 and files 0600 as they are
    audit-checkpoints.jsonl  the audit checkpoint file (when there is one)

The order makes the three agree. The checkpoint file is copied first, so every checkpoint in the
backup counts no more events than the database snapshot holds (`flask audit verify` passes after a
restore). The key store is copied after the snapshot: every key that signed a certificate in the
snapshot is there (keys are never deleted), and a key rotated in between is only an extra key. The
key store is fingerprinted before the snapshot and after the copy; a change in between (`keys
rotate` or `keys compromise` ran during the backup) fails the backup, to be run again.

Restore goes into an empty database and an empty (or identical) key store only, and checks
everything before it changes anything: every file's checksum, the database kind, the Alembic
revision, that the database and the key store are empty. Afterwards it checks the result: every
table's row count, the start-up key check, and the audit chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from jxjd.common.crypto import KEY_PURPOSES, KeyStore, KeyStoreError
from jxjd.common.files import PRIVATE_DIR, PRIVATE_FILE, private_dir, private_file, tighten
from jxjd.common.time import utcnow
from jxjd.extensions import db

FORMAT = "jxjd-backup/1"
MANIFEST = "manifest.json"
KEYS_DIR = "keys"
CHECKPOINTS = "audit-checkpoints.jsonl"
DUMP = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

Echo = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do (English)."""


@dataclass
class Snapshot:
    """What the database snapshot held."""

    kind: str
    file: str
    tables: dict[str, int]
    revision: str | None
    audit: dict[str, Any]
    recorded_keys: dict[str, str]
    server_version: str | None = None


@dataclass
class RestoreReport:
    """The outcome of a restore: what was restored and which checks ran."""

    tables: dict[str, int]
    keys_copied: int
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---- helpers ------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.0f} B"


def app_version() -> str:
    """The version in pyproject.toml (the app is run from its repository)."""
    try:
        path = Path(__file__).resolve().parents[2] / "pyproject.toml"
        return str(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def database_kind(url: str) -> str:
    """postgresql or sqlite; BackupError for anything else."""
    backend = make_url(url).get_backend_name()
    if backend not in DUMP:
        raise BackupError(f"backups support PostgreSQL and SQLite databases, not {backend}")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def key_files(directory: Path, skip: Path | None = None) -> dict[str, Path]:
    """Every key file of a key store by relative path (checkpoints, lock and temp files skipped)."""
    files: dict[str, Path] = {}
    if not directory.is_dir():
        return files
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if rel.as_posix() == CHECKPOINTS or (skip is not None and path.resolve() == skip.resolve()):
            continue  # the checkpoint file (the configured one, or an old one): never a key
        files[rel.as_posix()] = path
    return files


def _key_state(directory: Path, skip: Path | None) -> dict[str, str]:
    """Each key file's SHA-256: what "the key store changed" is measured by."""
    return {rel: _sha256(path) for rel, path in key_files(directory, skip).items()}


def key_fingerprints(directory: Path) -> dict[str, str]:
    """The fingerprints the start-up check compares (`secret:<purpose>`, `signing:<kid>`)."""
    from jxjd.certificates.signing import SigningKeys

    store = KeyStore(directory)
    found: dict[str, str] = {}
    for purpose in KEY_PURPOSES:
        try:
            found[f"secret:{purpose}"] = store.fingerprint(purpose)
        except KeyStoreError:
            continue
    try:
        infos = SigningKeys(store).list()
    except KeyStoreError:
        infos = []
    for info in infos:
        found[f"signing:{info.kid}"] = hashlib.sha256(info.public_x.encode("ascii")).hexdigest()
    return found


def _checkpoint_file() -> Path:
    from jxjd.audit.services import checkpoint_path

    return checkpoint_path()


def _copy_private(source: Path, target: Path, mode: int = PRIVATE_FILE) -> None:
    """Copy one file to a new owner-only file (never more than `mode` allows, never over one)."""
    private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, mode & PRIVATE_FILE)


def _whole_lines(data: bytes) -> bytes:
    """An append-only file up to its last complete line (a line being appended is left out)."""
    end = data.rfind(b"\n")
    return data[: end + 1] if end >= 0 else b""


def _revisions() -> tuple[set[str], set[str]]:
    """(every revision the code's migrations know, the heads)."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return {rev.revision for rev in script.walk_revisions()}, set(script.get_heads())


def _read_snapshot_facts(conn: sa.Connection, tables: list[str]) -> dict[str, Any]:
    """Row counts, Alembic revision, audit head and recorded keys, all in `conn`'s snapshot."""
    quote = conn.dialect.identifier_preparer.quote
    counts = {
        name: int(conn.execute(sa.text(f"SELECT count(*) FROM {quote(name)}")).scalar_one())
        for name in sorted(tables)
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    audit: dict[str, Any] = {}
    if "audit_heads" in tables:
        row = conn.execute(sa.text("SELECT count, last_hash FROM audit_heads WHERE id = 1")).first()
        if row is not None:
            audit = {"count": int(row[0]), "last_hash": row[1]}
    recorded: dict[str, str] = {}
    if "key_fingerprints" in tables:
        rows = conn.execute(sa.text("SELECT name, fingerprint FROM key_fingerprints"))
        recorded = {name: fingerprint for name, fingerprint in rows}
    return {"tables": counts, "revision": revision, "audit": audit, "recorded_keys": recorded}


# ---- PostgreSQL ---------------------------------------------------------------------------------


def _pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the tools (no password) and the environment with it."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    params: dict[str, Any] = {
        "dbname": parsed.database,
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
    }
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    text = make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})
    return text, env


def pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore: in JXJD_PG_BIN if set, else on PATH."""
    folder = current_app.config.get("JXJD_PG_BIN")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        where = f"in JXJD_PG_BIN={folder}" if folder else "on PATH"
        raise BackupError(
            f"{name} was not found {where}: install the PostgreSQL client of the server's "
            "version (e.g. apt-get install postgresql-client-15) or set JXJD_PG_BIN to its bin "
            "folder"
        )
    return path


def _tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    if not match:
        raise BackupError(f"cannot tell the version of {path}: {out.strip()}")
    return int(match.group(1))


def _check_tool_version(path: str, server_num: int) -> None:
    server_major = server_num // 10000
    if _tool_major(path) < server_major:
        raise BackupError(
            f"{path} is older than the PostgreSQL {server_major} server: use the client of the "
            f"server's version (JXJD_PG_BIN=/usr/lib/postgresql/{server_major}/bin)"
        )


def _run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


def _pg_snapshot(target: Path) -> Snapshot:
    """pg_dump -Fc of the database in one exported snapshot, counted in the same snapshot."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    tool = pg_tool("pg_dump")
    conninfo, env = _pg_conninfo(url)
    out = target / DUMP["postgresql"]
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            snapshot_id = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            server_num = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
            server_version = conn.execute(sa.text("SHOW server_version")).scalar_one()
            _check_tool_version(tool, server_num)
            tables = sa.inspect(conn).get_table_names()
            facts = _read_snapshot_facts(conn, tables)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            os.close(fd)
            command = [tool, "--format=custom", "--no-password", f"--snapshot={snapshot_id}"]
            command += ["--lock-wait-timeout=60000", f"--file={out}", f"--dbname={conninfo}"]
            _run_tool(command, env, "pg_dump")
    tighten(out, PRIVATE_FILE)
    return Snapshot("postgresql", out.name, server_version=server_version, **facts)


def _pg_relations(conn: sa.Connection) -> list[str]:
    """Tables, views, sequences and types outside the system schemas (empty: an empty database)."""
    rows = conn.execute(
        sa.text(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "UNION ALL SELECT n.nspname || '.' || t.typname FROM pg_type t "
            "JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND t.typtype IN ('e', 'd', 'r') "
            "ORDER BY 1"
        )
    )
    return [name for (name,) in rows]


def _pg_restore(source: Path) -> None:
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    tool = pg_tool("pg_restore")
    conninfo, env = _pg_conninfo(url)
    command = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    command += ["--no-password", f"--dbname={conninfo}", str(source)]
    _run_tool(command, env, "pg_restore")


# ---- SQLite -------------------------------------------------------------------------------------


def _sqlite_snapshot(target: Path) -> Snapshot:
    """A copy by SQLite's online backup API (one step: a consistent snapshot), counted in it."""
    source = _sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist")
    out = target / DUMP["sqlite"]
    os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    busy_ms = int(current_app.config["JXJD_DB_LOCK_TIMEOUT"] * 1000)
    src = sqlite3.connect(source, timeout=busy_ms / 1000)
    dst = sqlite3.connect(out)
    try:
        src.backup(dst)  # pages=-1: the whole database in one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copied SQLite database fails its integrity check: {check}")
    finally:
        src.close()
        dst.close()
    tighten(out, PRIVATE_FILE)
    engine = sa.create_engine(f"sqlite:///{out}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if not t.startswith("sqlite_")]
            facts = _read_snapshot_facts(conn, tables)
    finally:
        engine.dispose()
    return Snapshot("sqlite", out.name, server_version=sqlite3.sqlite_version, **facts)


def _sqlite_objects(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [name for (name,) in rows]
    finally:
        conn.close()


def _sqlite_restore(source: Path) -> None:
    target = _sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.engine.dispose()  # no pooled connection keeps the empty file's old state
    for suffix in ("", "-wal", "-shm", "-journal"):  # the empty database (checked: no tables)
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    private_file(target)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        tighten(target.with_name(target.name + suffix), PRIVATE_FILE)


# ---- backup -------------------------------------------------------------------------------------


def _new_folder(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder: name a new one")
    private_dir(target)
    os.chmod(target, PRIVATE_DIR)


def create_backup(target: str | os.PathLike[str], echo: Echo = print) -> dict[str, Any]:
    """Write a backup into the new folder `target`; the manifest. BackupError when it cannot."""
    target = Path(target)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    kind = database_kind(url)
    if kind == "sqlite":
        _sqlite_path(url)
    key_dir = Path(current_app.config["JXJD_KEY_DIR"])
    checkpoints = _checkpoint_file()
    existed = target.exists()
    _new_folder(target)
    started = time.monotonic()
    try:
        return _write_backup(target, kind, key_dir, checkpoints, echo, started)
    except BaseException:
        # A partial backup is no backup; an empty folder given by the operator stays.
        for child in list(target.iterdir()) if existed else [target]:
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        raise


def _write_backup(
    target: Path, kind: str, key_dir: Path, checkpoints: Path, echo: Echo, started: float
) -> dict[str, Any]:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    echo(f"backup of {url.render_as_string(hide_password=True)} into {target}")
    keys_before = _key_state(key_dir, checkpoints)
    if not keys_before:
        raise BackupError(f"the key store {key_dir} is empty: there is nothing to back up with")
    # Checkpoints first: each then counts no more events than the database snapshot holds.
    has_checkpoints = _backup_checkpoints(target, checkpoints, echo)
    snapshot = _backup_database(target, kind, echo)
    fingerprints, warnings = _backup_keys(target, key_dir, checkpoints, keys_before, snapshot, echo)
    manifest = _write_manifest(target, kind, snapshot, fingerprints, has_checkpoints, warnings)
    total = sum(f["size"] for f in manifest["files"].values())
    echo(
        f"  [4/4] manifest: {len(manifest['files'])} files, {_size(total)}, SHA-256 each, "
        f"in {time.monotonic() - started:.1f} s"
    )
    echo(
        "backup complete: the database and the key store that made it, taken together. Keep "
        "the folder off this machine; it holds the keys (anyone with it can read ID numbers)."
    )
    return manifest


def _backup_checkpoints(target: Path, checkpoints: Path, echo: Echo) -> bool:
    """Step 1: copy the audit checkpoint file's whole lines; whether there was one."""
    if not checkpoints.is_file():
        echo(f"  [1/4] audit checkpoints: none yet ({checkpoints} does not exist)")
        return False
    data = _whole_lines(checkpoints.read_bytes())
    fd = os.open(target / CHECKPOINTS, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    lines = data.count(b"\n")
    echo(f"  [1/4] audit checkpoints: {lines} lines from {checkpoints}")
    return True


def _backup_database(target: Path, kind: str, echo: Echo) -> Any:
    """Step 2: the database, in one snapshot with its row counts."""
    echo(f"  [2/4] database: counting rows and copying in one snapshot ({kind}) …")
    t0 = time.monotonic()
    snapshot = _pg_snapshot(target) if kind == "postgresql" else _sqlite_snapshot(target)
    size = (target / snapshot.file).stat().st_size
    echo(
        f"  [2/4] database ({kind} {snapshot.server_version}, revision {snapshot.revision}): "
        f"{_size(size)}, {len(snapshot.tables)} tables, {sum(snapshot.tables.values()):,} rows, "
        f"{snapshot.audit.get('count', 0):,} audit events, in {time.monotonic() - t0:.1f} s"
    )
    return snapshot


def _backup_keys(
    target: Path,
    key_dir: Path,
    checkpoints: Path,
    keys_before: dict[str, str],
    snapshot: Any,
    echo: Echo,
) -> tuple[dict[str, str], list[str]]:
    """Step 3: the key store, after the snapshot and unchanged since before it."""
    copied = key_files(key_dir, checkpoints)
    for rel, path in copied.items():
        _copy_private(path, target / KEYS_DIR / rel, path.stat().st_mode)
    keys_after = _key_state(key_dir, checkpoints)
    if keys_after != keys_before:
        changed = sorted(set(keys_after.items()) ^ set(keys_before.items()))
        raise BackupError(
            "the key store changed during the backup (a `keys rotate`, `keys compromise` or "
            f"`keys init` ran: {', '.join(sorted({rel for rel, _ in changed}))}); nothing was "
            "kept: run the backup again"
        )
    fingerprints = key_fingerprints(target / KEYS_DIR)
    echo(f"  [3/4] key store: {len(copied)} files ({len(fingerprints)} keys) from {key_dir}")
    warnings = _key_warnings(snapshot.recorded_keys, fingerprints)
    for warning in warnings:
        echo(f"  WARNING: {warning}")
    return fingerprints, warnings


def _write_manifest(
    target: Path,
    kind: str,
    snapshot: Any,
    fingerprints: dict[str, str],
    has_checkpoints: bool,
    warnings: list[str],
) -> dict[str, Any]:
    """Step 4: the manifest, with every file's checksum, size and mode."""
    files = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        files[path.relative_to(target).as_posix()] = {
            "sha256": _sha256(path),
            "size": path.stat().st_size,
            "mode": f"{path.stat().st_mode & 0o777:04o}",
        }
    manifest = {
        "format": FORMAT,
        "app_version": app_version(),
        "alembic_revision": snapshot.revision,
        "created_at": utcnow().isoformat(timespec="seconds"),
        "database": {
            "kind": kind,
            "file": snapshot.file,
            "server_version": snapshot.server_version,
        },
        "tables": snapshot.tables,
        "audit": snapshot.audit,
        "keys": fingerprints,
        "checkpoints": CHECKPOINTS if has_checkpoints else None,
        "warnings": warnings,
        "files": files,
    }
    fd = os.open(target / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return manifest


def _key_warnings(recorded: dict[str, str], present: dict[str, str]) -> list[str]:
    """What the snapshot's recorded fingerprints say about the copied key store."""
    warnings = []
    missing = sorted(name for name in recorded if name not in present)
    differing = sorted(n for n in recorded if n in present and recorded[n] != present[n])
    if missing or differing:
        names = ", ".join(missing + differing)
        warnings.append(
            f"the key store does not match the database ({names}); the app refuses to serve "
            "with it, and so will a restore of this backup: find the key store made with this "
            "database"
        )
    newer = sorted(name for name in present if name not in recorded)
    if newer and recorded:
        warnings.append(
            f"keys newer than the database snapshot ({', '.join(newer)}): harmless, they are "
            "recorded when the restored app starts"
        )
    return warnings


# ---- restore ------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, checked for its format and safe file names."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source / MANIFEST} is missing: {source} is not a backup") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a {FORMAT} backup")
    for rel in manifest.get("files", {}):
        parts = rel.split("/")
        if not all(_SAFE_NAME.fullmatch(part) for part in parts):
            raise BackupError(f"the manifest names an unsafe file {rel!r}: refusing the backup")
    return manifest


def verify_files(source: Path, manifest: dict[str, Any], echo: Echo = print) -> int:
    """Check every file's size and SHA-256 against the manifest; the bytes checked."""
    files = manifest.get("files") or {}
    database = manifest.get("database", {}).get("file")
    if database not in files:
        raise BackupError("the manifest lists no database file: refusing the backup")
    checked = 0
    for rel, meta in sorted(files.items()):
        path = source / rel
        if not path.is_file():
            raise BackupError(f"{rel} is missing from the backup: nothing was restored")
        if path.stat().st_size != meta.get("size") or _sha256(path) != meta.get("sha256"):
            raise BackupError(
                f"{rel} does not match its checksum in the manifest (damaged or altered): "
                "nothing was restored"
            )
        checked += path.stat().st_size
    return checked


def _check_key_target(source: Path, key_dir: Path, skip: Path) -> int:
    """0 when the target key store is empty, the file count when it is this backup's already."""
    existing = key_files(key_dir, skip)
    if not existing:
        return 0
    wanted = key_files(source / KEYS_DIR)
    for rel in sorted(set(existing) | set(wanted)):
        if (
            rel not in existing
            or rel not in wanted
            or _sha256(existing[rel]) != _sha256(wanted[rel])
        ):
            raise BackupError(
                f"the key store {key_dir} is not empty and differs from the backup's ({rel}): "
                "restore into an empty JXJD_KEY_DIR (move the other key store aside; never mix "
                "two)"
            )
    return len(existing)


def _check_checkpoint_target(source: Path, manifest: dict[str, Any], target: Path) -> None:
    if not target.is_file() or target.stat().st_size == 0:
        return
    name = manifest.get("checkpoints")
    if name and (source / name).read_bytes() == target.read_bytes():
        return
    raise BackupError(
        f"the audit checkpoint file {target} already exists and differs from the backup's: move "
        "it aside (keep it as evidence) and restore again"
    )


def restore_backup(source: str | os.PathLike[str], app: Flask, echo: Echo = print) -> RestoreReport:
    """Restore the backup in `source` into this app's empty database and key store."""
    source = Path(source)
    echo(f"restore from {source}")
    manifest = read_manifest(source)
    kind = database_kind(current_app.config["SQLALCHEMY_DATABASE_URI"])
    # Everything is checked before anything changes.
    revision, heads = _check_backup(source, manifest, kind, echo)
    key_dir = Path(current_app.config["JXJD_KEY_DIR"])
    checkpoints = _checkpoint_file()
    in_place = _check_targets(source, manifest, kind, key_dir, checkpoints, echo)
    _restore_database(source, manifest, kind, echo)
    copied = _restore_keys(source, manifest, key_dir, checkpoints, in_place, app, echo)
    report = _check_restored(manifest, kind, revision, heads, copied, app)
    echo(f"  [5/5] checked: {', '.join(report.checks)}")
    for note in report.notes:
        echo(f"  NOTE: {note}")
    echo(f"restore complete: {sum(report.tables.values()):,} rows in {len(report.tables)} tables")
    return report


def _check_backup(
    source: Path, manifest: dict[str, Any], kind: str, echo: Echo
) -> tuple[str | None, set[str]]:
    """Step 1: every checksum, the database kind and a schema revision this app knows."""
    t0 = time.monotonic()
    checked = verify_files(source, manifest)
    echo(
        f"  [1/5] checksums: {len(manifest['files'])} files, {_size(checked)} match the manifest "
        f"(backup of {manifest['created_at']}, app {manifest.get('app_version')}) "
        f"in {time.monotonic() - t0:.1f} s"
    )
    if manifest["database"]["kind"] != kind:
        raise BackupError(
            f"the backup holds a {manifest['database']['kind']} database but DATABASE_URL is "
            f"{kind}: restore into the same kind of database"
        )
    known, heads = _revisions()
    revision = manifest.get("alembic_revision")
    if revision is not None and revision not in known:
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this version of the app "
            "(made by a newer one?): restore with the version that made it"
        )
    return revision, heads


def _check_targets(
    source: Path,
    manifest: dict[str, Any],
    kind: str,
    key_dir: Path,
    checkpoints: Path,
    echo: Echo,
) -> bool:
    """Step 2: an empty database, and a key store that is empty or this backup's already."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if kind == "postgresql":
        with db.engine.connect() as conn:
            objects = _pg_relations(conn)
        target_name = make_url(url).render_as_string(hide_password=True)
    else:
        objects = _sqlite_objects(_sqlite_path(url))
        target_name = str(_sqlite_path(url))
    if objects:
        shown = ", ".join(objects[:5]) + (" …" if len(objects) > 5 else "")
        raise BackupError(
            f"the database {target_name} is not empty ({len(objects)} objects: {shown}); "
            "restore needs an empty database: "
            + ("create a new one (createdb)" if kind == "postgresql" else "name a new file")
            + " and point DATABASE_URL at it. Nothing was changed."
        )
    in_place = _check_key_target(source, key_dir, checkpoints)
    _check_checkpoint_target(source, manifest, checkpoints)
    echo(
        f"  [2/5] target: {kind} database {target_name} is empty; key store {key_dir} is "
        + ("this backup's already" if in_place else "empty")
    )
    return in_place > 0


def _restore_database(source: Path, manifest: dict[str, Any], kind: str, echo: Echo) -> None:
    """Step 3: the database, with pg_restore or SQLite's backup API."""
    t0 = time.monotonic()
    database_file = source / manifest["database"]["file"]
    echo(
        f"  [3/5] database: restoring {database_file.name} ({_size(database_file.stat().st_size)}) …"
    )
    if kind == "postgresql":
        _pg_restore(database_file)
    else:
        _sqlite_restore(database_file)
    db.session.remove()
    db.engine.dispose()
    echo(f"  [3/5] database restored in {time.monotonic() - t0:.1f} s")


def _restore_keys(
    source: Path,
    manifest: dict[str, Any],
    key_dir: Path,
    checkpoints: Path,
    in_place: bool,
    app: Flask,
    echo: Echo,
) -> int:
    """Step 4: the key store and the checkpoint file; how many key files were copied."""
    wanted = key_files(source / KEYS_DIR)
    if not in_place:
        private_dir(key_dir)
        for rel, path in wanted.items():
            mode = int(manifest["files"][f"{KEYS_DIR}/{rel}"]["mode"], 8)
            _copy_private(path, key_dir / rel, mode)
    name = manifest.get("checkpoints")
    if name and not (checkpoints.is_file() and checkpoints.stat().st_size):  # else: identical
        checkpoints.unlink(missing_ok=True)  # an empty file
        _copy_private(source / name, checkpoints)
    app.extensions["jxjd_keystore"].forget()
    echo(
        f"  [4/5] key store: {len(wanted)} files into {key_dir}"
        + (f"; audit checkpoints into {checkpoints}" if name else "")
    )
    return 0 if in_place else len(wanted)


def _check_restored(
    manifest: dict[str, Any],
    kind: str,
    revision: str | None,
    heads: set[str],
    copied: int,
    app: Flask,
) -> RestoreReport:
    """Step 5: row counts as in the manifest; the key check and the audit chain."""
    report = RestoreReport(tables=_count_tables(kind), keys_copied=copied)
    expected = manifest["tables"]
    if report.tables != expected:
        diffs = [
            f"{t}: {report.tables.get(t)} rows, backup {expected.get(t)}"
            for t in sorted(set(report.tables) | set(expected))
            if report.tables.get(t) != expected.get(t)
        ]
        raise BackupError("the restored database differs from the backup: " + "; ".join(diffs))
    report.checks.append(f"row counts of {len(expected)} tables")
    if revision not in heads:
        report.notes.append(
            f"the backup's schema revision {revision} is older than this app's: run `flask --app "
            "app db upgrade`, then `flask --app app keys init` and `flask --app app audit verify`"
        )
    else:
        _check_keys_and_audit(app, report)
    return report


def _count_tables(kind: str) -> dict[str, int]:
    with db.engine.connect() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if not t.startswith("sqlite_")]
        return _read_snapshot_facts(conn, tables)["tables"]


def _check_keys_and_audit(app: Flask, report: RestoreReport) -> None:
    """The start-up key check and `flask audit verify` on what was restored."""
    from jxjd.audit.services import verify_chain
    from jxjd.keys.services import apply_key_state, check_key_store

    state = apply_key_state(app, check_key_store(app.extensions["jxjd_keystore"]))
    if not state.ok:
        raise BackupError(
            "the restored key store does not match the restored database: " + state.summary()
        )
    report.checks.append("start-up key check")
    chain = verify_chain()
    db.session.remove()
    if chain.reason is not None:
        where = f"event {chain.broken_at}" if chain.broken_at else "chain head"
        raise BackupError(f"the restored audit chain is broken at {where}: {chain.reason}")
    report.checks.append(f"audit chain ({chain.checked:,} events, {chain.checkpoints} checkpoints)")
