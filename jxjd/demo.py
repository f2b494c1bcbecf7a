"""`flask demo`: a small realistic data set, loaded idempotently, with a credential per role.

It refuses a database that holds anything it did not create itself (a real deployment always
has at least its own first admin token), unless given --force: the demo accounts share one
published password.
"""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from flask import current_app

from jxjd.accounts.activation import AlreadyRegistered, create_activation_code
from jxjd.accounts.models import Account, ApiToken
from jxjd.accounts.services import Scope, create_account, create_token, resolve_scope
from jxjd.accounts.sms import outbox_path
from jxjd.auth import CLI, Actor
from jxjd.bases.models import Base
from jxjd.common.demo import (
    DEMO_APPLICANT_CREDIT_CODE,
    DEMO_BASES,
    DEMO_EMPLOYER_CREDIT_CODE,
    DEMO_LETTER_PERSON,
    DEMO_NAMES,
    DEMO_PASSWORD,
    DEMO_PERSON,
    DEMO_ROLES,
    DEMO_SMS_PERSON,
    DEMO_STEPS,
)
from jxjd.extensions import db


def _ensure_account(username: str, scope: Scope) -> None:
    if db.session.scalar(sa.select(Account.id).where(Account.username == username)) is None:
        create_account(CLI, username, DEMO_PASSWORD, scope)


def load_credentials(ctx: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A fresh token per role, and a web account per role (created once)."""
    base = ctx["bases"][0]
    scopes = {
        "admin": resolve_scope("admin", DEMO_NAMES["admin"]),
        "dept": resolve_scope("dept", DEMO_NAMES["dept"], department=base.department),
        "base": resolve_scope("base", f"{base.name}（演示）", base_id=base.id),
        "employer": resolve_scope(
            "employer", DEMO_NAMES["employer"], credit_code=DEMO_EMPLOYER_CREDIT_CODE
        ),
        "person": resolve_scope("person", DEMO_PERSON["name"], id_number=DEMO_PERSON["id_number"]),
        "applicant": resolve_scope(
            "applicant", DEMO_NAMES["applicant"], credit_code=DEMO_APPLICANT_CREDIT_CODE
        ),
    }
    lines = []
    for role, scope in scopes.items():
        _, plain = create_token(CLI, scope)
        username = f"demo-{role}"
        _ensure_account(username, scope)
        lines.append((role, username, plain))
    return lines


def non_demo_data() -> list[str]:
    """What in the database the demo did not create (bases, tokens, staff and unit accounts).

    Person accounts are left out: the demo invites newcomers to register their own.
    """
    demo_codes = {b["credit_code"] for b in DEMO_BASES}
    demo_token_names = set(DEMO_NAMES.values()) | {f"{b['name']}（演示）" for b in DEMO_BASES}
    demo_token_names.add(DEMO_PERSON["name"])
    demo_usernames = {f"demo-{role}" for role in DEMO_ROLES}
    found = []
    bases = db.session.scalar(
        sa.select(sa.func.count()).select_from(Base).where(Base.credit_code.not_in(demo_codes))
    )
    if bases:
        found.append(f"{bases} 个非演示基地")
    tokens = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(ApiToken.name.not_in(demo_token_names))
    )
    if tokens:
        found.append(f"{tokens} 个非演示访问令牌")
    accounts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Account)
        .where(Account.username.not_in(demo_usernames), Account.role != "person")
    )
    if accounts:
        found.append(f"{accounts} 个非演示账号")
    return found


def identity_demo() -> list[str]:
    """Lines telling a newcomer how to open an account both ways (letter and SMS code)."""
    admin = Actor(role="admin", name=DEMO_NAMES["admin"], ref="demo")
    lines = ["", "开通个人账号（/register）的两种方式："]
    who = DEMO_LETTER_PERSON
    try:
        letter = create_activation_code(admin, who["id_number"], who["name"])
        lines.append(
            f"  激活码：{who['name']} 身份证号 {who['id_number']} 激活码 {letter.code}"
            "（14天内有效；管理员也可在 /activation-codes 页面生成并打印通知书）"
        )
    except AlreadyRegistered:
        lines.append(f"  激活码：{who['name']} 已开通账号（管理员可重置后重新生成）")
    who = DEMO_SMS_PERSON
    lines.append(
        f"  短信验证码：{who['name']} 身份证号 {who['id_number']}，登记手机 {who['phone']}；"
        "在注册页点“获取短信验证码”"
    )
    if current_app.config.get("JXJD_SMS_BACKEND", "outbox") == "outbox":
        lines.append(f"  短信不真正发送，写入发件箱文件：{outbox_path(current_app)}")
    return lines


@click.command("demo")
@click.option("--force", is_flag=True, help="Load even into a database holding non-demo data.")
def demo_command(force: bool) -> None:
    """Load the demo data set (idempotent) and print a token and a login for each role."""
    found = non_demo_data()
    if found and not force:
        raise click.ClickException(
            "数据库中已有非演示数据（" + "、".join(found) + "）。演示数据带有公开密码的账号，"
            "不应加载到真实数据库；确需加载请加 --force。"
        )
    ctx: dict[str, Any] = {}
    for step in DEMO_STEPS:
        click.echo(f"demo: {step.__doc__ or step.__name__}")
        step(ctx)
        db.session.flush()
    lines = load_credentials(ctx)
    identity = identity_demo()
    db.session.commit()
    for line in identity:
        click.echo(line)
    click.echo(f"\n演示账号密码均为 {DEMO_PASSWORD}（页面登录：/login）")
    for role, username, plain in lines:
        click.echo(f"{role:<10} login={username:<16} token={plain}")
