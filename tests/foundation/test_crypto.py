"""Field encryption, the key store, keyed look-up hashes, and tokens kept only as hashes."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from jxjd.accounts.models import ApiToken
from jxjd.common.crypto import (
    KEY_PURPOSES,
    FieldCipher,
    KeyDamaged,
    KeyMissing,
    KeyStore,
    KeyStoreBlocked,
    lookup_hash,
    protect_id_number,
    reveal_id_number,
    token_hash,
)
from jxjd.extensions import db
from jxjd.people.models import Person

ID_NUMBER = "430104199003070015"


def test_field_encryption_round_trips():
    cipher = FieldCipher(os.urandom(32))
    blob = cipher.encrypt(ID_NUMBER, context="id_number")
    assert ID_NUMBER.encode() not in blob
    assert cipher.decrypt(blob, context="id_number") == ID_NUMBER


def test_encrypting_the_same_value_twice_gives_different_ciphertexts():
    cipher = FieldCipher(os.urandom(32))
    assert cipher.encrypt(ID_NUMBER, context="id_number") != cipher.encrypt(
        ID_NUMBER, context="id_number"
    )


def test_decrypting_with_another_context_fails():
    cipher = FieldCipher(os.urandom(32))
    blob = cipher.encrypt(ID_NUMBER, context="id_number")
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, context="name")


def test_decrypting_with_another_key_fails():
    blob = FieldCipher(os.urandom(32)).encrypt(ID_NUMBER, context="id_number")
    with pytest.raises(InvalidTag):
        FieldCipher(os.urandom(32)).decrypt(blob, context="id_number")


def test_a_tampered_ciphertext_fails_to_decrypt():
    cipher = FieldCipher(os.urandom(32))
    blob = bytearray(cipher.encrypt(ID_NUMBER, context="id_number"))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        cipher.decrypt(bytes(blob), context="id_number")


def test_an_unknown_ciphertext_version_is_refused():
    cipher = FieldCipher(os.urandom(32))
    blob = cipher.encrypt(ID_NUMBER, context="id_number")
    with pytest.raises(ValueError, match="version"):
        cipher.decrypt(b"\x02" + blob[1:], context="id_number")


def test_key_files_are_created_once_readable_only_by_the_owner(tmp_path):
    store = KeyStore(tmp_path / "keys")
    assert set(store.create_missing()) == set(KEY_PURPOSES)
    key = store.secret("field-encryption")
    path = tmp_path / "keys" / "field-encryption.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    content = path.read_bytes()

    again = KeyStore(tmp_path / "keys")
    assert again.create_missing() == []
    assert again.secret("field-encryption") == key
    assert path.read_bytes() == content


def test_a_missing_key_is_never_created_on_use(tmp_path):
    store = KeyStore(tmp_path / "keys")
    with pytest.raises(KeyMissing, match="missing"):
        store.secret("lookup-hmac")
    assert not (tmp_path / "keys").exists()


@pytest.mark.parametrize("content", [b"", b"c2hvcnQ=\n", b"not base64 at all!\n", b"\x00" * 10])
def test_a_half_written_key_file_is_refused_with_a_clear_message(tmp_path, content):
    (tmp_path / "lookup-hmac.key").write_bytes(content)
    with pytest.raises(KeyDamaged, match="damaged"):
        KeyStore(tmp_path).secret("lookup-hmac")
    assert (tmp_path / "lookup-hmac.key").read_bytes() == content  # never overwritten
    assert "lookup-hmac" not in KeyStore(tmp_path).create_missing()


def test_a_blocked_key_store_hands_out_no_key(tmp_path):
    store = KeyStore(tmp_path)
    store.create_missing()
    store.blocked = "keys do not match the database"
    with pytest.raises(KeyStoreBlocked, match="do not match"):
        store.secret("field-encryption")


def test_each_purpose_gets_its_own_key(tmp_path):
    store = KeyStore(tmp_path)
    store.ensure_all()
    keys = {purpose: store.secret(purpose) for purpose in KEY_PURPOSES}
    assert len(set(keys.values())) == len(KEY_PURPOSES)
    for purpose in KEY_PURPOSES:
        assert stat.S_IMODE((tmp_path / f"{purpose}.key").stat().st_mode) == 0o600


def test_an_unknown_key_purpose_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown key purpose"):
        KeyStore(tmp_path).secret("everything")


def test_a_damaged_key_file_is_refused(tmp_path):
    (tmp_path / "lookup-hmac.key").write_bytes(b"c2hvcnQ=\n")
    with pytest.raises(ValueError, match="damaged"):
        KeyStore(tmp_path).secret("lookup-hmac")


def test_lookup_hash_is_stable_and_keyed():
    key = os.urandom(32)
    assert lookup_hash(key, ID_NUMBER) == lookup_hash(key, ID_NUMBER)
    assert lookup_hash(key, ID_NUMBER) != lookup_hash(key, "430104199003070023")
    assert lookup_hash(key, ID_NUMBER) != lookup_hash(os.urandom(32), ID_NUMBER)
    assert len(lookup_hash(key, ID_NUMBER)) == 64


def test_app_id_protection_round_trips_with_the_instance_keys(app):
    blob, digest = protect_id_number(ID_NUMBER)
    assert reveal_id_number(blob) == ID_NUMBER
    assert protect_id_number(ID_NUMBER)[1] == digest


def test_people_table_never_holds_a_plain_id_number(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "person", "name": "张三", "id_number": ID_NUMBER},
        headers=admin_headers,
    )
    assert resp.status_code == 201
    rows = db.session.execute(sa.select(Person.__table__)).all()
    assert len(rows) == 1
    for value in rows[0]:
        if isinstance(value, bytes):
            assert ID_NUMBER.encode() not in value
        else:
            assert ID_NUMBER not in str(value)
    assert rows[0].id_masked == "430104********0015"


def test_tokens_are_stored_only_as_hashes(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens", json={"role": "admin", "name": "第二位管理员"}, headers=admin_headers
    )
    assert resp.status_code == 201
    plain = resp.json["token"]
    rows = db.session.execute(sa.select(ApiToken.__table__)).all()
    assert rows
    for row in rows:
        for value in row:
            assert plain not in str(value)
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == resp.json["id"]))
    assert stored.token_hash == token_hash(plain)


def test_concurrent_creation_gives_every_thread_the_same_whole_key(tmp_path):
    import threading

    from jxjd.common.crypto import KeyStore

    barrier = threading.Barrier(8)
    keys, errors = [], []

    def first_use():
        store = KeyStore(tmp_path)
        barrier.wait()
        try:
            store.create_missing()
            keys.append(store.secret("lookup-hmac"))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 32
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{purpose}.key" for purpose in KEY_PURPOSES)  # no temp files left
