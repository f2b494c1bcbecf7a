"""A second app on the test database with a key store of the test's choosing; real certificates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jxjd import create_app
from jxjd.extensions import db
from tests.verify.support import PEOPLE, YEAR, issue_via_api


@pytest.fixture
def other_app(app, tmp_path):
    """other_app(key_dir) → a new app (as a restarted server) on the same database."""
    made = []

    def make(key_dir: Path, **config):
        other = create_app(
            {
                "TESTING_CONFIG": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "JXJD_KEY_DIR": str(key_dir),
                "JXJD_QR_CACHE_DIR": str(tmp_path / "other-qr"),
                "JXJD_PUBLIC_URL": app.config["JXJD_PUBLIC_URL"],
                **config,
            }
        )
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def key_copy(app, tmp_path):
    """key_copy(without=()) → a copy of the running app's key store, minus some files."""

    def make(without: tuple[str, ...] = ()) -> Path:
        target = tmp_path / "keys-copy"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(app.config["JXJD_KEY_DIR"], target)
        for name in without:
            path = target / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        return target

    return make


@pytest.fixture
def certificates(client, create_base, create_filed_plan, base_headers):
    """Certificates issued through the API (people, records, audit events: a database in use)."""

    def make(rows: list[dict] | None = None) -> list[dict]:
        base = create_base()
        plan = create_filed_plan(base, year=YEAR)
        certs = issue_via_api(client, base, base_headers(base), plan, rows or PEOPLE)
        db.session.commit()
        return certs

    return make
