"""Rating a session once per trainee, and the aggregates a base sees."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.certificates.models import Certificate
from jxjd.common.time import isoformat, utcnow
from jxjd.errors import Conflict
from jxjd.extensions import db
from jxjd.feedback.models import SessionFeedback
from jxjd.sessions.models import TrainingSession


class AlreadyRated(Conflict):
    code, title = "already_rated", "已评价过该培训班次"


class CertificateRevoked(Conflict):
    code, title = "certificate_revoked", "证书已撤销，不能评价"


def feedback_for_certificate(cert: Certificate) -> SessionFeedback | None:
    """The owner's rating of the certificate's session, if given."""
    return db.session.scalar(
        sa.select(SessionFeedback).where(
            SessionFeedback.session_id == cert.session_id,
            SessionFeedback.person_id == cert.person_id,
        )
    )


def rate_session(actor: Actor, cert: Certificate, *, rating: int, comment: str) -> SessionFeedback:
    """Record the owner's one rating of the session the certificate belongs to."""
    authorize(actor, "feedback.rate", cert)
    if cert.revoked_at is not None:
        raise CertificateRevoked(f"证书 {cert.serial} 已撤销")
    if feedback_for_certificate(cert) is not None:
        raise AlreadyRated("每位学员对每个培训班次只能评价一次")
    entry = SessionFeedback(
        session_id=cert.session_id,
        person_id=cert.person_id,
        certificate_id=cert.id,
        rating=rating,
        comment=(comment or "").strip(),
        created_at=utcnow(),
    )
    db.session.add(entry)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent request stored the same person's rating first.
        raise AlreadyRated("每位学员对每个培训班次只能评价一次") from None
    # The audit trail keeps the rating, not the person or the comment: feedback is anonymous to bases.
    record_event(actor, "feedback.create", "session", cert.session_id, rating=rating)
    db.session.flush()
    return entry


def feedback_dict(cert: Certificate, entry: SessionFeedback) -> dict[str, Any]:
    """The owner's view of their rating."""
    return {
        "serial": cert.serial,
        "session_id": entry.session_id,
        "rating": entry.rating,
        "comment": entry.comment,
        "created_at": isoformat(entry.created_at),
    }


def average(total: int, count: int) -> float | None:
    """A mean rating with one decimal, or None when nobody rated."""
    if not count:
        return None
    return float((Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def session_summary(session: TrainingSession) -> dict[str, Any]:
    """Count, average, distribution 1..5 and the comments of a session, without names or IDs."""
    rows = db.session.execute(
        sa.select(SessionFeedback.rating, sa.func.count())
        .where(SessionFeedback.session_id == session.id)
        .group_by(SessionFeedback.rating)
    ).all()
    distribution = {str(n): 0 for n in range(1, 6)}
    for rating, n in rows:
        distribution[str(rating)] = n
    count = sum(n for _, n in rows)
    comments = db.session.execute(
        sa.select(SessionFeedback.rating, SessionFeedback.comment)
        .where(SessionFeedback.session_id == session.id, SessionFeedback.comment != "")
        .order_by(SessionFeedback.id.desc())
    ).all()
    return {
        "session_id": session.id,
        "count": count,
        "average": average(sum(r * n for r, n in rows), count),
        "distribution": distribution,
        "comments": [{"rating": r, "comment": c} for r, c in comments],
    }


def feedback_by_base(base_ids: list[int], years: list[int]) -> dict[int, dict[str, Any]]:
    """Feedback count and average per base over sessions of the given years, in one query."""
    out: dict[int, dict[str, Any]] = {
        base_id: {"count": 0, "average": None} for base_id in base_ids
    }
    if not base_ids:
        return out
    rows = db.session.execute(
        sa.select(
            TrainingSession.base_id,
            sa.func.count(SessionFeedback.id),
            sa.func.coalesce(sa.func.sum(SessionFeedback.rating), 0),
        )
        .join(TrainingSession, TrainingSession.id == SessionFeedback.session_id)
        .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year.in_(years))
        .group_by(TrainingSession.base_id)
    )
    for base_id, count, total in rows:
        out[base_id] = {"count": count, "average": average(int(total), count)}
    return out
