"""Console shapes: a department, its changes, a reassignment, a department's review history."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from jxjd.common.schema import Args
from jxjd.common.text import Text
from jxjd.common.time import isoformat


class DepartmentArgs(Args):
    code = Text("code", label="部门编码", required=True)
    name = Text("unit", label="部门名称", required=True)


class DepartmentUpdateArgs(Args):
    name = Text("unit", label="部门名称", load_default=None)
    active = fields.Boolean(load_default=None, allow_none=True)


class ReassignArgs(Args):
    department = Text("unit", label="主管部门", required=True)
    reason = Text("reason", label="调整原因", required=True)


class DepartmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    active = fields.Boolean()


def history_json(history: dict[str, Any]) -> dict[str, Any]:
    """A department's review history as the API answers it."""
    dept = history["department"]
    return {
        "department": {"code": dept.code, "name": dept.name},
        "plans": [
            {
                "plan_id": row["plan"].id,
                "base_id": row["plan"].base_id,
                "base_name": row["plan"].base.name,
                "year": row["plan"].year,
                "version": row["plan"].version,
                "approved": bool(row["event"].summary.get("approve")),
                "comment": row["event"].summary.get("comment", ""),
                "by": row["event"].actor_name,
                "at": isoformat(row["event"].at),
            }
            for row in history["plans"]
        ],
        "recommendations": [
            {
                "application_id": step.application_id,
                "unit_name": step.application.unit_name,
                "status": step.application.status,
                "opinion": step.details.get("opinion", ""),
                "by": step.actor_name,
                "at": isoformat(step.at),
            }
            for step in history["recommendations"]
        ],
    }
