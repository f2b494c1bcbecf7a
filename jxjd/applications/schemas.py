"""Input and output shapes of applications (申请表) and their workflow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from jxjd.applications.models import EDUCATIONS, STAFF_KEYS, TITLES
from jxjd.common.enums import AUDIENCES, LEVELS
from jxjd.common.schema import Args, coded
from jxjd.common.text import BoundedList, Id, Text
from jxjd.common.time import isoformat
from jxjd.common.types import hours_json

MAX_COUNT = 10_000_000
MAX_AREA = Decimal("9999999999")
# Caps on the form's tables (CONTRACT §11 too_many_items), checked before any row is read.
MAX_TEACHERS = 1000
MAX_MANAGERS = 100
MAX_SPECIALTIES = 100
MAX_TEACHER_SPECIALTIES = 20


class Choice(fields.Field):
    """One value of an enumeration; an empty string or null means "not filled in yet"."""

    def __init__(self, choices: dict[str, str], **kwargs: Any) -> None:
        kwargs.setdefault("load_default", None)
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {"type": ["string", "null"], "enum": [*choices, "", None]})
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        if not isinstance(value, str) or value not in self.choices:
            allowed = "、".join(f"{k}（{v}）" for k, v in self.choices.items())
            raise ValidationError(coded("invalid_choice", f"取值须为 {allowed} 之一"))
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def text(kind: str, label: str | None = None) -> Text:
    """An optional text field of the form (null or absent → empty) under the text rule of `kind`."""
    return Text(kind, label=label, load_default="", allow_none=True)


def count() -> fields.Integer:
    """An optional non-negative whole number (people, rooms)."""
    return fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, MAX_COUNT)
    )


def area() -> fields.Decimal:
    """An optional area in m²."""
    return fields.Decimal(
        places=2, load_default=None, allow_none=True, validate=validate.Range(0, MAX_AREA)
    )


class ApplicantPersonArgs(Args):
    name = text("person_name")
    position = text("position")
    phone = text("phone")


class ApplicationCapacityArgs(Args):
    concurrent_trainees = count()
    yearly_trainees = count()


class ApplicationRoomsArgs(Args):
    count = count()
    area_m2 = area()


class ApplicationFacilitiesArgs(Args):
    land_area_m2 = area()
    building_area_m2 = area()
    practice_area_m2 = area()
    classrooms = fields.Nested(ApplicationRoomsArgs, load_default=dict, allow_none=True)
    multimedia_rooms = fields.Nested(ApplicationRoomsArgs, load_default=dict, allow_none=True)
    network_center_m2 = area()
    halls = fields.Nested(ApplicationRoomsArgs, load_default=dict, allow_none=True)
    canteen_capacity = count()
    dorm_capacity = count()
    other = text("text", "其它教学设施设备")


class ApplicationStaffArgs(Args):
    authorized = count()
    current = count()
    managers = count()
    full_time_teachers = count()
    full_time_senior = count()
    full_time_intermediate = count()
    part_time_teachers = count()
    part_time_senior = count()
    part_time_intermediate = count()
    others = count()


class ApplicationManagerArgs(Args):
    name = text("person_name")
    position = text("position")
    duties = text("line", "分管工作")
    phone = text("phone")


class ApplicationTeacherArgs(Args):
    # When updating a draft: the id of a teacher already saved whose ID number is kept when
    # `id_number` is left out (outputs never give the full number back to re-send).
    id = Id(load_default=None, allow_none=True, strict=True)
    name = text("person_name")
    id_number = Text("code", label="身份证号", load_default=None, allow_none=True)
    education = Choice(EDUCATIONS)
    graduated_from = text("unit", "毕业学校")
    major = text("specialty", "所学专业")
    graduated_year = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1900, 2100)
    )
    title = Choice(TITLES)
    full_time = fields.Boolean(load_default=None, allow_none=True)
    subjects = text("line", "现任课程")
    years_teaching = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 80)
    )
    specialties = BoundedList(
        Text("specialty", label="任教专业"),
        max_items=MAX_TEACHER_SPECIALTIES,
        label="任教专业",
        load_default=list,
        allow_none=True,
    )


class ApplicationSpecialtyArgs(Args):
    name = text("specialty")
    levels = BoundedList(
        fields.String(validate=validate.OneOf(list(LEVELS))),
        max_items=len(LEVELS),
        label="培训层次",
        load_default=list,
        allow_none=True,
    )
    audiences = BoundedList(
        fields.String(validate=validate.OneOf(list(AUDIENCES))),
        max_items=len(AUDIENCES),
        label="培训对象",
        load_default=list,
        allow_none=True,
    )


class ApplicationArgs(Args):
    """The 申请表; every part may be missing in a draft, checked in full on submit."""

    unit_name = text("title", "单位名称")
    credit_code = Text("code", label="统一社会信用代码", load_default=None, allow_none=True)
    department = text("unit", "主管部门")
    address = text("address")
    postcode = text("postcode")
    email = text("email")
    leader = fields.Nested(ApplicantPersonArgs, load_default=dict, allow_none=True)
    contact = fields.Nested(ApplicantPersonArgs, load_default=dict, allow_none=True)
    capacity = fields.Nested(ApplicationCapacityArgs, load_default=dict, allow_none=True)
    facilities = fields.Nested(ApplicationFacilitiesArgs, load_default=dict, allow_none=True)
    staff = fields.Nested(ApplicationStaffArgs, load_default=dict, allow_none=True)
    managers = BoundedList(
        fields.Nested(ApplicationManagerArgs),
        max_items=MAX_MANAGERS,
        label="管理人员",
        load_default=list,
        allow_none=True,
    )
    teachers = BoundedList(
        fields.Nested(ApplicationTeacherArgs),
        max_items=MAX_TEACHERS,
        label="教师",
        load_default=list,
        allow_none=True,
    )
    specialties = BoundedList(
        fields.Nested(ApplicationSpecialtyArgs),
        max_items=MAX_SPECIALTIES,
        label="申报专业",
        load_default=list,
        allow_none=True,
    )


class ApplicationRecommendArgs(Args):
    opinion = text("opinion", "推荐意见")


class ExpertReviewArgs(Args):
    reviewer = Text(
        "person_name",
        label="评审专家",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_reviewer", "须填写评审专家")),
    )
    score = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(0, 100, error=coded("invalid_score", "评分应为0到100之间的整数")),
    )
    opinion = text("opinion", "评审意见")


def _workflow_date(**kwargs: Any) -> fields.Date:
    """A date of the workflow (site visit, notice start): within 2000–2100, like every year."""
    error = coded("invalid_date", "日期应在 2000-01-01 至 2100-12-31 之间")
    return fields.Date(
        validate=validate.Range(date(2000, 1, 1), date(2100, 12, 31), error=error), **kwargs
    )


class ApplicationSiteVisitArgs(Args):
    date = _workflow_date(required=True)
    findings = text("text", "考察情况")
    passed = fields.Boolean(required=True)


class PublicNoticeArgs(Args):
    days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, 90, error=coded("invalid_days", "公示天数应为1到90天")),
    )
    start_date = _workflow_date(load_default=None, allow_none=True)


class ApplicationRejectArgs(Args):
    reason = Text(
        "reason",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_reason", "须说明不予认定的原因")),
    )


# ---- outputs -------------------------------------------------------------------------------


def _number(value: Any) -> int | float | None:
    return hours_json(value)


def _by(role: str | None, name: str | None) -> dict[str, str | None] | None:
    return None if role is None else {"role": role, "name": name}


class ApplicationSpecialtySchema(Schema):
    name = fields.String()
    levels = fields.List(fields.String())
    audiences = fields.List(fields.String())


class ApplicationTeacherSchema(Schema):
    """A teacher as every reader sees it: the ID number masked, never in full."""

    id = fields.Integer()
    name = fields.String()
    id_masked = fields.String()
    education = fields.String(allow_none=True)
    graduated_from = fields.String()
    major = fields.String()
    graduated_year = fields.Integer(allow_none=True)
    title = fields.String(allow_none=True)
    full_time = fields.Boolean(allow_none=True)
    subjects = fields.String()
    years_teaching = fields.Integer(allow_none=True)
    specialties = fields.List(fields.String())


class ApplicationManagerSchema(Schema):
    name = fields.String()
    position = fields.String()
    duties = fields.String()
    phone = fields.String()


class ExpertReviewSchema(Schema):
    id = fields.Integer()
    reviewer = fields.String()
    score = fields.Integer()
    opinion = fields.String()
    by = fields.Function(lambda r: _by(r.actor_role, r.actor_name))
    at = fields.Function(lambda r: isoformat(r.at))


class ApplicationSiteVisitSchema(Schema):
    id = fields.Integer()
    date = fields.Date(attribute="visited_on")
    findings = fields.String()
    passed = fields.Boolean()
    by = fields.Function(lambda v: _by(v.actor_role, v.actor_name))
    at = fields.Function(lambda v: isoformat(v.at))


class ApplicationStepSchema(Schema):
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    by = fields.Function(lambda s: _by(s.actor_role, s.actor_name))
    at = fields.Function(lambda s: isoformat(s.at))
    details = fields.Dict()


def _rooms(count_: int | None, area_: Any) -> dict[str, Any]:
    return {"count": count_, "area_m2": _number(area_)}


def _facilities(a) -> dict[str, Any]:
    return {
        "land_area_m2": _number(a.land_area_m2),
        "building_area_m2": _number(a.building_area_m2),
        "practice_area_m2": _number(a.practice_area_m2),
        "classrooms": _rooms(a.classrooms_count, a.classrooms_area_m2),
        "multimedia_rooms": _rooms(a.multimedia_rooms_count, a.multimedia_rooms_area_m2),
        "network_center_m2": _number(a.network_center_m2),
        "halls": _rooms(a.halls_count, a.halls_area_m2),
        "canteen_capacity": a.canteen_capacity,
        "dorm_capacity": a.dorm_capacity,
        "other": a.facilities_other,
    }


def _recommendation(a) -> dict[str, Any] | None:
    step = a.last_step("recommend")
    if step is None:
        return None
    return {
        "opinion": step.details.get("opinion", ""),
        "by": _by(step.actor_role, step.actor_name),
        "at": isoformat(step.at),
    }


def _notice(a) -> dict[str, Any] | None:
    if a.notice_start is None:
        return None
    return {
        "start_date": a.notice_start.isoformat(),
        "days": a.notice_days,
        "notice_until": a.notice_until.isoformat(),
    }


def _rejection(a) -> dict[str, Any] | None:
    step = a.last_step("reject") if a.status == "rejected" else None
    if step is None:
        return None
    return {
        "reason": step.details.get("reason", ""),
        "by": _by(step.actor_role, step.actor_name),
        "at": isoformat(step.at),
    }


def _warnings(a) -> list[dict[str, Any]]:
    """Soft findings for reviewers: the same person listed twice among the teachers."""
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(a.teachers):
        if not t.id_hash:
            continue
        if t.id_hash in seen:
            out.append(
                {
                    "code": "duplicate_teacher",
                    "field": f"teachers[{i}].id_number",
                    "message": f"第{i + 1}位教师与第{seen[t.id_hash] + 1}位教师的身份证号相同",
                }
            )
        else:
            seen[t.id_hash] = i
    return out


class ApplicationSummarySchema(Schema):
    """One line of a list of applications."""

    id = fields.Integer()
    status = fields.String()
    unit_name = fields.String()
    credit_code = fields.String()
    department = fields.String()
    department_code = fields.Function(lambda a: a.dept.code if a.dept is not None else None)
    specialties = fields.List(fields.Nested(ApplicationSpecialtySchema))
    notice_until = fields.Date(allow_none=True)
    base_id = fields.Integer(allow_none=True)
    plaque_number = fields.String(allow_none=True)
    created_at = fields.Function(lambda a: isoformat(a.created_at))
    updated_at = fields.Function(lambda a: isoformat(a.updated_at))
    submitted_at = fields.Function(lambda a: isoformat(a.submitted_at))


class ApplicationSchema(ApplicationSummarySchema):
    """The whole application: the form's fields as sent, plus the workflow and its history."""

    address = fields.String()
    postcode = fields.String()
    email = fields.String()
    leader = fields.Function(
        lambda a: {"name": a.leader_name, "position": a.leader_position, "phone": a.leader_phone}
    )
    contact = fields.Function(
        lambda a: {
            "name": a.contact_name,
            "position": a.contact_position,
            "phone": a.contact_phone,
        }
    )
    capacity = fields.Function(
        lambda a: {
            "concurrent_trainees": a.concurrent_trainees,
            "yearly_trainees": a.yearly_trainees,
        }
    )
    facilities = fields.Function(_facilities)
    staff = fields.Function(lambda a: {k: getattr(a, f"staff_{k}") for k in STAFF_KEYS})
    managers = fields.List(fields.Nested(ApplicationManagerSchema))
    teachers = fields.List(fields.Nested(ApplicationTeacherSchema))
    recommendation = fields.Function(_recommendation)
    reviews = fields.List(fields.Nested(ExpertReviewSchema))
    site_visits = fields.List(fields.Nested(ApplicationSiteVisitSchema))
    notice = fields.Function(_notice)
    rejection = fields.Function(_rejection)
    warnings = fields.Function(_warnings)
    history = fields.Function(lambda a: ApplicationStepSchema(many=True).dump(a.steps))


class ApplicationRecognitionSchema(Schema):
    application_id = fields.Integer()
    status = fields.String()
    base_id = fields.Integer()
    plaque_number = fields.String()
    recognized_on = fields.Date()
