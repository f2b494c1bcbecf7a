"""`flask keys rotate` and `flask keys list`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.audit.services import record_event
from jxjd.auth import CLI
from jxjd.certificates.services import signing_keys
from jxjd.extensions import db

keys_cli = AppGroup("keys", help="Certificate signing keys.")


@keys_cli.command("rotate")
def rotate_command() -> None:
    """Create a new active signing key; the old one is retired but stays published."""
    info = signing_keys().rotate()
    record_event(CLI, "keys.rotate", "signing_key", info.kid)
    db.session.commit()
    click.echo(f"new active signing key: {info.kid}")


@keys_cli.command("list")
def list_command() -> None:
    """List every signing key with its state."""
    for info in signing_keys().list():
        state = f"retired {info.retired_at:%Y-%m-%d}" if info.retired_at else "active"
        click.echo(f"{info.kid}  created {info.created_at:%Y-%m-%d}  {state}")
