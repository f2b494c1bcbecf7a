"""Feedback endpoints: a trainee rates a session through their certificate; bases read aggregates."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from jxjd.auth import current_actor
from jxjd.certificates.services import certificate_for
from jxjd.common.params import form_integer
from jxjd.common.schema import load
from jxjd.errors import NotFound
from jxjd.extensions import db
from jxjd.feedback import bp, services
from jxjd.feedback.schemas import FeedbackArgs, FeedbackSchema, FeedbackSummarySchema
from jxjd.forms import place_errors, typed
from jxjd.openapi import Body, doc
from jxjd.sessions.models import TrainingSession
from jxjd.sessions.services import get_session
from jxjd.transactions import attempt
from jxjd.web import page


@bp.post("/api/v1/certificates/<serial>/feedback")
@doc(
    "学员评价培训效果（证书持有人；每人每班次一次，重复评价返回 409 already_rated）",
    action="feedback.rate",
    body=FeedbackArgs,
    response=FeedbackSchema,
    status=201,
    errors=(404, 409, 422),
)
def rate(serial: str, args: Body):
    """Rate the session of one's own certificate, once."""
    actor = current_actor()
    cert = certificate_for(actor, serial, "feedback.rate")
    entry = services.rate_session(actor, cert, rating=args["rating"], comment=args["comment"])
    return services.feedback_dict(cert, entry)


@bp.get("/api/v1/certificates/<serial>/feedback")
@doc("本人对该证书所属班次的评价", action="feedback.rate", response=FeedbackSchema, errors=(404,))
def my_rating(serial: str):
    """The owner's own rating, or 404 when not rated yet."""
    cert = certificate_for(current_actor(), serial, "feedback.rate")
    entry = services.feedback_for_certificate(cert)
    if entry is None:
        raise NotFound("尚未评价该培训班次")
    return services.feedback_dict(cert, entry)


@bp.get("/api/v1/sessions/<int:session_id>/feedback")
@doc(
    "培训班次的学员评价汇总（人数、平均分、1–5 分分布、匿名意见）",
    action="session.read",
    response=FeedbackSummarySchema,
    errors=(404,),
)
def session_feedback(session_id: int):
    """Aggregates of a session's ratings, without names or ID numbers."""
    return services.session_summary(get_session(current_actor(), session_id))


FEEDBACK_LABELS = {"rating": "总体评分", "comment": "意见和建议"}


@bp.route("/feedback/<serial>", methods=["GET", "POST"])
@page("feedback.rate")
def feedback_page(serial: str):
    """A trainee's form to rate the session of one of their certificates."""
    actor = current_actor()
    cert = certificate_for(actor, serial, "feedback.rate")
    session = db.session.get(TrainingSession, cert.session_id)
    problem = None
    if request.method == "POST":
        form: dict[str, Any] = request.form.to_dict()
        form["rating"] = form_integer(form.get("rating", ""))

        def rate_from_form() -> None:
            args = load(FeedbackArgs(), form)
            services.rate_session(actor, cert, rating=args["rating"], comment=args["comment"])

        _, problem = attempt(rate_from_form)
        if problem is None:
            flash("感谢您的评价")
            return redirect(url_for("feedback.feedback_page", serial=serial))
    return render_template(
        "feedback/rate.html",
        cert=cert,
        session=session,
        entry=services.feedback_for_certificate(cert),
        errors=place_errors(problem, FEEDBACK_LABELS),
        form=typed(keys=FEEDBACK_LABELS),
    ), (problem.status if problem is not None else 200)
