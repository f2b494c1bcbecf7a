"""No plaintext ID number at rest or in API output after a roster import."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from jxjd.extensions import db
from tests.fixtures.attendance import roster_xlsx, trainees

_TEXT_TYPES = ("text", "character varying", "character", "bytea", "json", "jsonb")


def _stored_values_postgresql() -> list[bytes]:
    """Every text, bytea and JSON value of every table, as bytes."""
    columns = db.session.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(:types)"
        ),
        {"types": list(_TEXT_TYPES)},
    ).all()
    values: list[bytes] = []
    for table, column in columns:
        for (value,) in db.session.execute(sa.text(f'SELECT "{column}" FROM "{table}"')):  # noqa: S608
            if value is None:
                continue
            if isinstance(value, bytes | memoryview):
                values.append(bytes(value))
            elif isinstance(value, str):
                values.append(value.encode())
            else:
                values.append(json.dumps(value, ensure_ascii=False).encode())
    return values


def _database_bytes() -> list[bytes]:
    """The raw database: SQLite's file and WAL, or every stored text value on PostgreSQL."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        path = Path(db.engine.url.database)
        files = [path, path.with_name(path.name + "-wal")]
        return [f.read_bytes() for f in files if f.exists()]
    return _stored_values_postgresql()


def test_database_holds_no_plaintext_id_number_after_an_import(open_session, upload_roster):
    target = open_session()
    people = trainees(25)
    resp = upload_roster(target, roster_xlsx(people))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 25

    stored = _database_bytes()
    assert stored and any(people[0]["name"].encode() in chunk for chunk in stored)  # sanity
    for person in people:
        needle = person["id_number"].encode()
        assert not any(needle in chunk for chunk in stored), person["id_number"]


def test_api_shows_only_masked_id_numbers(client, open_session, upload_roster):
    target = open_session()
    people = trainees(5)
    upload_roster(target, roster_xlsx(people))
    outputs = [
        client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers),
        client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers),
    ]
    records = outputs[0].json["records"]
    assert len(records) == 5
    masked = {p["id_number"][:6] + "*" * 8 + p["id_number"][-4:] for p in people}
    assert {r["id_masked"] for r in records} == masked
    for resp in outputs:
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        for person in people:
            assert person["id_number"] not in text


def test_error_messages_do_not_echo_id_numbers(open_session, upload_roster):
    target = open_session()
    people = trainees(2)
    people.append({**people[0], "name": "重复"})
    resp = upload_roster(target, roster_xlsx(people))
    assert resp.status_code == 422
    assert people[0]["id_number"] not in resp.get_data(as_text=True)
