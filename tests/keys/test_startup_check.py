"""Losing keys is never silent: a database with data and keys that are not its own refuses to serve."""

from __future__ import annotations

import base64
import os

import pytest
import sqlalchemy as sa

from jxjd.accounts.models import ApiToken
from jxjd.audit.models import AuditEvent, AuditHead
from jxjd.common.crypto import KEY_PURPOSES, KeyStoreBlocked, app_keystore
from jxjd.extensions import db
from jxjd.keys.models import KeyFingerprint
from jxjd.keys.services import check_key_store
from jxjd.people.models import Person
from tests.conftest import assert_problem

NEW_PERSON = {"role": "person", "name": "王五", "id_number": "430104199003070031"}


def invoke(app, *args: str):
    """Run a CLI command of `app` (its own app context, as `flask --app app ...` would)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _ready_problem(client) -> dict:
    body = assert_problem(client.get("/api/v1/ready"), 503, "not_ready")
    assert body["errors"], body
    return body


def _codes(body) -> set[tuple[str, str | None]]:
    return {(e["code"], e["field"]) for e in body["errors"]}


def test_ready_says_ready_when_database_and_keys_match(client):
    resp = client.get("/api/v1/ready")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "ready"
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_missing_key_folder_with_data_refuses_to_serve_and_creates_nothing(
    certificates, other_app, tmp_path
):
    cert = certificates()[0]
    empty = tmp_path / "lost-keys"
    restarted = other_app(empty).test_client()

    body = _ready_problem(restarted)
    codes = _codes(body)
    assert ("key_missing", "lookup-hmac") in codes and ("key_missing", "field-encryption") in codes
    assert "field-encryption" in body["detail"]
    # Nothing is served under other keys: no empty JWKS, no "invalid" verdict for a real certificate.
    for path in ("/.well-known/jwks.json", f"/api/v1/verify?serial={cert['serial']}", "/"):
        resp = restarted.get(path)
        assert resp.status_code == 503, path
        assert resp.headers["Retry-After"]
    assert_problem(restarted.get("/.well-known/jwks.json"), 503, "key_store_unavailable")
    assert restarted.get("/api/v1/health").status_code == 200  # alive, just not ready
    assert not empty.exists() or not any(empty.rglob("*"))  # no key was generated


def test_one_lost_key_file_stops_duplicate_people(certificates, other_app, key_copy, admin_headers):
    certificates()
    people = _count(Person)
    keys = key_copy(without=("lookup-hmac.key",))
    restarted = other_app(keys).test_client()

    assert ("key_missing", "lookup-hmac") in _codes(_ready_problem(restarted))
    resp = restarted.post("/api/v1/tokens", json=NEW_PERSON, headers=admin_headers)
    assert_problem(resp, 503, "key_store_unavailable")
    db.session.expire_all()
    assert _count(Person) == people
    assert not (keys / "lookup-hmac.key").exists()  # no new look-up key behind anyone's back


def test_a_different_key_in_place_of_the_real_one_is_refused(
    certificates, other_app, key_copy, admin_headers
):
    certificates()
    check_key_store(app_keystore())  # the fingerprints are recorded (as at every start-up)
    keys = key_copy()
    (keys / "field-encryption.key").write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
    restarted = other_app(keys).test_client()

    assert ("key_mismatch", "field-encryption") in _codes(_ready_problem(restarted))
    resp = restarted.post("/api/v1/tokens", json=NEW_PERSON, headers=admin_headers)
    assert_problem(resp, 503, "key_store_unavailable")


def test_the_data_itself_exposes_a_wrong_key_when_nothing_was_recorded(
    certificates, other_app, key_copy
):
    certificates()
    db.session.execute(sa.delete(KeyFingerprint))  # as right after upgrading an old install
    db.session.commit()
    keys = key_copy()
    (keys / "lookup-hmac.key").write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
    restarted = other_app(keys).test_client()

    assert ("key_mismatch", "field-encryption") in _codes(_ready_problem(restarted))


def test_a_half_written_key_file_is_refused_with_a_clear_message_not_500s(
    certificates, other_app, key_copy, admin_headers
):
    cert = certificates()[0]
    keys = key_copy()
    (keys / "field-encryption.key").write_bytes(b"")  # the disk filled up while writing it
    restarted = other_app(keys).test_client()  # starts: no exception at start-up

    body = _ready_problem(restarted)
    assert ("key_damaged", "field-encryption") in _codes(body)
    assert "损坏" in body["detail"]
    for resp in (
        restarted.post("/api/v1/tokens", json=NEW_PERSON, headers=admin_headers),
        restarted.get(f"/api/v1/verify?serial={cert['serial']}"),
    ):
        assert_problem(resp, 503, "key_store_unavailable")
    assert (keys / "field-encryption.key").read_bytes() == b""  # never overwritten


def test_a_half_written_signing_key_file_is_refused(certificates, other_app, key_copy):
    cert = certificates()[0]
    keys = key_copy()
    signing = keys / "signing" / f"{cert['kid']}.json"
    signing.write_text(signing.read_text()[:40])
    restarted = other_app(keys).test_client()

    assert ("key_damaged", "signing") in _codes(_ready_problem(restarted))
    assert_problem(restarted.get("/.well-known/jwks.json"), 503, "key_store_unavailable")


def test_a_lost_signing_key_is_refused(certificates, other_app, key_copy):
    cert = certificates()[0]
    keys = key_copy(without=(f"signing/{cert['kid']}.json",))
    restarted = other_app(keys).test_client()
    codes = _codes(_ready_problem(restarted))
    assert ("key_missing", cert["kid"]) in codes or ("signing_key_missing", "signing") in codes


def test_the_matching_key_store_serves(certificates, other_app, key_copy):
    cert = certificates()[0]
    restarted = other_app(key_copy()).test_client()
    assert restarted.get("/api/v1/ready").status_code == 200
    body = restarted.get(f"/api/v1/verify?serial={cert['serial']}").get_json()
    assert body["result"] == "valid"


def test_an_empty_database_gets_its_keys_automatically(other_app, tmp_path):
    fresh = tmp_path / "fresh-keys"
    restarted = other_app(fresh)
    assert restarted.test_client().get("/api/v1/ready").status_code == 200
    for purpose in KEY_PURPOSES:
        assert (fresh / f"{purpose}.key").is_file()
    assert len(list((fresh / "signing").glob("*.json"))) == 1
    names = set(db.session.scalars(sa.select(KeyFingerprint.name)))
    assert {f"secret:{p}" for p in KEY_PURPOSES} <= names
    assert any(name.startswith("signing:") for name in names)


def test_an_upgraded_install_adopts_its_keys_and_gets_the_new_audit_key(
    certificates, other_app, key_copy
):
    certificates()
    # Before this version: no fingerprints, an unkeyed audit chain, no audit-hmac key.
    db.session.execute(sa.delete(KeyFingerprint))
    db.session.execute(sa.delete(AuditEvent))
    db.session.execute(sa.update(AuditHead).values(last_hash="0" * 64, count=0, mac=None))
    db.session.commit()
    keys = key_copy(without=("audit-hmac.key",))
    restarted = other_app(keys)

    assert restarted.test_client().get("/api/v1/ready").status_code == 200
    assert (keys / "audit-hmac.key").is_file()
    names = set(db.session.scalars(sa.select(KeyFingerprint.name)))
    assert "secret:audit-hmac" in names and "secret:lookup-hmac" in names


def test_a_lost_audit_key_under_a_keyed_chain_is_refused(certificates, other_app, key_copy):
    certificates()
    restarted = other_app(key_copy(without=("audit-hmac.key",))).test_client()
    assert ("key_missing", "audit-hmac") in _codes(_ready_problem(restarted))


def test_keys_init_refuses_to_generate_keys_for_a_database_with_data(
    certificates, other_app, tmp_path
):
    certificates()
    empty = tmp_path / "lost"
    restarted = other_app(empty)
    result = invoke(restarted, "keys", "init")
    assert result.exit_code == 1
    assert "lookup-hmac.key is missing" in result.output
    assert "--force" in result.output
    assert not any(empty.rglob("*.key"))

    result = invoke(restarted, "keys", "init", "--force")
    assert result.exit_code == 0, result.output
    assert "created key secret:lookup-hmac" in result.output
    assert "Back up the key store" in result.output
    assert restarted.test_client().get("/api/v1/ready").status_code == 200
    with restarted.app_context():
        (event,) = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "keys.init")
        ).all()
        assert event.summary["forced"] is True


def test_keys_init_on_a_matching_store_changes_nothing(app):
    before = sorted(p.name for p in app_keystore().directory.rglob("*"))
    result = app.test_cli_runner().invoke(args=["keys", "init"])
    assert result.exit_code == 0, result.output
    assert "matches the database" in result.output
    assert sorted(p.name for p in app_keystore().directory.rglob("*")) == before


def test_data_writing_commands_refuse_while_the_keys_do_not_match(
    certificates, other_app, tmp_path
):
    certificates()
    tokens = _count(ApiToken)
    restarted = other_app(tmp_path / "lost")
    for args in (
        ["token", "create", "--role", "admin", "--name", "运维"],
        ["demo"],
        ["keys", "rotate"],
    ):
        result = invoke(restarted, *args)
        assert result.exit_code != 0, args
        assert "does not match the database" in result.output, result.output
    db.session.expire_all()
    assert _count(ApiToken) == tokens


def test_a_key_that_vanishes_while_running_gives_503_not_500(
    certificates, other_app, key_copy, admin_headers
):
    certificates()
    keys = key_copy()
    running = other_app(keys)
    client = running.test_client()
    assert client.get("/api/v1/ready").status_code == 200
    (keys / "lookup-hmac.key").unlink()
    running.extensions["jxjd_keystore"].forget()  # as a new worker process would have it

    assert ("key_missing", "lookup-hmac") in _codes(_ready_problem(client))
    resp = client.post("/api/v1/tokens", json=NEW_PERSON, headers=admin_headers)
    assert_problem(resp, 503, "key_store_unavailable")


def test_an_unmigrated_database_is_not_ready(tmp_path):
    from jxjd import create_app

    fresh = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}",
            "JXJD_KEY_DIR": str(tmp_path / "keys"),
        }
    )
    client = fresh.test_client()
    body = _ready_problem(client)
    assert ("schema_missing", None) in _codes(body)
    assert "db upgrade" in body["detail"]
    assert_problem(client.get("/api/v1/verify?serial=x"), 503, "key_store_unavailable")
    assert not (tmp_path / "keys").exists()
    with fresh.app_context():
        db.engine.dispose()


def test_an_unreachable_database_is_not_ready_and_no_key_is_used(tmp_path):
    from jxjd import create_app

    (tmp_path / "not-a-folder").write_text("")
    down = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'not-a-folder' / 'x.db'}",
            "JXJD_KEY_DIR": str(tmp_path / "keys"),
        }
    )
    client = down.test_client()
    assert ("database_unavailable", None) in _codes(_ready_problem(client))
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200  # documentation needs neither
    with down.app_context():
        with pytest.raises(KeyStoreBlocked):
            app_keystore().secret("lookup-hmac")
        db.engine.dispose()
    assert not (tmp_path / "keys").exists()
