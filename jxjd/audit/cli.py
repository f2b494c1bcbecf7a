"""`flask audit verify` and `flask audit checkpoint`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.audit.services import HeadNotAuthentic, checkpoint_path, verify_chain, write_checkpoint

audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the keyed chain, check the head and the checkpoints; report the first break."""
    report = verify_chain()
    if report.reason is None:
        click.echo(f"audit chain intact: {report.checked} events verified")
        if report.unkeyed:
            click.echo(
                f"  {report.unkeyed} older events were written before the chain was keyed "
                "(SHA-256); the keyed events after them vouch for them as they were then"
            )
        if report.checkpoints:
            click.echo(
                f"  matches {report.checkpoints} checkpoints (latest {report.latest_checkpoint})"
            )
        else:
            click.echo(
                f"  no checkpoints yet in {checkpoint_path()}: run `flask --app app audit "
                "checkpoint` regularly, so that cutting events off the end is detected"
            )
        return
    where = f"event {report.broken_at}" if report.broken_at else "chain head"
    click.echo(f"audit chain BROKEN at {where}: {report.reason} ({report.checked} verified before)")
    raise SystemExit(1)


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Remember the chain head (count, last hash, time) outside the database, MACed."""
    try:
        point = write_checkpoint()
    except HeadNotAuthentic as exc:
        click.echo(f"no checkpoint written: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"audit checkpoint: {point.count} events, head {point.last_hash[:16]}… at {point.at}"
    )
    click.echo(f"  appended to {checkpoint_path()}")
