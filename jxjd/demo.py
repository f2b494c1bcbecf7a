"""`flask demo`: a small realistic data set, loaded idempotently, with a credential per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import sqlalchemy as sa

from jxjd.accounts.models import Account
from jxjd.accounts.services import Scope, create_account, create_token, resolve_scope
from jxjd.auth import CLI
from jxjd.bases.models import Base
from jxjd.bases.services import create_base
from jxjd.extensions import db

DEMO_PASSWORD = "jxjd-demo-2026"

DEMO_BASES: list[dict[str, Any]] = [
    {
        "name": "湖南信息职业技术学院继续教育学院",
        "credit_code": "12430000444880411U",
        "department": "湖南省教育厅",
        "address": "长沙市望城区雷锋大道",
        "contact": {"name": "李敏", "phone": "0731-88010001", "email": "jxjy@hniu.example.cn"},
        "specialties": [
            {
                "name": "电子信息",
                "levels": ["senior", "intermediate"],
                "audiences": ["public", "internal"],
            },
            {
                "name": "公需科目",
                "levels": ["senior", "intermediate", "junior"],
                "audiences": ["public"],
            },
        ],
    },
    {
        "name": "湖南省建筑科学研究院培训中心",
        "credit_code": "12430000444880412Y",
        "department": "湖南省住房和城乡建设厅",
        "address": "长沙市岳麓区麓山南路",
        "contact": {"name": "周建华", "phone": "0731-88020002", "email": "px@hnjky.example.cn"},
        "specialties": [
            {
                "name": "土木建筑",
                "levels": ["senior", "intermediate", "junior"],
                "audiences": ["public"],
            },
        ],
    },
    {
        "name": "湘潭市专业技术人员继续教育中心",
        "credit_code": "12430000444880519A",
        "department": "湘潭市人力资源和社会保障局",
        "address": "湘潭市岳塘区",
        "contact": {"name": "彭丽", "phone": "0731-58030003", "email": "jxjy@xt.example.cn"},
        "specialties": [
            {
                "name": "机械制造",
                "levels": ["intermediate", "junior"],
                "audiences": ["public", "internal"],
            },
            {"name": "公需科目", "levels": ["intermediate", "junior"], "audiences": ["public"]},
        ],
    },
]

DEMO_PERSON = {"name": "张三", "id_number": "430104199003070015"}

# Later features append steps: each takes the context dict and may add to it.
DEMO_STEPS: list[Callable[[dict[str, Any]], None]] = []


def demo_step(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Register a step of the demo loader."""
    DEMO_STEPS.append(fn)
    return fn


@demo_step
def load_bases(ctx: dict[str, Any]) -> None:
    """The demo bases, created once."""
    bases = []
    for data in DEMO_BASES:
        base = db.session.scalar(sa.select(Base).where(Base.credit_code == data["credit_code"]))
        if base is None:
            base = create_base(CLI, {**data, "status": "recognized"})
        bases.append(base)
    ctx["bases"] = bases


def _ensure_account(username: str, scope: Scope) -> None:
    if db.session.scalar(sa.select(Account.id).where(Account.username == username)) is None:
        create_account(CLI, username, DEMO_PASSWORD, scope)


def load_credentials(ctx: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A fresh token per role, and a web account per role (created once)."""
    base = ctx["bases"][0]
    scopes = {
        "admin": resolve_scope("admin", "省人社厅专技处（演示）"),
        "dept": resolve_scope("dept", "湖南省教育厅（演示）", department=base.department),
        "base": resolve_scope("base", f"{base.name}（演示）", base_id=base.id),
        "employer": resolve_scope("employer", "长沙某某科技有限公司（演示）"),
        "person": resolve_scope("person", DEMO_PERSON["name"], id_number=DEMO_PERSON["id_number"]),
        "applicant": resolve_scope(
            "applicant", "湖南某某学院（演示）", credit_code="12430000MB1234567W"
        ),
    }
    lines = []
    for role, scope in scopes.items():
        _, plain = create_token(CLI, scope)
        username = f"demo-{role}"
        _ensure_account(username, scope)
        lines.append((role, username, plain))
    return lines


@click.command("demo")
def demo_command() -> None:
    """Load the demo data set (idempotent) and print a token and a login for each role."""
    ctx: dict[str, Any] = {}
    for step in DEMO_STEPS:
        click.echo(f"demo: {step.__doc__ or step.__name__}")
        step(ctx)
        db.session.flush()
    lines = load_credentials(ctx)
    db.session.commit()
    click.echo(f"\n演示账号密码均为 {DEMO_PASSWORD}（页面登录：/login）")
    for role, username, plain in lines:
        click.echo(f"{role:<10} login={username:<16} token={plain}")
