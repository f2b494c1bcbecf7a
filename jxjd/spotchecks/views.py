"""Spot-check endpoints (admin)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.auth import current_actor, require
from jxjd.common.fields import Timestamp
from jxjd.common.params import query_year
from jxjd.common.schema import Args, json_body, load
from jxjd.common.text import Text
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.spotchecks import bp, services


class SpotCheckArgs(Args):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class OutcomeArgs(Args):
    outcome = fields.String(required=True, validate=validate.OneOf(list(services.OUTCOMES)))
    findings = Text("text", label="抽查情况", load_default="")


class SpotCheckItemSchema(Schema):
    session_id = fields.Integer()
    base_id = fields.Function(lambda i: i.session.base_id)
    base_name = fields.Function(lambda i: i.session.base.name)
    title = fields.Function(lambda i: i.session.title)
    outcome = fields.String()
    findings = fields.String()
    inspected_at = Timestamp()
    inspected_by = fields.String(allow_none=True)


class SpotCheckSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    size = fields.Integer()
    seed = fields.String()
    population_size = fields.Integer()
    population_digest = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    items = fields.List(fields.Nested(SpotCheckItemSchema))


@bp.post("/api/v1/spot-checks")
@require(roles={"admin"})
@doc(
    "随机抽查培训班次（保存随机种子以便复核）",
    body=SpotCheckArgs,
    response=SpotCheckSchema,
    status=201,
    tags=["spot-checks"],
    errors=(422,),
)
def create_spot_check():
    """Draw a random sample of a year's sessions."""
    args = load(SpotCheckArgs(), json_body())
    check = services.draw_spot_check(current_actor(), args["year"], args["size"])
    db.session.commit()
    return SpotCheckSchema().dump(check), 201


@bp.get("/api/v1/spot-checks")
@require(roles={"admin"})
@doc("抽查记录", response=SpotCheckSchema(many=True), tags=["spot-checks"], query={"year": "年度"})
def list_spot_checks():
    """Every draw, newest first."""
    checks = services.list_spot_checks(query_year())
    return {"spot_checks": SpotCheckSchema(many=True).dump(checks)}


@bp.get("/api/v1/spot-checks/<int:check_id>")
@require(roles={"admin"})
@doc("抽查详情", response=SpotCheckSchema, tags=["spot-checks"], errors=(404,))
def get_spot_check(check_id: int):
    """One draw with its sessions and outcomes."""
    return SpotCheckSchema().dump(services.get_spot_check(check_id))


@bp.get("/api/v1/spot-checks/<int:check_id>/reproduce")
@require(roles={"admin"})
@doc("用保存的随机种子复核抽样结果", tags=["spot-checks"], errors=(404,))
def reproduce_spot_check(check_id: int):
    """Redraw from the stored seed and compare."""
    return services.reproduce(services.get_spot_check(check_id))


@bp.post("/api/v1/spot-checks/<int:check_id>/items/<int:session_id>")
@require(roles={"admin"})
@doc(
    "记录抽查结果",
    body=OutcomeArgs,
    response=SpotCheckItemSchema,
    tags=["spot-checks"],
    errors=(404, 422),
)
def record_outcome(check_id: int, session_id: int):
    """Record one inspection's outcome."""
    args = load(OutcomeArgs(), json_body())
    item = services.record_outcome(
        current_actor(),
        services.get_spot_check(check_id),
        session_id,
        args["outcome"],
        args["findings"],
    )
    db.session.commit()
    return SpotCheckItemSchema().dump(item)
