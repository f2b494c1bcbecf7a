"""Opening a round, gathering each base's figures set-based, scoring, and the outcomes."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize, fetch, scoped
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import ACTIVE_STATUSES, Base
from jxjd.bases.services import change_base_status
from jxjd.certificates.models import Certificate
from jxjd.common.enums import BASE_STATUSES
from jxjd.common.enums import SPOT_CHECK_OUTCOMES as SPOT_CHECK_OUTCOME_LABELS
from jxjd.common.time import isoformat, local_today, utcnow
from jxjd.common.types import hours_json
from jxjd.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, field_error
from jxjd.evaluations.models import (
    EVALUATION_STATUSES,
    OUTCOMES,
    SCORE_ITEMS,
    Evaluation,
    EvaluationRound,
    EvaluationScore,
)
from jxjd.extensions import db
from jxjd.feedback.services import feedback_by_base
from jxjd.plans.models import Plan, PlanItem
from jxjd.reports.tabular import delivered_by_item, figures_frame
from jxjd.rules.services import rules_for_years
from jxjd.sessions.models import TrainingSession
from jxjd.spotchecks.models import SpotCheckItem
from jxjd.states import Machine, lock, transition

SPOT_CHECK_OUTCOMES = tuple(SPOT_CHECK_OUTCOME_LABELS)  # pending, pass, issues, fail
# 第二十一条: every three years, for bases recognized at least three full years before.
ROUND_SPAN = 3


class RoundExists(Conflict):
    code, title = "round_exists", "该年度的评估已开展"


class AlreadyScored(Conflict):
    code, title = "already_scored", "该评估专家已评分"


# An evaluation is scored by one or more evaluators, then decided; told to rectify, it gets a
# follow-up outcome (pass or revoke) later.
EVALUATION_MACHINE = Machine(
    model=Evaluation,
    kind="evaluation",
    noun="评估",
    labels=EVALUATION_STATUSES,
    moves={
        "open": frozenset({"scored"}),
        "scored": frozenset({"scored", "rectifying", "decided"}),
        "rectifying": frozenset({"decided"}),
        "decided": frozenset(),
    },
)
# The evaluation states each outcome may follow.
OUTCOME_SOURCES: dict[str, tuple[str, ...]] = {
    "excellent": ("scored",),
    "pass": ("scored", "rectifying"),
    "rectify": ("scored",),
    "revoke": ("scored", "rectifying"),
}


# ---- gathering figures -------------------------------------------------------------------------


def eligible_bases(year: int) -> list[Base]:
    """Active bases recognized on or before 31 December of `year` − 3, by id."""
    cutoff = date(year - ROUND_SPAN, 12, 31)
    return list(
        db.session.scalars(
            sa.select(Base)
            .where(
                Base.status.in_(ACTIVE_STATUSES),
                Base.recognized_on.is_not(None),
                Base.recognized_on <= cutoff,
            )
            .order_by(Base.id)
        )
    )


PLAN_FIGURES = ("planned_sessions", "actual_sessions", "planned_trainees", "actual_trainees")


def _plan_totals(base_ids: list[int], years: list[int]) -> pd.DataFrame:
    """Planned and delivered sessions and trainees per (base_id, year) with a filed plan.

    The same figures as reports.plan_vs_actual summed over its rows: planned from the current
    filed plan; delivered from sessions under any version of that year's plan, trainees counted
    distinct per item (specialty, title, category, level, audience); nothing without a filed plan.
    """
    filed = (
        Plan.base_id.in_(base_ids),
        Plan.year.in_(years),
        Plan.status == "filed",
        Plan.superseded_at.is_(None),
    )
    planned = db.session.execute(
        sa.select(
            Plan.base_id,
            Plan.year,
            sa.func.coalesce(sa.func.sum(PlanItem.sessions), 0),
            sa.func.coalesce(sa.func.sum(PlanItem.trainees), 0),
        )
        .outerjoin(PlanItem, PlanItem.plan_id == Plan.id)
        .where(*filed)
        .group_by(Plan.base_id, Plan.year)
    ).all()
    keys = ["base_id", "year"]
    frame = pd.DataFrame(
        [tuple(r) for r in planned], columns=[*keys, "planned_sessions", "planned_trainees"]
    ).set_index(keys)
    delivered = delivered_by_item(base_ids, years)
    actual = delivered.groupby(keys)[["actual_sessions", "actual_trainees"]].sum()
    # plan_vs_actual reports nothing for a year without a filed plan: a left join.
    frame = frame.join(actual).reindex(columns=list(PLAN_FIGURES))
    return frame.fillna(0).astype("int64")


def _certificate_counts(base_ids: list[int], years: list[int]) -> dict[int, dict[str, int]]:
    """Certificates issued and revoked per base for sessions of the given years."""
    out = {b: {"issued": 0, "revoked": 0} for b in base_ids}
    rows = db.session.execute(
        sa.select(
            TrainingSession.base_id,
            sa.func.count(Certificate.id),
            sa.func.count(Certificate.revoked_at),
        )
        .join(TrainingSession, TrainingSession.id == Certificate.session_id)
        .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year.in_(years))
        .group_by(TrainingSession.base_id)
    )
    for base_id, issued, revoked in rows:
        out[base_id] = {"issued": issued, "revoked": revoked}
    return out


def _spot_check_counts(base_ids: list[int], years: list[int]) -> dict[int, dict[str, int]]:
    """Spot-check outcomes (pending, pass, issues, fail) per base for sampled sessions."""
    out = {b: {o: 0 for o in SPOT_CHECK_OUTCOMES} for b in base_ids}
    rows = db.session.execute(
        sa.select(TrainingSession.base_id, SpotCheckItem.outcome, sa.func.count())
        .join(TrainingSession, TrainingSession.id == SpotCheckItem.session_id)
        .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year.in_(years))
        .group_by(TrainingSession.base_id, SpotCheckItem.outcome)
    )
    for base_id, outcome, count in rows:
        out[base_id][outcome] = out[base_id].get(outcome, 0) + count
    return out


def gather_figures(base_ids: list[int], year: int) -> dict[int, dict[str, Any]]:
    """Each base's figures for year−2..year, a fixed number of grouped queries for any bases."""
    years = [year - 2, year - 1, year]
    minimum = {y: r.min_trainees for y, r in rules_for_years(years).items()}
    table = figures_frame(base_ids, years)
    if base_ids:
        table = table.join(_plan_totals(base_ids, years))  # by (base_id, year)
    table = table.reindex(columns=list(dict.fromkeys([*table.columns, *PLAN_FIGURES])))
    table[list(PLAN_FIGURES)] = table[list(PLAN_FIGURES)].fillna(0).astype("int64")
    table["min_trainees"] = [minimum[y] for y in table.index.get_level_values("year")]
    table["meets_minimum_trainees"] = table["trainees"] >= table["min_trainees"]
    certificates = _certificate_counts(base_ids, years) if base_ids else {}
    spot_checks = _spot_check_counts(base_ids, years) if base_ids else {}
    feedback = feedback_by_base(base_ids, years)
    out: dict[int, dict[str, Any]] = {}
    for base_id in base_ids:
        rows = table.loc[base_id]
        out[base_id] = {
            "years": _year_rows(rows),
            "totals": _three_year_totals(rows),
            "certificates": certificates.get(base_id, {"issued": 0, "revoked": 0}),
            "spot_checks": spot_checks.get(base_id, dict.fromkeys(SPOT_CHECK_OUTCOMES, 0)),
            "feedback": feedback[base_id],
        }
    return out


