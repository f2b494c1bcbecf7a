"""`flask keys init|rotate|compromise|list`: the key store and the certificate signing keys."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from jxjd.audit.services import record_event
from jxjd.auth import CLI
from jxjd.certificates.services import (
    count_signed_by,
    prune_qr_cache,
    resign_batch,
    signing_keys,
)
from jxjd.common.crypto import KeyStore
from jxjd.extensions import db
from jxjd.keys.services import (
    DEFERRED,
    LOCKED,
    apply_key_state,
    check_key_store,
    record_new_keys,
    require_keys,
)
from jxjd.transcripts import services as transcripts

keys_cli = AppGroup("keys", help="The key store and the certificate signing keys.")

BACKUP_WARNING = (
    "Back up the key store now (together with the database): backups made before this "
    "command do not hold the new key."
)
FORCE_CONSEQUENCES = (
    "--force makes the key files now on disk the database's keys and creates the missing ones "
    "although data depends on them. Whatever was made with a lost key is lost with it: "
    "certificates it signed stop verifying, ID numbers it encrypted cannot be read, people are "
    "no longer found by ID number (a re-uploaded roster creates duplicates), the audit chain no "
    "longer verifies. Use it only when the keys are truly lost and no backup holds them."
)


def _store() -> KeyStore:
    return current_app.extensions["jxjd_keystore"]


@keys_cli.command("init")
@click.option("--force", is_flag=True, help="Accept the keys on disk and create missing ones.")
def init_command(force: bool) -> None:
    """Create the key store for a new database, or check the key store against the database.

    Keys are created only when the database holds no data made with them (that also happens
    automatically at start-up). With data and missing or different keys, nothing is created
    and the command says which keys to restore from the backup, unless --force.
    """
    store = _store()
    at_start = current_app.extensions.get("jxjd_key_state")
    state = apply_key_state(current_app, check_key_store(store, force=force))
    if at_start is not None and at_start.ok:  # keys the start-up check created a moment ago
        state.created = at_start.created + state.created
    if state.status == DEFERRED:
        for problem in state.problems:
            click.echo(f"cannot check the key store: {problem.detail}", err=True)
        raise SystemExit(1)
    if state.status == LOCKED:
        click.echo(f"the key store {store.directory} does not match the database:", err=True)
        for problem in state.problems:
            click.echo(f"  - {problem.detail}", err=True)
        click.echo(
            "Restore the key store from the backup made together with the database.", err=True
        )
        if not force:
            click.echo(FORCE_CONSEQUENCES, err=True)
        raise SystemExit(1)
    if state.created or force:
        record_event(
            CLI,
            "keys.init",
            "key_store",
            "instance",
            created=state.created,
            forced=force,
        )
        db.session.commit()
    for name in state.created:
        click.echo(f"created key {name}")
    infos = signing_keys().list()
    click.echo(
        f"key store {store.directory} matches the database "
        f"({len(infos)} signing keys, active {infos[-1].kid if infos else '-'})"
    )
    if state.created:
        click.echo(BACKUP_WARNING)


@keys_cli.command("rotate")
@require_keys
def rotate_command() -> None:
    """Create a new active signing key; the old one is retired (gets `exp`) but stays published."""
    info = signing_keys().rotate()
    record_new_keys(_store())
    record_event(CLI, "keys.rotate", "signing_key", info.kid)
    db.session.commit()
    click.echo(BACKUP_WARNING)
    click.echo(f"new active signing key: {info.kid}")  # last: scripts read the kid from here


@keys_cli.command("compromise")
@click.argument("kid")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10000))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@require_keys
def compromise_command(kid: str, batch_size: int, yes: bool) -> None:
    """Distrust a signing key: every token under it becomes invalid; re-sign what it signed.

    The key is published with "compromised": true. Every certificate it signed (valid or revoked)
    and every transcript gets a new token from the active key under the same serial; new QR codes
    follow. Safe to run again: it continues with what is left.
    """
    keys = signing_keys()
    info = keys.info(kid)
    if info is None:
        raise click.ClickException(f"no signing key {kid!r} in {keys.directory}")
    total = count_signed_by(kid)
    total_transcripts = transcripts.count_signed_by(kid)
    if not yes:
        click.confirm(
            f"Mark {kid} compromised (irreversible) and re-sign its {total} certificates "
            f"and {total_transcripts} transcripts?",
            abort=True,
        )
    if info.compromised_at is None:
        _, active = keys.compromise(kid)
        record_new_keys(_store())
        record_event(
            CLI,
            "keys.compromise",
            "signing_key",
            kid,
            active=active.kid,
            certificates=total,
            transcripts=total_transcripts,
        )
        db.session.commit()
        click.echo(f"{kid} marked compromised; active signing key: {active.kid}")
    else:
        click.echo(f"{kid} was already marked compromised; re-signing what is left")
    done = 0
    while True:
        count = resign_batch(CLI, kid, limit=batch_size)
        db.session.commit()
        if count == 0:
            break
        done += count
        click.echo(f"re-signed {done}/{total} certificates")
    done_transcripts = 0
    while True:
        count = transcripts.resign_batch(CLI, kid, limit=batch_size)
        db.session.commit()
        if count == 0:
            break
        done_transcripts += count
        click.echo(f"re-signed {done_transcripts}/{total_transcripts} transcripts")
    removed = prune_qr_cache()
    click.echo(
        f"done: {done} certificates and {done_transcripts} transcripts re-signed, "
        f"{removed} cached QR images removed"
    )
    # VC credentials (vc+jwt) and status lists are signed when served, by the active key: the
    # next download carries it; did.json lists the key as compromised, outside assertionMethod.
    click.echo(
        "Verifiers holding a saved JWKS must download /.well-known/jwks.json again. "
        + BACKUP_WARNING
    )


@keys_cli.command("list")
def list_command() -> None:
    """List every signing key with its window and state."""
    for info in signing_keys().list():
        if info.compromised_at is not None:
            state = f"COMPROMISED {info.compromised_at:%Y-%m-%d}"
        elif info.retired_at is not None:
            state = f"retired {info.retired_at:%Y-%m-%d}"
        else:
            state = "active"
        window = f"nbf {info.nbf}" + (f" exp {info.exp}" if info.exp is not None else "")
        click.echo(f"{info.kid}  created {info.created_at:%Y-%m-%d}  {state}  ({window})")
