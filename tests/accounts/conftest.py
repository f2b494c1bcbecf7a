"""Identity fixtures: trained people (optionally with a mobile on record), codes, the outbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import find_person
from tests.fixtures.auth import TEST_PASSWORD

ZHANG = {"name": "张三", "id_number": "430104199003070015", "phone": "13812341234"}
LI = {"name": "李四", "id_number": "430104199003070023"}  # no mobile on record
WANG = {"name": "王芳", "id_number": "430102198809210024", "phone": "13700001234"}
UNKNOWN = {"name": "赵六", "id_number": "11010519491231002X"}  # valid, never trained


@pytest.fixture
def trained(open_session, upload_json):
    """trained(*people, base=None) → the session whose roster listed them (with their phones)."""

    def make(*people, base=None):
        target = open_session(base=base)
        rows = [{"hours": 24, "result": "合格", **p} for p in people]
        resp = upload_json(target, rows)
        assert resp.status_code == 200, resp.get_json()
        return target

    return make


def person(who: dict) -> Person:
    """The stored person of a test identity."""
    found = find_person(who["id_number"])
    assert found is not None
    return found


class Outbox:
    """The outbox file the SMS sender appends to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    def last_code(self) -> str:
        (code,) = re.findall(r"\b\d{6}\b", self.messages()[-1]["text"])
        return code


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """The outbox sender writing to a fresh file for this test."""
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "JXJD_OUTBOX", str(tmp_path / "outbox.jsonl"))
    return Outbox(tmp_path / "outbox.jsonl")


@pytest.fixture
def letter(client, admin_headers):
    """letter(who) → a fresh activation code for that person, as printed (grouped)."""

    def make(who: dict = ZHANG, headers=None) -> str:
        resp = client.post(
            "/api/v1/people/activation-codes",
            json={"id_number": who["id_number"], "name": who["name"]},
            headers=headers or admin_headers,
        )
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["code"]

    return make


@pytest.fixture
def register(client, fast_password_hashing):
    """register(who, code, client=..., addr=..., **overrides) → the POST /api/v1/register response."""

    def post(who: dict = ZHANG, code: str = "", *, addr: str = "127.0.0.1", via=None, **fields):
        body = {
            "id_number": who["id_number"],
            "name": who["name"],
            "code": code,
            "username": f"user{who['id_number'][-6:]}",
            "password": TEST_PASSWORD,
        }
        body.update(fields)
        return (via or client).post(
            "/api/v1/register", json=body, environ_base={"REMOTE_ADDR": addr}
        )

    return post


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
