"""`flask tallies rebuild`: recompute the yearly tallies from the records."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jxjd.attendance.tallies import rebuild_tallies
from jxjd.extensions import db

tallies_cli = AppGroup("tallies", help="Yearly report tallies.")


@tallies_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every base's and person's yearly tally from the records (after a bulk load)."""
    rebuild_tallies()
    db.session.commit()
    click.echo("tallies rebuilt from the records")