_YEAR_COLUMNS = [
    "sessions",
    "trainees",
    "person_times",
    "trainee_hours",
    "min_trainees",
    "meets_minimum_trainees",
    *PLAN_FIGURES,
]


def _year_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One base's three years (a frame indexed by year) as the snapshot's rows."""
    out = []
    for year, row in zip(rows.index, rows[_YEAR_COLUMNS].to_dict("records"), strict=True):
        row["trainee_hours"] = hours_json(row["trainee_hours"])
        out.append({"year": int(year), **row})
    return out


def _three_year_totals(rows: pd.DataFrame) -> dict[str, Any]:
    """One base's figures summed over the three years."""
    totals: dict[str, Any] = {
        key: int(rows[key].sum()) for key in ("sessions", "person_times", *PLAN_FIGURES)
    }
    totals["trainee_hours"] = hours_json(sum(rows["trainee_hours"], Decimal(0)))
    totals["years_meeting_minimum"] = int(rows["meets_minimum_trainees"].sum())
    return totals


# ---- rounds -------------------------------------------------------------------------------------


def open_round(actor: Actor, year: int, name: str | None = None) -> EvaluationRound:
    """Open the round for `year`: one evaluation per eligible base, its figures snapshotted."""
    authorize(actor, "evaluation.open")
    if db.session.scalar(sa.select(EvaluationRound.id).where(EvaluationRound.year == year)):
        raise RoundExists(f"{year} 年度基地评估已开展")
    now = utcnow()
    rnd = EvaluationRound(
        year=year,
        name=(name or "").strip() or f"{year} 年度省级继续教育基地评估",
        opened_at=now,
        opened_by=actor.name,
    )
    db.session.add(rnd)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise RoundExists(f"{year} 年度基地评估已开展") from None
    bases = eligible_bases(year)
    figures = gather_figures([b.id for b in bases], year)
    for base in bases:
        db.session.add(
            Evaluation(
                round_id=rnd.id,
                base_id=base.id,
                status="open",
                figures=figures[base.id],
                history=[],
                created_at=now,
            )
        )
    record_event(
        actor,
        "evaluation.round_open",
        "evaluation_round",
        rnd.id,
        year=year,
        name=rnd.name,
        base_ids=[b.id for b in bases],
    )
    db.session.flush()
    return rnd


