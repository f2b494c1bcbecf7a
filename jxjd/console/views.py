"""Department endpoints (ISSUE11 item 7): the table, reassignments, a department's history."""

from __future__ import annotations

from flask import request

from jxjd.applications.schemas import ApplicationSummarySchema
from jxjd.applications.services import get_application, reassign_application_department
from jxjd.auth import current_actor
from jxjd.bases.schemas import BaseDetailSchema
from jxjd.bases.services import get_base, reassign_base_department
from jxjd.console import bp, departments
from jxjd.console.schemas import (
    DepartmentArgs,
    DepartmentSchema,
    DepartmentUpdateArgs,
    ReassignArgs,
    history_json,
)
from jxjd.openapi import Body, doc

TAGS = ["departments"]


@bp.get("/api/v1/departments")
@doc(
    "主管部门目录",
    action="department.read",
    response=DepartmentSchema(many=True),
    listed_as="departments",
    public=True,
    tags=TAGS,
)
def list_departments():
    """Every competent department (code, name, whether it takes new bases)."""
    return departments.list_departments(current_actor(optional=True))


@bp.post("/api/v1/departments")
@doc(
    "新增主管部门",
    action="department.manage",
    body=DepartmentArgs,
    response=DepartmentSchema,
    status=201,
    errors=(409, 422),
    tags=TAGS,
)
def create_department(args: Body):
    """Add a department (code and name)."""
    return departments.create_department(current_actor(), args["code"], args["name"])


@bp.patch("/api/v1/departments/<code>")
@doc(
    "修改或停用主管部门",
    action="department.manage",
    body=DepartmentUpdateArgs,
    response=DepartmentSchema,
    errors=(404, 409, 422),
    tags=TAGS,
)
def update_department(code: str, args: Body):
    """Rename a department, or retire (active=false) or restore it."""
    actor = current_actor()
    dept = departments.get_department(actor, code)
    return departments.update_department(actor, dept, name=args["name"], active=args["active"])


@bp.get("/api/v1/departments/history")
@doc(
    "主管部门审核记录",
    action="department.history",
    query={"department": "部门编码或名称（省人社厅查询时必填）"},
    errors=(404,),
    tags=TAGS,
)
def review_history():
    """What a department reviewed: plan reviews and recommendations, newest first."""
    actor = current_actor()
    return history_json(departments.review_history(actor, request.args.get("department")))


@bp.post("/api/v1/bases/<int:base_id>/department")
@doc(
    "调整基地的主管部门",
    action="department.reassign",
    body=ReassignArgs,
    response=BaseDetailSchema,
    errors=(404, 409, 422),
    tags=TAGS,
)
def reassign_base(base_id: int, args: Body):
    """Move a base to another competent department (the reason is audited)."""
    actor = current_actor()
    return reassign_base_department(actor, get_base(actor, base_id), **args)


@bp.post("/api/v1/applications/<int:application_id>/department")
@doc(
    "调整申请的主管部门",
    action="department.reassign",
    body=ReassignArgs,
    response=ApplicationSummarySchema,
    errors=(404, 409, 422),
    tags=TAGS,
)
def reassign_application(application_id: int, args: Body):
    """Move an application under way to another competent department (kept in its history)."""
    actor = current_actor()
    return reassign_application_department(actor, get_application(actor, application_id), **args)
