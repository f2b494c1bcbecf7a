"""`flask demo`: idempotent demo data and a working credential per role."""

from __future__ import annotations

import re

import sqlalchemy as sa

from jxjd.bases.models import Base
from jxjd.extensions import db

TOKEN_LINE = re.compile(r"^(\w+)\s+login=(\S+)\s+token=(\S+)$", re.MULTILINE)


def test_demo_loads_once_and_prints_a_working_token_per_role(app, client, fast_password_hashing):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Base)) == 3

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Base)) == 3

    for result in (first, second):
        tokens = {role: token for role, _, token in TOKEN_LINE.findall(result.stdout)}
        assert set(tokens) == {"admin", "dept", "base", "employer", "person", "applicant"}

    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    resp = client.get("/api/v1/bases", headers=admin)
    assert resp.status_code == 200
    assert len(resp.json["bases"]) == 3
    base = {"Authorization": f"Bearer {tokens['base']}"}
    assert len(client.get("/api/v1/bases", headers=base).json["bases"]) == 1


def test_demo_accounts_can_sign_in(app, client, login, fast_password_hashing):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    from jxjd.demo import DEMO_PASSWORD

    resp = login(client, "demo-admin", DEMO_PASSWORD)
    assert resp.status_code == 302
    assert "湖南信息职业技术学院继续教育学院" in client.get("/bases").get_data(as_text=True)


def test_demo_refuses_a_database_holding_real_data_unless_forced(
    app, make_headers, fast_password_hashing
):
    make_headers("admin", name="省人社厅专技处")  # e.g. the first admin token of a deployment
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0
    assert "非演示" in refused.output and "--force" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Base)) == 0
    forced = runner.invoke(args=["demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Base)) == 3


def test_demo_refuses_a_database_with_real_bases_or_accounts(
    app, create_base, make_account, fast_password_hashing
):
    create_base()
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code != 0


def test_demo_shows_both_ways_to_open_an_account(
    app, client, tmp_path, monkeypatch, fast_password_hashing
):
    import json

    from jxjd.demo import DEMO_LETTER_PERSON, DEMO_SMS_PERSON

    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setitem(app.config, "JXJD_OUTBOX", str(outbox))
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "outbox")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert str(outbox) in result.output
    code = re.search(r"激活码 ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})", result.output).group(1)
    resp = client.post(
        "/api/v1/register",
        json={
            **DEMO_LETTER_PERSON,
            "code": code,
            "username": "wangfang",
            "password": "Demo-pass-1",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    who = {k: DEMO_SMS_PERSON[k] for k in ("id_number", "name")}
    assert client.post("/api/v1/register/otp", json=who).status_code == 202
    (message,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert message["to"] == "137****1234"
    sms = re.search(r"\d{6}", message["text"]).group(0)
    resp = client.post(
        "/api/v1/register",
        json={**who, "code": sms, "username": "lisi", "password": "Demo-pass-1"},
    )
    assert resp.status_code == 201, resp.get_json()
    again = app.test_cli_runner().invoke(args=["demo"])  # newcomers' accounts are not "real data"
    assert again.exit_code == 0, again.output
    assert "王芳 已开通账号" in again.output