def get_round(round_id: int) -> EvaluationRound:
    """A round by id; 404 if unknown."""
    rnd = db.session.get(EvaluationRound, round_id)
    if rnd is None:
        raise NotFound(f"评估 {round_id} 不存在")
    return rnd


def list_rounds() -> list[EvaluationRound]:
    """Every round, newest year first."""
    return list(
        db.session.scalars(sa.select(EvaluationRound).order_by(EvaluationRound.year.desc()))
    )


def evaluations_in(actor: Actor, rnd: EvaluationRound) -> list[Evaluation]:
    """The round's evaluations the actor may see (a department: its own bases), by base."""
    query = (
        sa.select(Evaluation)
        .join(Base, Base.id == Evaluation.base_id)
        .options(so.selectinload(Evaluation.scores), so.contains_eager(Evaluation.base))
        .where(Evaluation.round_id == rnd.id)
        .order_by(Evaluation.base_id)
    )
    return list(db.session.scalars(scoped(actor, "evaluation.round", query)))


# ---- one evaluation -----------------------------------------------------------------------------


def get_evaluation(actor: Actor, evaluation_id: int, action: str = "evaluation.read") -> Evaluation:
    """An evaluation the actor may `action` (admin, the base's department, the base): 404, 403."""
    return fetch(actor, action, Evaluation, evaluation_id, label="基地评估")


