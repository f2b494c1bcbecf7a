"""`flask backup` / `flask restore` (CONTRACT §15): a round trip on the test database's kind that
compares every table row by row and verifies every certificate; refusals that change nothing.

On PostgreSQL the restore goes into a second database created on the test server, with pg_dump
and pg_restore from JXJD_PG_BIN, else the newest /usr/lib/postgresql/*/bin (the binaries
scripts/test.sh starts the server with), else PATH.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from jxjd import create_app
from jxjd.audit.services import write_checkpoint
from jxjd.backup import services as backup_services
from jxjd.certificates.services import signing_keys
from jxjd.common.crypto import reveal_id_number
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.verify.services import verify_certificate
from tests.fixtures.attendance import trainees
from tests.verify.support import YEAR, issue_via_api


def _pg_bin() -> str | None:
    if os.environ.get("JXJD_PG_BIN"):
        return os.environ["JXJD_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return found[-1] if found else None


@pytest.fixture
def checkpoint_file(app, tmp_path, monkeypatch) -> Path:
    """The source app's audit checkpoints in a file of this test (outside the key store)."""
    path = tmp_path / "source-checkpoints.jsonl"
    monkeypatch.setitem(app.config, "JXJD_AUDIT_CHECKPOINTS", str(path))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        monkeypatch.setitem(app.config, "JXJD_PG_BIN", _pg_bin())
    return path


@pytest.fixture
def empty_target(app, tmp_path):
    """empty_target() → (a new app on an empty database of the same kind, its key folder)."""
    made: list[tuple] = []

    def make():
        source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        name = None
        if source.get_backend_name() == "postgresql":
            name = f"jxjd_restore_{secrets.token_hex(4)}"
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = source.set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp_path / f'restored-{len(made)}.sqlite3'}"
        keys = tmp_path / f"restored-keys-{len(made)}"
        target = create_app(
            {
                "TESTING_CONFIG": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "JXJD_KEY_DIR": str(keys),
                "JXJD_QR_CACHE_DIR": str(tmp_path / "restored-qr"),
                "JXJD_PUBLIC_URL": app.config["JXJD_PUBLIC_URL"],
                "JXJD_PG_BIN": app.config.get("JXJD_PG_BIN"),
                "JXJD_VERIFY_CACHE_SIZE": 0,
            }
        )
        made.append((target, name))
        return target, keys

    yield make
    for target, name in made:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
        if name:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def data_in_use(
    app, client, create_base, create_filed_plan, base_headers, make_headers, make_account
):
    """A database in use: bases, plans, sessions, two uploads under two signing keys, a
    revocation, people, a grant, tokens, accounts, audit events and a checkpoint."""
    from jxjd.keys.services import prepare_key_store

    # The suite empties every table between tests: record the keys' fingerprints again, as the
    # start-up check does for an empty database.
    assert prepare_key_store(app).ok
    base = create_base()
    headers = base_headers(base)
    plan = create_filed_plan(base, year=YEAR)
    first = issue_via_api(client, base, headers, plan, trainees(25))
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    second = issue_via_api(client, base, headers, plan, trainees(20))
    revoked = first[3]["serial"]
    resp = client.post(
        f"/api/v1/certificates/{revoked}/revoke", json={"reason": "培训记录有误"}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    person = db.session.scalar(sa.select(Person).order_by(Person.id))
    holder = make_headers(
        "person", name=person.name, id_number=reveal_id_number(person.id_encrypted)
    )
    grant = {"employer_name": "湖南某某科技有限公司", "from": 2025, "to": 2026, "days": 30}
    assert client.post("/api/v1/me/grants", json=grant, headers=holder).status_code == 201
    make_account("admin", username="backup-admin")
    write_checkpoint()
    db.session.commit()
    return {"serials": [c["serial"] for c in first + second], "revoked": revoked}


def _rows(app) -> dict[str, list[tuple]]:
    """Every row of every table of `app`'s database, in primary-key order."""
    with app.app_context():
        with db.engine.connect() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn)
            rows = {}
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*order))]
        return rows


def _backup(app, folder: Path):
    result = app.test_cli_runner().invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    return result


def _restore(target, folder: Path):
    with target.app_context():  # the suite's app context is pushed: the CLI would reuse it
        return target.test_cli_runner().invoke(args=["restore", str(folder)])


