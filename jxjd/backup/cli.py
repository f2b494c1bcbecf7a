"""`flask --app app backup DIR` and `flask --app app restore DIR` (README "Backup and restore")."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from jxjd.backup.services import BackupError, create_backup, restore_backup


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory: Path) -> None:
    """Back up the database, key store and audit checkpoints together into a new folder."""
    try:
        create_backup(directory, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(directory: Path) -> None:
    """Restore a backup into an empty database and key store, checking it before and after."""
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        restore_backup(directory, app, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
