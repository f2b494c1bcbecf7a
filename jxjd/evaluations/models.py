"""Evaluation rounds, one evaluation per base with its figures snapshot, and evaluators' scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

# The labels live with every other enumeration's (common.enums); the names stay importable here.
from jxjd.common.enums import EVALUATION_OUTCOMES, EVALUATION_STATUSES, SCORE_ITEMS  # noqa: F401
from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.bases.models import Base

OUTCOMES = EVALUATION_OUTCOMES


class EvaluationRound(Model):
    """One three-yearly evaluation round: the year it closes and the bases it covers."""

    __tablename__ = "evaluation_rounds"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    opened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    opened_by: so.Mapped[str] = so.mapped_column(sa.String(200))

    evaluations: so.Mapped[list[Evaluation]] = so.relationship(
        back_populates="round", order_by="Evaluation.base_id"
    )

    @property
    def years(self) -> list[int]:
        return [self.year - 2, self.year - 1, self.year]


class Evaluation(Model):
    """One base's evaluation in a round: the figures as gathered, the scores, the outcome."""

    __tablename__ = "evaluations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("evaluation_rounds.id"))
    base_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open")
    # The service's own figures for the three years, frozen when the round opened.
    figures: so.Mapped[dict] = so.mapped_column(sa.JSON)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    outcome_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    deadline: so.Mapped[date | None] = so.mapped_column(sa.Date)
    # 第二十二条: an excellent base is promoted until the next round.
    excellent_until: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # Every outcome given, oldest first: [{"outcome", "reason", "deadline", "at", "by"}].
    history: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    round: so.Mapped[EvaluationRound] = so.relationship(back_populates="evaluations")
    base: so.Mapped[Base] = so.relationship()  # noqa: F821
    scores: so.Mapped[list[EvaluationScore]] = so.relationship(
        back_populates="evaluation", order_by="EvaluationScore.id"
    )

    __table_args__ = (sa.UniqueConstraint("round_id", "base_id"),)


class EvaluationScore(Model):
    """One evaluator's scores (0–100) on the six items of 第二十一条."""

    __tablename__ = "evaluation_scores"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    evaluation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("evaluations.id"))
    evaluator: so.Mapped[str] = so.mapped_column(sa.String(200))
    teachers: so.Mapped[int] = so.mapped_column()
    funds: so.Mapped[int] = so.mapped_column()
    facilities: so.Mapped[int] = so.mapped_column()
    rules: so.Mapped[int] = so.mapped_column()
    tasks: so.Mapped[int] = so.mapped_column()
    effect: so.Mapped[int] = so.mapped_column()
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    created_by: so.Mapped[str] = so.mapped_column(sa.String(200))

    evaluation: so.Mapped[Evaluation] = so.relationship(back_populates="scores")

    __table_args__ = (sa.UniqueConstraint("evaluation_id", "evaluator"),)
