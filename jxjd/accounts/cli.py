"""`flask token create` and `flask account create`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.accounts.models import ROLES
from jxjd.accounts.services import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    create_account,
    create_token,
    list_tokens,
    resolve_scope,
    revoke_token,
)
from jxjd.auth import CLI
from jxjd.common.time import isoformat, to_local, utcnow
from jxjd.errors import Problem
from jxjd.extensions import db

token_cli = AppGroup("token", help="API token commands.")
account_cli = AppGroup("account", help="Web account commands.")


def _scope_options(command):
    for option in reversed(
        [
            click.option("--role", type=click.Choice(ROLES), required=True),
            click.option("--name", required=True, help="Who the credential is for."),
            click.option("--base-id", type=int, help="For role base."),
            click.option("--department", help="For role dept."),
            click.option("--id-number", help="For role person."),
            click.option("--credit-code", help="For roles applicant and employer."),
        ]
    ):
        command = option(command)
    return command


def _scope(role, name, base_id, department, id_number, credit_code):
    try:
        return resolve_scope(
            role,
            name,
            base_id=base_id,
            department=department,
            id_number=id_number,
            credit_code=credit_code,
        )
    except Problem as exc:
        db.session.rollback()
        raise click.ClickException(exc.detail) from None


@token_cli.command("create")
@_scope_options
@click.option(
    "--days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    default=DEFAULT_TOKEN_DAYS,
    show_default=True,
    help="Days until the token expires.",
)
def token_create(role, name, base_id, department, id_number, credit_code, days) -> None:
    """Create an API token; the token is printed as the last line of standard output."""
    scope = _scope(role, name, base_id, department, id_number, credit_code)
    token, plain = create_token(CLI, scope, days=days)
    db.session.commit()
    click.echo(
        f"created {role} token #{token.id} for {name}, expires {isoformat(token.expires_at)} "
        "(store it now; it is not kept)"
    )
    click.echo(plain)


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token by its number (see `flask token list`)."""
    try:
        token = revoke_token(CLI, token_id)
    except Problem as exc:
        db.session.rollback()
        raise click.ClickException(exc.detail) from None
    db.session.commit()
    click.echo(f"revoked token #{token.id} ({token.role}, {token.name})")


@token_cli.command("list")
def token_list() -> None:
    """List tokens: number, prefix, role, state, expiry, name."""
    now = utcnow()
    tokens, _ = list_tokens()
    for token in tokens:
        if token.revoked_at:
            state = "revoked"
        else:
            state = "expired" if token.expires_at <= now else "active"
        expires = to_local(token.expires_at).strftime("%Y-%m-%d")
        click.echo(
            f"#{token.id:<5} {token.prefix:<12} {token.role:<10} {state:<8} {expires} {token.name}"
        )


@account_cli.command("create")
@_scope_options
@click.option("--username", required=True)
@click.password_option()
def account_create(role, name, base_id, department, id_number, credit_code, username, password):
    """Create a web login account for the pages."""
    scope = _scope(role, name, base_id, department, id_number, credit_code)
    try:
        account = create_account(CLI, username, password, scope)
    except Problem as exc:
        db.session.rollback()
        raise click.ClickException(exc.detail) from None
    db.session.commit()
    click.echo(f"created account {account.username} ({role})")