def add_score(actor: Actor, evaluation: Evaluation, data: dict[str, Any]) -> EvaluationScore:
    """Record one evaluator's six item scores (admin, or the base's department)."""
    authorize(actor, "evaluation.score", evaluation)
    evaluator = (data.get("evaluator") or "").strip() or actor.name
    items = {item: data[item] for item in SCORE_ITEMS}
    stored: list[EvaluationScore] = []

    def store(_previous: str) -> None:
        if any(s.evaluator == evaluator for s in evaluation.scores):
            raise AlreadyScored(f"评估专家“{evaluator}”已对该基地评分")
        score = EvaluationScore(
            evaluation_id=evaluation.id,
            evaluator=evaluator,
            comment=(data.get("comment") or "").strip(),
            created_at=utcnow(),
            created_by=actor.name,
            **items,
        )
        db.session.add(score)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except sa.exc.IntegrityError:
            raise AlreadyScored(f"评估专家“{evaluator}”已对该基地评分") from None
        stored.append(score)

    transition(
        evaluation,
        "scored",
        allowed=("open", "scored"),
        actor=actor,
        event="evaluation.score",
        verb="再评分",
        then=store,
        evaluator=evaluator,
        **items,
    )
    db.session.flush()
    db.session.refresh(evaluation, ["scores"])
    return stored[0]


def _mean(values: list[Decimal]) -> float | None:
    if not values:
        return None
    mean = sum(values, Decimal(0)) / len(values)
    return float(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score_summary(evaluation: Evaluation) -> dict[str, Any]:
    """Each item's mean over the evaluators and the overall mean (items weigh equally)."""
    sheets = evaluation.scores
    items = {item: _mean([Decimal(getattr(s, item)) for s in sheets]) for item in SCORE_ITEMS}
    totals = [
        sum((Decimal(getattr(s, i)) for i in SCORE_ITEMS), Decimal(0)) / len(SCORE_ITEMS)
        for s in sheets
    ]
    return {"evaluators": len(sheets), "items": items, "total": _mean(totals)}


def _decision_errors(outcome: str, reason: str, deadline: date | None, today: date) -> list:
    errors = []
    if not reason:
        errors.append(field_error("missing_reason", "须说明评估结论的理由", field="reason"))
    if outcome == "rectify":
        if deadline is None:
            errors.append(
                field_error("missing_deadline", "限期整改须给出整改期限", field="deadline")
            )
        elif deadline <= today:
            errors.append(field_error("invalid_deadline", "整改期限须晚于今天", field="deadline"))
    return errors


def _follow_with_base(
    actor: Actor, evaluation: Evaluation, previous: str, outcome: str, reason: str
) -> Base:
    """Check the base can take the outcome and move it accordingly, under its row lock."""
    base = evaluation.base
    status = lock(base)
    if outcome in ("excellent", "pass") and status not in ACTIVE_STATUSES:
        raise InvalidTransition(
            f"基地当前状态为“{BASE_STATUSES[status]}”，不能评为{OUTCOMES[outcome]}"
        )
    if outcome == "excellent" and status != "recognized":
        raise InvalidTransition("限期整改中的基地不能评为优秀")
    status_reason = f"{evaluation.round.year} 年度评估：{OUTCOMES[outcome]}。{reason}"
    if outcome == "rectify" and status != "rectifying":
        change_base_status(actor, base, "rectifying", status_reason)
    elif outcome == "revoke":
        change_base_status(actor, base, "revoked", status_reason)
    elif outcome == "pass" and previous == "rectifying" and status == "rectifying":
        change_base_status(actor, base, "recognized", status_reason)
    return base


def decide(
    actor: Actor,
    evaluation: Evaluation,
    outcome: str,
    *,
    reason: str,
    deadline: date | None = None,
    today: date | None = None,
) -> Evaluation:
    """Record the outcome and move the base's status accordingly (第二十二条, 第二十三条)."""
    authorize(actor, "evaluation.decide", evaluation)
    today = today or local_today()
    reason = (reason or "").strip()
    errors = _decision_errors(outcome, reason, deadline, today)
    if errors:
        raise ValidationFailed(errors)
    deadline = deadline if outcome == "rectify" else None
    now = utcnow()

    def record(previous: str) -> dict[str, Any]:
        base = _follow_with_base(actor, evaluation, previous, outcome, reason)
        evaluation.outcome, evaluation.outcome_reason = outcome, reason
        evaluation.deadline = deadline
        evaluation.excellent_until = (
            date(evaluation.round.year + ROUND_SPAN, 12, 31) if outcome == "excellent" else None
        )
        evaluation.decided_at, evaluation.decided_by = now, actor.name
        evaluation.history = [
            *evaluation.history,
            {
                "outcome": outcome,
                "reason": reason,
                "deadline": deadline.isoformat() if deadline else None,
                "at": isoformat(now),
                "by": actor.name,
            },
        ]
        return {"base_id": base.id, "outcome": outcome, "reason": reason, "deadline": deadline}

    transition(
        evaluation,
        "rectifying" if outcome == "rectify" else "decided",
        allowed=OUTCOME_SOURCES[outcome],
        actor=actor,
        event="evaluation.outcome",
        verb=f"作出“{OUTCOMES[outcome]}”结论",
        then=record,
    )
    db.session.flush()
    return evaluation


def excellent_bases(today: date | None = None) -> list[dict[str, Any]]:
    """Bases rated excellent whose distinction still runs and that are still recognized."""
    today = today or local_today()
    rows = db.session.execute(
        sa.select(Evaluation, EvaluationRound.year, Base)
        .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id)
        .join(Base, Base.id == Evaluation.base_id)
        .where(
            Evaluation.outcome == "excellent",
            Evaluation.excellent_until >= today,
            Base.status == "recognized",
        )
        .order_by(EvaluationRound.year.desc(), Base.id)
    ).all()
    seen: set[int] = set()
    out = []
    for evaluation, year, base in rows:
        if base.id in seen:  # the latest round's distinction only
            continue
        seen.add(base.id)
        out.append(
            {
                "base_id": base.id,
                "name": base.name,
                "department": base.department,
                "evaluation_id": evaluation.id,
                "round_year": year,
                "excellent_until": str(evaluation.excellent_until),  # set: filtered above
            }
        )
    return out


