"""Spot-check endpoints (admin)."""

from __future__ import annotations

from jxjd.auth import current_actor
from jxjd.common.params import query_year
from jxjd.openapi import Body, doc
from jxjd.spotchecks import bp, services
from jxjd.spotchecks.schemas import OutcomeArgs, SpotCheckArgs, SpotCheckItemSchema, SpotCheckSchema


@bp.post("/api/v1/spot-checks")
@doc(
    "随机抽查培训班次（保存随机种子以便复核）",
    action="spot_check.manage",
    body=SpotCheckArgs,
    response=SpotCheckSchema,
    status=201,
    tags=["spot-checks"],
    errors=(422,),
)
def create_spot_check(args: Body):
    """Draw a random sample of a year's sessions."""
    return services.draw_spot_check(current_actor(), args["year"], args["size"])


@bp.get("/api/v1/spot-checks")
@doc(
    "抽查记录",
    action="spot_check.manage",
    response=SpotCheckSchema(many=True),
    listed_as="spot_checks",
    tags=["spot-checks"],
    query={"year": "年度"},
)
def list_spot_checks():
    """Every draw, newest first."""
    return services.list_spot_checks(query_year())


@bp.get("/api/v1/spot-checks/<int:check_id>")
@doc(
    "抽查详情",
    action="spot_check.manage",
    response=SpotCheckSchema,
    tags=["spot-checks"],
    errors=(404,),
)
def get_spot_check(check_id: int):
    """One draw with its sessions and outcomes."""
    return services.get_spot_check(check_id)


@bp.get("/api/v1/spot-checks/<int:check_id>/reproduce")
@doc(
    "用保存的随机种子复核抽样结果",
    action="spot_check.manage",
    tags=["spot-checks"],
    errors=(404,),
)
def reproduce_spot_check(check_id: int):
    """Redraw from the stored seed and compare."""
    return services.reproduce(services.get_spot_check(check_id))


@bp.post("/api/v1/spot-checks/<int:check_id>/items/<int:session_id>")
@doc(
    "记录抽查结果",
    action="spot_check.manage",
    body=OutcomeArgs,
    response=SpotCheckItemSchema,
    tags=["spot-checks"],
    errors=(404, 422),
)
def record_outcome(check_id: int, session_id: int, args: Body):
    """Record one inspection's outcome."""
    outcome, findings = args["outcome"], args["findings"]  # the body first, as before
    check = services.get_spot_check(check_id)
    return services.record_outcome(current_actor(), check, session_id, outcome, findings)
