"""The database, its WAL, the key store, the QR cache: readable by the service's own user only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from jxjd import create_app
from jxjd.common.files import append_private, private_dir
from jxjd.extensions import db


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The usual umask 022, which made every file above 0644 and every folder 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def fresh_app(tmp_path, loose_umask):
    """A new app on its own SQLite file, migrated, with the first keys created as at start-up."""
    from flask_migrate import upgrade

    from jxjd.keys.services import prepare_key_store

    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'data' / 'jxjd.sqlite3'}",
            "JXJD_KEY_DIR": str(tmp_path / "keys"),
            "JXJD_QR_CACHE_DIR": str(tmp_path / "qr-cache"),
            "JXJD_AUDIT_CHECKPOINT_EVERY": 1,
        }
    )
    with app.app_context():
        upgrade()
        assert prepare_key_store(app).ok
        yield app
        db.session.remove()
        db.engine.dispose()


def test_sqlite_database_and_its_wal_files_are_owner_only(fresh_app, tmp_path):
    from jxjd.auth import CLI
    from jxjd.bases.services import create_base
    from tests.fixtures.bases import base_payload

    with db.engine.connect() as conn:  # keeps the WAL and shared-memory files open
        conn.execute(sa.text("SELECT 1"))
        create_base(CLI, base_payload())
        db.session.commit()
        data = tmp_path / "data"
        assert mode(data) == 0o700
        assert mode(data / "jxjd.sqlite3") == 0o600
        for suffix in ("-wal", "-shm"):
            path = data / f"jxjd.sqlite3{suffix}"
            assert path.exists(), suffix
            assert mode(path) == 0o600, suffix


def test_key_store_folders_and_files_are_owner_only(fresh_app, tmp_path):
    from jxjd.auth import CLI
    from jxjd.bases.services import create_base
    from tests.fixtures.bases import base_payload

    create_base(CLI, base_payload())  # an audit event: the first keyed one is checkpointed
    db.session.commit()
    keys = tmp_path / "keys"
    assert mode(keys) == 0o700
    assert mode(keys / "signing") == 0o700
    files = [p for p in keys.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"lookup-hmac.key", "audit-checkpoints.jsonl"}
    assert any(p.suffix == ".json" for p in files)
    for path in files:
        assert mode(path) == 0o600, path


def test_cached_qr_images_are_owner_only(fresh_app, tmp_path):
    from jxjd.certificates.models import Certificate
    from jxjd.certificates.services import qr_image

    cert = Certificate(serial="AbCdEfGhIjKlMnOpQrStUv", token="a.b.c")
    qr_image(cert, "png")
    cache = tmp_path / "qr-cache"
    assert mode(cache) == 0o700
    (image,) = cache.iterdir()
    assert mode(image) == 0o600


def test_files_left_by_an_older_version_are_tightened(tmp_path, loose_umask):
    database = tmp_path / "old.sqlite3"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o755)
    os.chmod(keys, 0o755)
    (keys / "lookup-hmac.key").write_bytes(b"x")
    os.chmod(keys / "lookup-hmac.key", 0o644)

    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "JXJD_KEY_DIR": str(keys),
        }
    )
    assert mode(database) == 0o600
    assert mode(keys) == 0o700
    assert mode(keys / "lookup-hmac.key") == 0o600
    assert mode(app.instance_path) == 0o700
    with app.app_context():
        db.engine.dispose()


def test_private_helpers_create_owner_only_paths(tmp_path, loose_umask):
    folder = private_dir(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == 0o700 and mode(folder) == 0o700
    append_private(folder / "outbox.jsonl", '{"to": "138****1234"}')
    append_private(folder / "outbox.jsonl", '{"to": "139****5678"}')
    assert mode(folder / "outbox.jsonl") == 0o600
    assert (folder / "outbox.jsonl").read_text().count("\n") == 2
