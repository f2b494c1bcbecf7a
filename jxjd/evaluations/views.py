"""Evaluation endpoints (第二十一条–第二十三条) and the admin page listing a round."""

from __future__ import annotations

from flask import render_template

from jxjd.auth import current_actor
from jxjd.common.xlsx import XLSX_MIMETYPE, xlsx_response
from jxjd.evaluations import bp, services
from jxjd.evaluations.exporting import round_xlsx
from jxjd.evaluations.models import EVALUATION_STATUSES, OUTCOMES, SCORE_ITEMS
from jxjd.evaluations.schemas import EvaluationOutcomeArgs, EvaluationRoundArgs, EvaluationScoreArgs
from jxjd.openapi import Body, doc
from jxjd.web import page


def _round_data(round_id: int) -> dict:
    actor = current_actor()
    rnd = services.get_round(round_id)
    return services.round_dict(rnd, services.evaluations_in(actor, rnd))


def _round_xlsx(round_id: int):
    data = _round_data(round_id)
    return xlsx_response(round_xlsx(data), f"jxjd-evaluation-{data['year']}.xlsx")


@bp.post("/api/v1/evaluation-rounds")
@doc(
    "开展三年一次的基地评估：为认定满三年（认定日期不晚于 year−3 年 12 月 31 日）的已认定、"
    "限期整改基地各建一份评估，并固定 year−2 至 year 三年的培训数据",
    action="evaluation.open",
    body=EvaluationRoundArgs,
    status=201,
    errors=(409, 422),
)
def open_round(args: Body):
    """Open the round of a year."""
    rnd = services.open_round(current_actor(), args["year"], args["name"])
    return services.round_dict(rnd, rnd.evaluations)


@bp.get("/api/v1/evaluation-rounds")
@doc("评估轮次列表", action="evaluation.round")
def list_rounds():
    """Every round (without its evaluations)."""
    return {
        "rounds": [
            {"id": r.id, "year": r.year, "name": r.name, "years": r.years}
            for r in services.list_rounds()
        ]
    }


@bp.get("/api/v1/evaluation-rounds/<int:round_id>")
@doc("评估轮次详情（主管部门只看到本部门基地）", action="evaluation.round", errors=(404,))
def get_round(round_id: int):
    """A round with its evaluations, figures, scores and outcomes."""
    return _round_data(round_id)


@bp.get("/api/v1/evaluation-rounds/<int:round_id>.xlsx")
@doc("评估轮次汇总表（Excel）", action="evaluation.round", content=XLSX_MIMETYPE, errors=(404,))
def get_round_xlsx(round_id: int):
    """The round as a workbook."""
    return _round_xlsx(round_id)


@bp.get("/api/v1/evaluations/excellent")
@doc("评估优秀的基地（第二十二条；公开，供基地名录使用）", action="directory.read", public=True)
def excellent():
    """Bases whose excellent rating still runs."""
    return {"bases": services.excellent_bases()}


@bp.get("/api/v1/evaluations/<int:evaluation_id>")
@doc("一个基地的评估（省人社厅、主管部门、基地本身）", action="evaluation.read", errors=(404,))
def get_evaluation(evaluation_id: int):
    """One evaluation."""
    return services.evaluation_dict(services.get_evaluation(current_actor(), evaluation_id))


@bp.post("/api/v1/evaluations/<int:evaluation_id>/scores")
@doc(
    "评估专家评分：师资队伍建设、培训经费使用、设施配套、制度执行、继续教育任务完成、"
    "培训效果及后续跟踪六项，各 0–100 分",
    action="evaluation.score",
    body=EvaluationScoreArgs,
    status=201,
    errors=(404, 409, 422),
)
def add_score(evaluation_id: int, args: Body):
    """Record one evaluator's scores."""
    actor = current_actor()
    evaluation = services.get_evaluation(actor, evaluation_id)
    services.add_score(actor, evaluation, dict(args))
    return services.evaluation_dict(evaluation)


@bp.post("/api/v1/evaluations/<int:evaluation_id>/outcome")
@doc(
    "评估结论：excellent 优秀、pass 合格、rectify 限期整改（须 deadline，基地转为限期整改）、"
    "revoke 撤销资格（基地转为已撤销）；限期整改后可再作 pass 或 revoke",
    action="evaluation.decide",
    body=EvaluationOutcomeArgs,
    errors=(404, 409, 422),
)
def decide(evaluation_id: int, args: Body):
    """Record the outcome; the base's status follows."""
    actor = current_actor()
    evaluation = services.get_evaluation(actor, evaluation_id)
    services.decide(actor, evaluation, **args)
    return services.evaluation_dict(evaluation)


@bp.get("/evaluations")
@page("evaluation.desk")
def evaluations_page():
    """Every round, newest first."""
    return render_template("evaluations/rounds.html", rounds=services.list_rounds())


@bp.get("/evaluations/rounds/<int:round_id>")
@page("evaluation.desk")
def round_page(round_id: int):
    """A round's evaluations with their figures, scores and outcomes."""
    return render_template(
        "evaluations/round.html",
        data=_round_data(round_id),
        score_items=SCORE_ITEMS,
        outcomes=OUTCOMES,
        statuses=EVALUATION_STATUSES,
    )


@bp.get("/evaluations/rounds/<int:round_id>.xlsx")
@page("evaluation.desk")
def round_xlsx_page(round_id: int):
    """Download the round from the page."""
    return _round_xlsx(round_id)
