"""`flask audit verify`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.audit.services import verify_chain

audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the hash chain and report the first broken link."""
    report = verify_chain()
    if report.reason is None:
        click.echo(f"audit chain intact: {report.checked} events verified")
        return
    where = f"event {report.broken_at}" if report.broken_at else "chain head"
    click.echo(f"audit chain BROKEN at {where}: {report.reason} ({report.checked} verified before)")
    raise SystemExit(1)
