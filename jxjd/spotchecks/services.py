"""Drawing a reproducible random sample of a year's sessions and recording inspections."""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.enums import SPOT_CHECK_OUTCOMES
from jxjd.common.time import utcnow
from jxjd.errors import NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession
from jxjd.spotchecks.models import SpotCheck, SpotCheckItem

OUTCOMES = SPOT_CHECK_OUTCOMES  # the labels live in common.enums


def population(year: int, as_of: datetime | None = None) -> list[int]:
    """The ids of the year's sessions (created by `as_of`), sorted: what a draw samples from."""
    query = sa.select(TrainingSession.id).where(TrainingSession.year == year)
    if as_of is not None:
        query = query.where(TrainingSession.created_at <= as_of)
    return sorted(db.session.scalars(query))


def digest(ids: list[int]) -> str:
    """A fingerprint of a population."""
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def draw(ids: list[int], size: int, seed: str) -> list[int]:
    """The sample for a seed: the same population and seed always give the same sessions."""
    return random.Random(seed).sample(ids, min(size, len(ids)))


def draw_spot_check(actor: Actor, year: int, size: int, *, seed: str | None = None) -> SpotCheck:
    """Sample `size` sessions of `year` across all bases; keep the seed to reproduce the draw."""
    authorize(actor, "spot_check.manage")
    now = utcnow()
    ids = population(year, now)
    if not ids:
        raise ValidationFailed(
            [field_error("no_sessions", f"{year} 年度没有可抽查的培训班次", field="year")]
        )
    seed = seed or secrets.token_hex(16)
    check = SpotCheck(
        year=year,
        size=size,
        seed=seed,
        population_size=len(ids),
        population_digest=digest(ids),
        population=ids,
        created_at=now,
        created_by=actor.name,
        items=[
            SpotCheckItem(session_id=sid, position=i, outcome="pending", findings="")
            for i, sid in enumerate(draw(ids, size, seed))
        ],
    )
    db.session.add(check)
    db.session.flush()
    record_event(
        actor,
        "spotcheck.draw",
        "spot_check",
        check.id,
        year=year,
        size=size,
        seed=seed,
        sessions=[i.session_id for i in check.items],
    )
    return check


def reproduce(check: SpotCheck) -> dict:
    """Redraw from the stored seed over the stored population; say whether it matches.

    The population is stored with the draw: a session committed just after the draw (but
    created before it) must not change what the draw was taken from.
    """
    ids = list(check.population)
    same_population = digest(ids) == check.population_digest
    redrawn = draw(ids, check.size, check.seed)
    stored = [i.session_id for i in check.items]
    return {
        "spot_check_id": check.id,
        "seed": check.seed,
        "same_population": same_population,
        "redrawn": redrawn,
        "stored": stored,
        "reproduced": same_population and redrawn == stored,
    }


def get_spot_check(check_id: int) -> SpotCheck:
    """A spot check by id, 404 if unknown."""
    check = db.session.get(SpotCheck, check_id)
    if check is None:
        raise NotFound(f"抽查 {check_id} 不存在")
    return check


def record_outcome(
    actor: Actor, check: SpotCheck, session_id: int, outcome: str, findings: str
) -> SpotCheckItem:
    """Record what the inspection of one sampled session found."""
    authorize(actor, "spot_check.manage")
    item = next((i for i in check.items if i.session_id == session_id), None)
    if item is None:
        raise NotFound(f"培训班次 {session_id} 不在本次抽查样本中")
    item.outcome, item.findings = outcome, findings
    item.inspected_at, item.inspected_by = utcnow(), actor.name
    record_event(
        actor,
        "spotcheck.outcome",
        "spot_check",
        check.id,
        session_id=session_id,
        outcome=outcome,
        findings=findings,
    )
    db.session.flush()
    return item


def list_spot_checks(year: int | None = None) -> list[SpotCheck]:
    """Spot checks, newest first."""
    query = sa.select(SpotCheck).order_by(SpotCheck.id.desc())
    if year is not None:
        query = query.where(SpotCheck.year == year)
    return list(db.session.scalars(query))