def _is_empty(target, keys: Path) -> bool:
    with target.app_context():
        with db.engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
    return not tables and not (keys.exists() and any(keys.iterdir()))


def test_round_trip_restores_every_row_and_every_certificate_verifies(
    app, tmp_path, checkpoint_file, data_in_use, empty_target
):
    folder = tmp_path / "backup"
    result = _backup(app, folder)
    for step in ("[1/4] audit checkpoints", "[2/4] database", "[3/4] key store", "[4/4] manifest"):
        assert step in result.output
    assert "backup complete" in result.output
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    manifest = json.loads((folder / "manifest.json").read_text())
    kind = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    assert manifest["database"]["kind"] == kind
    assert manifest["alembic_revision"] and manifest["app_version"]
    assert manifest["tables"]["certificates"] == 45 and manifest["tables"]["grants"] == 1
    # Every signing key of the store (the session's store: earlier tests may have rotated too).
    signing = {k for k in manifest["keys"] if k.startswith("signing:")}
    store = backup_services.key_fingerprints(Path(app.config["JXJD_KEY_DIR"]))
    assert len(signing) >= 2 and signing == {k for k in store if k.startswith("signing:")}
    assert manifest["warnings"] == []
    for rel, meta in manifest["files"].items():
        path = folder / rel
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, rel
        assert meta["sha256"] == backup_services._sha256(path)
    for folder_path in [folder / "keys", folder / "keys" / "signing"]:
        assert stat.S_IMODE(folder_path.stat().st_mode) == 0o700

    target, keys = empty_target()
    restored = _restore(target, folder)
    assert restored.exit_code == 0, restored.output
    for step in ("[1/5] checksums", "[3/5] database restored", "[5/5] checked", "audit chain"):
        assert step in restored.output
    assert "start-up key check" in restored.output

    source_rows, target_rows = _rows(app), _rows(target)
    assert set(source_rows) == set(target_rows)
    for table, rows in source_rows.items():
        assert target_rows[table] == rows, table  # every table, row by row
    for table in (
        "bases",
        "plans",
        "training_sessions",
        "attendance_uploads",
        "attendance_records",
        "certificates",
        "people",
        "grants",
        "api_tokens",
        "accounts",
        "audit_events",
        "key_fingerprints",
    ):
        assert target_rows[table], table  # the round trip carried real data in each

    # The key store came back as it was, owner-only.
    with app.app_context():
        source_keys = backup_services.key_files(Path(app.config["JXJD_KEY_DIR"]))
    restored_keys = backup_services.key_files(keys)
    assert set(restored_keys) == set(source_keys)
    for rel, path in restored_keys.items():
        assert path.read_bytes() == source_keys[rel].read_bytes()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert (keys / "audit-checkpoints.jsonl").read_bytes() == checkpoint_file.read_bytes()

    # Every certificate verifies through the verify service of the restored app.
    with target.app_context():
        for serial in data_in_use["serials"]:
            expected = "revoked" if serial == data_in_use["revoked"] else "valid"
            assert verify_certificate(serial=serial).result == expected, serial
            token = db.session.scalar(
                sa.text("SELECT token FROM certificates WHERE serial = :s"), {"s": serial}
            )
            assert verify_certificate(token=token).result == expected
        person = db.session.scalar(sa.select(Person).order_by(Person.id))
        assert len(reveal_id_number(person.id_encrypted)) == 18  # the field key came back too
        db.session.remove()
    client = target.test_client()
    resp = client.get(f"/api/v1/verify?serial={data_in_use['serials'][-1]}")
    assert resp.status_code == 200 and resp.get_json()["result"] == "valid"
    assert client.get("/api/v1/ready").status_code == 200


