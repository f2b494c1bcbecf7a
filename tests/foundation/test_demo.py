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
