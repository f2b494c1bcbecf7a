"""Feedback endpoints: a trainee rates a session through their certificate; bases read aggregates."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor, require
from jxjd.certificates.services import get_certificate
from jxjd.common.params import form_integer
from jxjd.common.schema import json_body, load
from jxjd.errors import NotFound, Problem
from jxjd.extensions import db
from jxjd.feedback import bp, services
from jxjd.feedback.schemas import FeedbackArgs, FeedbackSchema, FeedbackSummarySchema
from jxjd.openapi import doc
from jxjd.sessions.models import TrainingSession
from jxjd.sessions.services import get_session_for
from jxjd.web import require_page

TAGS = ["feedback"]


@bp.post("/api/v1/certificates/<serial>/feedback")
@require(roles={"person"})
@doc(
    "学员评价培训效果（证书持有人；每人每班次一次，重复评价返回 409 already_rated）",
    body=FeedbackArgs,
    response=FeedbackSchema,
    status=201,
    tags=TAGS,
    errors=(404, 409, 422),
)
def rate(serial: str):
    """Rate the session of one's own certificate, once."""
    actor = current_actor()
    cert = services.owned_certificate(actor, get_certificate(serial))
    args = load(FeedbackArgs(), json_body())
    entry = services.rate_session(actor, cert, rating=args["rating"], comment=args["comment"])
    db.session.commit()
    return services.feedback_dict(cert, entry), 201


@bp.get("/api/v1/certificates/<serial>/feedback")
@require(roles={"person"})
@doc("本人对该证书所属班次的评价", response=FeedbackSchema, tags=TAGS, errors=(404,))
def my_rating(serial: str):
    """The owner's own rating, or 404 when not rated yet."""
    cert = services.owned_certificate(current_actor(), get_certificate(serial))
    entry = services.feedback_for_certificate(cert)
    if entry is None:
        raise NotFound("尚未评价该培训班次")
    return services.feedback_dict(cert, entry)


@bp.get("/api/v1/sessions/<int:session_id>/feedback")
@require(roles={"admin", "dept", "base"})
@doc(
    "培训班次的学员评价汇总（人数、平均分、1–5 分分布、匿名意见）",
    response=FeedbackSummarySchema,
    tags=TAGS,
    errors=(404,),
)
def session_feedback(session_id: int):
    """Aggregates of a session's ratings, without names or ID numbers."""
    session = get_session_for(current_actor(), session_id)
    return services.session_summary(session)


@bp.route("/feedback/<serial>", methods=["GET", "POST"])
@require_page(roles={"person"})
def feedback_page(serial: str):
    """A trainee's form to rate the session of one of their certificates."""
    actor = current_actor()
    cert = services.owned_certificate(actor, get_certificate(serial))
    session = db.session.get(TrainingSession, cert.session_id)
    errors: list[dict] = []
    if request.method == "POST":
        try:
            form = request.form.to_dict()
            form["rating"] = form_integer(form.get("rating", ""))
            args = load(FeedbackArgs(), form)
            services.rate_session(actor, cert, rating=args["rating"], comment=args["comment"])
            db.session.commit()
            flash("感谢您的评价")
            return redirect(url_for("feedback.feedback_page", serial=serial))
        except Problem as problem:
            db.session.rollback()
            errors = problem.errors or [{"message": problem.detail}]
    return render_template(
        "feedback/rate.html",
        cert=cert,
        session=session,
        entry=services.feedback_for_certificate(cert),
        errors=errors,
    )