def test_restore_refuses_a_corrupted_backup_and_changes_nothing(
    app, tmp_path, checkpoint_file, data_in_use, empty_target
):
    folder = tmp_path / "backup"
    _backup(app, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    for rel in (manifest["database"]["file"], "keys/field-encryption.key"):
        copy = tmp_path / f"corrupt-{rel.replace('/', '-')}"
        shutil.copytree(folder, copy)
        path = copy / rel
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01  # one flipped bit
        path.write_bytes(bytes(data))
        target, keys = empty_target()
        result = _restore(target, copy)
        assert result.exit_code != 0
        assert f"{rel} does not match its checksum" in result.output
        assert "nothing was restored" in result.output
        assert _is_empty(target, keys)
    # A file missing, an edited manifest, a manifest naming a path outside the folder.
    missing = tmp_path / "missing"
    shutil.copytree(folder, missing)
    (missing / "keys" / "lookup-hmac.key").unlink()
    target, keys = empty_target()
    result = _restore(target, missing)
    assert "keys/lookup-hmac.key is missing" in result.output and _is_empty(target, keys)
    unsafe = tmp_path / "unsafe"
    shutil.copytree(folder, unsafe)
    edited = dict(manifest, files={**manifest["files"], "../escape": {"sha256": "", "size": 0}})
    (unsafe / "manifest.json").write_text(json.dumps(edited))
    result = _restore(target, unsafe)
    assert "unsafe file '../escape'" in result.output and _is_empty(target, keys)
    other_kind = tmp_path / "other-kind"
    shutil.copytree(folder, other_kind)
    kind = manifest["database"]["kind"]
    swapped = {"sqlite": "postgresql", "postgresql": "sqlite"}[kind]
    edited = dict(manifest, database={**manifest["database"], "kind": swapped})
    (other_kind / "manifest.json").write_text(json.dumps(edited))
    result = _restore(target, other_kind)
    assert f"holds a {swapped} database but DATABASE_URL is {kind}" in result.output
    assert _is_empty(target, keys)
    result = _restore(target, tmp_path)  # not a backup
    assert "manifest.json is missing" in result.output


def test_restore_refuses_a_database_or_key_store_that_is_not_empty(
    app, tmp_path, checkpoint_file, data_in_use, empty_target
):
    folder = tmp_path / "backup"
    _backup(app, folder)
    target, keys = empty_target()
    assert _restore(target, folder).exit_code == 0
    again = _restore(target, folder)  # the database now holds the data
    assert again.exit_code != 0 and "is not empty" in again.output
    assert "Nothing was changed" in again.output

    # An empty database, but somebody else's key store in JXJD_KEY_DIR.
    other, other_keys = empty_target()
    shutil.copytree(folder / "keys", other_keys)
    (other_keys / "lookup-hmac.key").write_bytes(b"c29tZWJvZHkgZWxzZSdzIGtleSwgMzIgYnl0ZXMhIQ==\n")
    refused = _restore(other, folder)
    assert refused.exit_code != 0
    assert "is not empty and differs from the backup's (lookup-hmac.key)" in refused.output
    with other.app_context():
        with db.engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []

    # The same key store already in place is fine (e.g. a shared volume).
    same, same_keys = empty_target()
    shutil.copytree(folder / "keys", same_keys)
    result = _restore(same, folder)
    assert result.exit_code == 0, result.output
    assert "is this backup's already" in result.output


def test_backup_refuses_a_folder_in_use_and_a_key_store_changed_meanwhile(
    app, tmp_path, checkpoint_file, data_in_use, monkeypatch
):
    used = tmp_path / "used"
    used.mkdir()
    (used / "something").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(used)])
    assert result.exit_code != 0 and "not an empty folder" in result.output
    assert (used / "something").exists()

    kind = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    name = "_pg_snapshot" if kind == "postgresql" else "_sqlite_snapshot"
    original = getattr(backup_services, name)

    def snapshot_then_rotate(target):
        snapshot = original(target)
        signing_keys().rotate()  # `keys rotate` in another shell, between snapshot and key copy
        return snapshot

    monkeypatch.setattr(backup_services, name, snapshot_then_rotate)
    folder = tmp_path / "during"
    result = app.test_cli_runner().invoke(args=["backup", str(folder)])
    assert result.exit_code != 0
    assert "the key store changed during the backup" in result.output
    assert "run the backup again" in result.output
    assert not folder.exists()  # nothing half-made is left behind
    mount = tmp_path / "mount-point"
    mount.mkdir()  # an empty folder the operator made: kept, and left empty
    result = app.test_cli_runner().invoke(args=["backup", str(mount)])
    assert result.exit_code != 0 and mount.is_dir() and not any(mount.iterdir())