def excellent_base_ids(today: date | None = None) -> set[int]:
    """The ids of the bases currently distinguished as excellent (for the directory)."""
    return {row["base_id"] for row in excellent_bases(today)}


# ---- JSON shapes --------------------------------------------------------------------------------


def evaluation_dict(evaluation: Evaluation, *, with_scores: bool = True) -> dict[str, Any]:
    """An evaluation with its base, figures snapshot, scores and outcome."""
    base = evaluation.base
    out: dict[str, Any] = {
        "id": evaluation.id,
        "round_id": evaluation.round_id,
        "year": evaluation.round.year,
        "years": evaluation.round.years,
        "base": {
            "id": base.id,
            "name": base.name,
            "department": base.department,
            "status": base.status,
            "recognized_on": base.recognized_on.isoformat() if base.recognized_on else None,
        },
        "status": evaluation.status,
        "figures": evaluation.figures,
        "score_summary": score_summary(evaluation),
        "outcome": evaluation.outcome,
        "outcome_reason": evaluation.outcome_reason,
        "deadline": evaluation.deadline.isoformat() if evaluation.deadline else None,
        "excellent_until": (
            evaluation.excellent_until.isoformat() if evaluation.excellent_until else None
        ),
        "decided_at": isoformat(evaluation.decided_at),
        "decided_by": evaluation.decided_by,
        "history": evaluation.history,
    }
    if with_scores:
        out["scores"] = [
            {
                "id": s.id,
                "evaluator": s.evaluator,
                **{item: getattr(s, item) for item in SCORE_ITEMS},
                "comment": s.comment,
                "created_at": isoformat(s.created_at),
            }
            for s in evaluation.scores
        ]
    return out


def round_dict(rnd: EvaluationRound, evaluations: list[Evaluation]) -> dict[str, Any]:
    """A round with the evaluations given (already scoped to the reader)."""
    return {
        "id": rnd.id,
        "year": rnd.year,
        "name": rnd.name,
        "years": rnd.years,
        "opened_at": isoformat(rnd.opened_at),
        "opened_by": rnd.opened_by,
        "evaluations": [evaluation_dict(e) for e in evaluations],
    }
