"""Applications (申请表): drafts, the 第七条 submit check, the recognition workflow."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize, fetch, scoped
from jxjd.applications.models import (
    APPLICATION_STATUSES,
    EDUCATIONS,
    STAFF_KEYS,
    TITLES,
    Application,
    ApplicationManager,
    ApplicationReview,
    ApplicationSiteVisit,
    ApplicationSpecialty,
    ApplicationStep,
    ApplicationTeacher,
    PlaqueSequence,
)
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import ACTIVE_STATUSES, Base
from jxjd.bases.services import (
    DuplicateCreditCode,
    SameDepartment,
    barred_error,
    change_base_status,
    create_base,
    normalized_specialties,
    replace_specialties,
)
from jxjd.common.crypto import protect_id_number, reveal_id_number
from jxjd.common.db import execute_dml
from jxjd.common.ids import (
    id_number_problem,
    is_valid_credit_code,
    mask_id_number,
    normalize_credit_code,
    normalize_id_number,
)
from jxjd.common.time import local_today, utcnow
from jxjd.departments.services import resolve_department
from jxjd.errors import Conflict, InvalidTransition, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.rules.services import rules_for
from jxjd.states import Machine, transition

# 第七条（一）: at least 4 teachers per specialty, each 本科 or above and 副高 or above.
MIN_TEACHERS_PER_SPECIALTY = 4
ACCEPTED_EDUCATION = frozenset({"doctorate", "master", "bachelor"})
ACCEPTED_TITLES = frozenset({"senior", "associate_senior"})
# Units that were barred for fraud or lost their recognition are not heard again (第二十四条).

PLAQUE_FORMAT = "湘继教基地〔{year}〕第{number:03d}号"
_POSTCODE = re.compile(r"^\d{6}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ACTION_LABELS = {
    "create": "创建草稿",
    "update": "修改草稿",
    "submit": "提交申请",
    "recommend": "主管部门推荐",
    "review": "专家评审",
    "site_visit": "实地考察",
    "notice": "公示",
    "recognize": "认定",
    "reject": "不予认定",
    "reassign": "调整主管部门",
}
# An application that is still under way may be moved to another department (admin).
REASSIGNABLE = ("draft", "submitted", "recommended", "under_review", "on_notice")


class NoticeNotOver(Conflict):
    code, title = "notice_not_over", "公示期尚未结束"


def required_yearly_trainees(year: int) -> int:
    """The yearly training minimum a new base must be able to meet (第七条（四）; yearly rules)."""
    return rules_for(year).min_trainees


def _step_history(
    app: Application, previous: str | None, to: str, actor: Actor, event: str, summary: dict
) -> None:
    """Every step of an application stays in its history (who, when, from, to, details)."""
    details = {k: v for k, v in summary.items() if k not in ("from_status", "to_status")}
    app.steps.append(
        ApplicationStep(
            action=event.rsplit(".", 1)[-1],
            from_status=previous,
            to_status=to,
            actor_role=actor.role,
            actor_name=actor.name,
            at=utcnow(),
            details=details,
        )
    )


# 第八条: submit, the department's recommendation, expert reviews and a site visit, the public
# notice, then recognition; rejection is possible at any stage before a final decision.
APPLICATION_MACHINE = Machine(
    model=Application,
    kind="application",
    noun="申请",
    labels=APPLICATION_STATUSES,
    moves={
        "draft": frozenset({"submitted", "rejected"}),
        "submitted": frozenset({"recommended", "rejected"}),
        "recommended": frozenset({"under_review", "rejected"}),
        "under_review": frozenset({"under_review", "on_notice", "rejected"}),
        "on_notice": frozenset({"recognized", "rejected"}),
        "recognized": frozenset(),
        "rejected": frozenset(),
    },
    history=_step_history,
)


def _move(
    actor: Actor,
    app: Application,
    to: str | None,
    action: str,
    *,
    allowed: tuple[str, ...] | None = None,
    then: Callable[[str], dict[str, Any] | None] | None = None,
    values: dict[str, Any] | None = None,
    **details: Any,
) -> None:
    """One step of the workflow: atomic, kept in the history and audited once."""
    transition(
        app,
        to,
        allowed=allowed,
        actor=actor,
        event=f"application.{action}",
        verb=ACTION_LABELS[action],
        values={"updated_at": utcnow(), **(values or {})},
        then=then,
        **details,
    )


# ---- reading within scope -----------------------------------------------------------------


def get_application(actor: Actor, application_id: int) -> Application:
    """The application if the actor may read it: 404 unknown, 403 out of scope."""
    return fetch(actor, "application.read", Application, application_id, label="申请")


def list_applications_for(actor: Actor, *, status: str | None = None) -> list[Application]:
    """The applications in the actor's scope, newest first."""
    query = (
        sa.select(Application)
        .options(so.selectinload(Application.specialties))
        .order_by(Application.id.desc())
    )
    query = scoped(actor, "application.read", query)
    if status:
        query = query.where(Application.status == status)
    return list(db.session.scalars(query))


# ---- drafts -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _form_code(actor: Actor, raw: str | None) -> str:
    """The form's credit code: the applicant's own by default; another valid unit's → 403."""
    code = normalize_credit_code(raw or "")
    if not code:
        return actor.credit_code or ""
    if is_valid_credit_code(code):
        authorize(actor, "application.create", code)  # 403 credit_code_mismatch
    return code


def _teacher(data: dict[str, Any], seq: int, kept: dict[int, ApplicationTeacher]):
    raw = data.get("id_number")
    teacher = ApplicationTeacher(
        seq=seq,
        name=_text(data.get("name")),
        education=data.get("education"),
        graduated_from=_text(data.get("graduated_from")),
        major=_text(data.get("major")),
        graduated_year=data.get("graduated_year"),
        title=data.get("title"),
        full_time=data.get("full_time"),
        subjects=_text(data.get("subjects")),
        years_teaching=data.get("years_teaching"),
        specialties=[s.strip() for s in data.get("specialties") or [] if s and s.strip()],
    )
    value = normalize_id_number(raw) if isinstance(raw, str) else ""
    if value:
        # Invalid numbers are kept too (encrypted) so a draft can be resumed; submit reports them.
        teacher.id_encrypted, teacher.id_hash = protect_id_number(value)
        teacher.id_masked = mask_id_number(value)
    elif raw is None and data.get("id") in kept:
        old = kept[data["id"]]
        teacher.id_encrypted, teacher.id_hash = old.id_encrypted, old.id_hash
        teacher.id_masked = old.id_masked
    return teacher


def _apply_fields(actor: Actor, app: Application, data: dict[str, Any]) -> None:
    """Set every field of the form from `data` (a replacement: what is absent becomes empty)."""
    app.unit_name = _text(data.get("unit_name"))
    app.credit_code = _form_code(actor, data.get("credit_code"))
    department = _text(data.get("department"))
    app.dept = resolve_department(department) if department else None
    app.address = _text(data.get("address"))
    app.postcode = _text(data.get("postcode"))
    app.email = _text(data.get("email"))
    for prefix in ("leader", "contact"):
        person = data.get(prefix) or {}
        for key in ("name", "position", "phone"):
            setattr(app, f"{prefix}_{key}", _text(person.get(key)))
    capacity = data.get("capacity") or {}
    app.concurrent_trainees = capacity.get("concurrent_trainees")
    app.yearly_trainees = capacity.get("yearly_trainees")
    fac = data.get("facilities") or {}
    for key in ("land_area_m2", "building_area_m2", "practice_area_m2", "network_center_m2"):
        setattr(app, key, fac.get(key))
    for key in ("classrooms", "multimedia_rooms", "halls"):
        rooms = fac.get(key) or {}
        setattr(app, f"{key}_count", rooms.get("count"))
        setattr(app, f"{key}_area_m2", rooms.get("area_m2"))
    app.canteen_capacity = fac.get("canteen_capacity")
    app.dorm_capacity = fac.get("dorm_capacity")
    app.facilities_other = _text(fac.get("other"))
    staff = data.get("staff") or {}
    for key in STAFF_KEYS:
        setattr(app, f"staff_{key}", staff.get(key))
    app.managers = [
        ApplicationManager(
            seq=i,
            name=_text(m.get("name")),
            position=_text(m.get("position")),
            duties=_text(m.get("duties")),
            phone=_text(m.get("phone")),
        )
        for i, m in enumerate(data.get("managers") or [])
    ]
    kept = {t.id: t for t in app.teachers if t.id is not None}
    app.teachers = [_teacher(t, i, kept) for i, t in enumerate(data.get("teachers") or [])]
    app.specialties = [
        ApplicationSpecialty(
            seq=i,
            name=_text(s.get("name")),
            levels=list(dict.fromkeys(s.get("levels") or [])),
            audiences=list(dict.fromkeys(s.get("audiences") or [])),
        )
        for i, s in enumerate(data.get("specialties") or [])
    ]


def create_application(actor: Actor, data: dict[str, Any]) -> Application:
    """Save a new draft for the applicant's own unit; anything may still be missing."""
    authorize(actor, "application.create")
    now = utcnow()
    app = Application(status="draft", applicant_code=actor.credit_code, created_at=now)
    app.updated_at = now
    _apply_fields(actor, app, data)
    db.session.add(app)
    db.session.flush()
    _step_history(app, None, "draft", actor, "application.create", {})
    db.session.flush()
    record_event(
        actor, "application.create", "application", app.id, from_status=None, to_status="draft"
    )
    return app


def update_application(actor: Actor, app: Application, data: dict[str, Any]) -> Application:
    """Replace a draft's fields; a submitted application is frozen."""
    authorize(actor, "application.edit", app)
    _move(
        actor,
        app,
        None,
        "update",
        allowed=("draft",),
        then=lambda _: _apply_fields(actor, app, data),
    )
    db.session.flush()
    return app


# ---- the submit check (第七条, 第二十四条) ---------------------------------------------------


def _required(field: str, what: str) -> dict[str, Any]:
    return field_error("required", f"请填写{what}", field=field)


def _form_problems(app: Application) -> list[dict[str, Any]]:
    errors = []
    for field, value, what in (
        ("unit_name", app.unit_name, "单位名称"),
        ("credit_code", app.credit_code, "统一社会信用代码"),
        ("department", app.department, "主管部门"),
        ("address", app.address, "单位地址"),
        ("leader.name", app.leader_name, "负责人姓名"),
        ("contact.name", app.contact_name, "联系人姓名"),
        ("contact.phone", app.contact_phone, "联系人电话"),
    ):
        if not value:
            errors.append(_required(field, what))
    if app.postcode and not _POSTCODE.match(app.postcode):
        errors.append(field_error("invalid_postcode", "邮编应为6位数字", field="postcode"))
    if app.email and not _EMAIL.match(app.email):
        errors.append(field_error("invalid_email", "电子邮箱格式不正确", field="email"))
    return errors


def _unit_problems(app: Application) -> tuple[list[dict[str, Any]], Base | None]:
    """Credit code and 第二十四条; also the live base with this code, if there is one."""
    if not app.credit_code:
        return [], None
    code = normalize_credit_code(app.credit_code)
    if not is_valid_credit_code(code):
        message = f"统一社会信用代码 {app.credit_code} 校验不通过，请核对"
        return [field_error("invalid_credit_code", message, field="credit_code")], None
    existing = db.session.scalar(sa.select(Base).where(Base.credit_code == code))
    refused = barred_error(existing) if existing is not None else None
    if refused is not None:
        return [refused], None
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return [], existing
    return [], None


def _capacity_problems(app: Application) -> list[dict[str, Any]]:
    field = "capacity.yearly_trainees"
    if app.yearly_trainees is None:
        return [_required(field, "每年培训人数")]
    minimum = required_yearly_trainees(local_today().year)
    if app.yearly_trainees < minimum:
        message = (
            f"每年培训人数为{app.yearly_trainees}人，不少于{minimum}人方可申报（第七条第四项）"
        )
        return [field_error("capacity_too_low", message, field=field)]
    return []


def _specialty_problems(app: Application) -> list[dict[str, Any]]:
    errors = []
    if not app.specialties:
        errors.append(_required("specialties", "至少一个拟申请认定的专业"))
    seen: set[str] = set()
    for i, s in enumerate(app.specialties):
        where = f"第{i + 1}个专业"
        if not s.name:
            errors.append(_required(f"specialties[{i}].name", f"{where}的名称"))
            continue
        if s.name in seen:
            message = f"专业“{s.name}”重复"
            errors.append(
                field_error("duplicate_specialty", message, field=f"specialties[{i}].name")
            )
            continue
        seen.add(s.name)
        if not s.levels:
            errors.append(_required(f"specialties[{i}].levels", f"专业“{s.name}”的培训层次"))
        if not s.audiences:
            errors.append(_required(f"specialties[{i}].audiences", f"专业“{s.name}”的培训对象"))
        # Distinct people: the same teacher listed twice counts once (第七条（一）).
        teachers = len(
            {t.id_hash or f"row{t.id}" for t in app.teachers if s.name in (t.specialties or [])}
        )
        if teachers < MIN_TEACHERS_PER_SPECIALTY:
            message = (
                f"专业“{s.name}”只有{teachers}名教师，"
                f"每个专业不少于{MIN_TEACHERS_PER_SPECIALTY}名教师（第七条第一项）"
            )
            errors.append(field_error("too_few_teachers", message, field=s.name))
    return errors


def _teacher_problems(app: Application) -> list[dict[str, Any]]:
    errors = []
    for i, t in enumerate(app.teachers):
        who = f"第{i + 1}位教师" + (f"（{t.name}）" if t.name else "")
        path = f"teachers[{i}]"
        if not t.name:
            errors.append(_required(f"{path}.name", f"{who}的姓名"))
        if t.id_encrypted is None:
            errors.append(_required(f"{path}.id_number", f"{who}的身份证号"))
        else:
            problem = id_number_problem(reveal_id_number(t.id_encrypted))
            if problem:
                errors.append(
                    field_error("invalid_id_number", f"{who}：{problem}", field=f"{path}.id_number")
                )
        if t.education is None:
            errors.append(_required(f"{path}.education", f"{who}的学历"))
        elif t.education not in ACCEPTED_EDUCATION:
            message = (
                f"{who}学历为{EDUCATIONS[t.education]}，教师须具备本科以上学历（第七条第一项）"
            )
            errors.append(
                field_error("teacher_education_too_low", message, field=f"{path}.education")
            )
        if t.title is None:
            errors.append(_required(f"{path}.title", f"{who}的职称"))
        elif t.title not in ACCEPTED_TITLES:
            message = (
                f"{who}职称为{TITLES[t.title]}，教师须具备副高以上专业技术职称（第七条第一项）"
            )
            errors.append(field_error("teacher_title_too_low", message, field=f"{path}.title"))
    return errors


def submission_problems(app: Application) -> tuple[list[dict[str, Any]], Base | None]:
    """Every failed condition of the submit check, and the live base holding the code if any."""
    unit_errors, live_base = _unit_problems(app)
    errors = (
        _form_problems(app)
        + unit_errors
        + _capacity_problems(app)
        + _specialty_problems(app)
        + _teacher_problems(app)
    )
    return errors, live_base


def submit_application(actor: Actor, app: Application) -> Application:
    """Draft → submitted once every 第七条 condition holds; else 422 listing all that failed."""
    authorize(actor, "application.edit", app)

    def check(_previous: str) -> None:
        errors, live_base = submission_problems(app)
        if live_base is not None:
            raise DuplicateCreditCode(
                f"统一社会信用代码 {live_base.credit_code} 已是省级继续教育基地（编号 {live_base.id}）"
            )
        if errors:
            raise ValidationFailed(errors, detail=f"申请未通过提交检查，共{len(errors)}项问题")

    _move(actor, app, "submitted", "submit", values={"submitted_at": utcnow()}, then=check)
    return app


# ---- the workflow (第八条) -----------------------------------------------------------------


def recommend_application(actor: Actor, app: Application, opinion: str) -> Application:
    """The competent department recommends its unit (submitted → recommended)."""
    authorize(actor, "application.recommend", app)
    _move(actor, app, "recommended", "recommend", opinion=(opinion or "").strip())
    return app


def reassign_application_department(
    actor: Actor, app: Application, department: str, reason: str
) -> Application:
    """Move an application under way to another competent department (admin; kept and audited)."""
    authorize(actor, "department.reassign", app)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([field_error("missing_reason", "须说明调整原因", field="reason")])
    target = resolve_department(department)
    if target.id == app.department_id:
        raise SameDepartment(f"申请 {app.id} 已由 {target.name} 主管")
    before = app.department
    _move(
        actor,
        app,
        None,
        "reassign",
        allowed=REASSIGNABLE,
        values={"department_id": target.id},
        from_department=before,
        to_department=target.name,
        reason=reason,
    )
    db.session.expire(app, ["dept"])
    return app


def add_review(
    actor: Actor, app: Application, *, reviewer: str, score: int, opinion: str
) -> ApplicationReview:
    """Record one expert's review (recommended|under_review → under_review); all are kept."""
    authorize(actor, "application.decide", app)
    review = ApplicationReview(
        reviewer=reviewer.strip(),
        score=score,
        opinion=(opinion or "").strip(),
        actor_role=actor.role,
        actor_name=actor.name,
        at=utcnow(),
    )
    _move(
        actor,
        app,
        "under_review",
        "review",
        then=lambda _: app.reviews.append(review),
        reviewer=review.reviewer,
        score=score,
        opinion=review.opinion,
    )
    return review


def record_site_visit(
    actor: Actor, app: Application, *, visited_on: date, findings: str, passed: bool
) -> ApplicationSiteVisit:
    """Record a site visit (实地考察) while the application is under review."""
    authorize(actor, "application.decide", app)
    visit = ApplicationSiteVisit(
        visited_on=visited_on,
        findings=(findings or "").strip(),
        passed=passed,
        actor_role=actor.role,
        actor_name=actor.name,
        at=utcnow(),
    )
    _move(
        actor,
        app,
        None,
        "site_visit",
        allowed=("under_review",),
        then=lambda _: app.site_visits.append(visit),
        date=visited_on.isoformat(),
        findings=visit.findings,
        passed=passed,
    )
    return visit


def _notice_problems(app: Application) -> list[dict[str, Any]]:
    """Why the application cannot go on notice yet: no review, no passed site visit (第八条)."""
    errors = []
    if not app.reviews:
        errors.append(field_error("reviews_missing", "尚无专家评审意见，不能公示", field="reviews"))
    visit = app.latest_site_visit
    if visit is None:
        errors.append(
            field_error("site_visit_missing", "尚未进行实地考察，不能公示", field="site_visit")
        )
    elif not visit.passed:
        message = f"最近一次实地考察（{visit.visited_on}）未通过，不能公示"
        errors.append(field_error("site_visit_missing", message, field="site_visit"))
    return errors


def start_notice(
    actor: Actor, app: Application, *, days: int, start_date: date | None = None
) -> Application:
    """Put a reviewed, visited application on public notice (公示) for `days` days."""
    authorize(actor, "application.decide", app)
    start = start_date or local_today()
    until = start + timedelta(days=days - 1)

    def check(_previous: str) -> dict[str, Any]:
        errors = _notice_problems(app)
        if errors:
            # A notice before the reviews and a passed site visit (第八条) is a move out of order.
            raise InvalidTransition("；".join(e["message"] for e in errors), errors=errors)
        return {"start_date": start.isoformat(), "days": days, "notice_until": until.isoformat()}

    _move(
        actor,
        app,
        "on_notice",
        "notice",
        values={"notice_start": start, "notice_days": days, "notice_until": until},
        then=check,
    )
    return app


def next_plaque_number(year: int) -> str:
    """The next free plaque and certificate number of `year` (湘继教基地〔2026〕第001号)."""
    table = PlaqueSequence.__table__
    while True:
        bumped = execute_dml(
            sa.update(table).where(table.c.year == year).values(last_number=table.c.last_number + 1)
        )
        if bumped == 0:
            try:
                with db.session.begin_nested():
                    db.session.add(PlaqueSequence(year=year, last_number=1))
            except sa.exc.IntegrityError:  # another recognition created the year's row first
                continue
        seq = db.session.get_one(PlaqueSequence, year, populate_existing=True)
        number = PLAQUE_FORMAT.format(year=year, number=seq.last_number)
        # Skip numbers already given by hand to a base registered directly (CONTRACT §3).
        if db.session.scalar(sa.select(Base.id).where(Base.plaque_number == number)) is None:
            return number


def _recognized_base(actor: Actor, app: Application, today: date, plaque: str) -> Base:
    code = normalize_credit_code(app.credit_code)
    specialties = normalized_specialties(
        [{"name": s.name, "levels": s.levels, "audiences": s.audiences} for s in app.specialties]
    )
    contact = {"name": app.contact_name, "phone": app.contact_phone, "email": app.email}
    existing = db.session.scalar(sa.select(Base).where(Base.credit_code == code))
    refused = barred_error(existing) if existing is not None else None
    if refused is not None:
        raise ValidationFailed([refused])
    if existing is not None and existing.status == "applying":
        # A base row registered ahead as "applying" becomes the recognized base.
        existing.name = app.unit_name
        if app.dept is not None:  # an application is recommended by its department first
            existing.dept = app.dept
        existing.address = app.address
        existing.contact_name, existing.contact_phone = contact["name"], contact["phone"]
        existing.contact_email = contact["email"]
        existing.plaque_number = plaque
        replace_specialties(actor, existing, specialties)
        existing.recognized_on = today
        change_base_status(actor, existing, "recognized", f"申请 {app.id} 经评审、公示后认定")
        return existing
    return create_base(
        actor,
        {
            "name": app.unit_name,
            "credit_code": code,
            "department": app.department,
            "address": app.address,
            "status": "recognized",
            "contact": contact,
            "specialties": specialties,
            "recognized_on": today,
            "plaque_number": plaque,
        },
    )


def recognize_application(actor: Actor, app: Application) -> Application:
    """After the notice has ended, recognize the unit: the base exists with the applied scope."""
    authorize(actor, "application.decide", app)
    today = local_today()

    def recognize(_previous: str) -> dict[str, Any]:
        # Under the application's lock, before the base and the audit chain (states.py).
        assert app.notice_until is not None  # set when the notice was published
        if today <= app.notice_until:
            raise NoticeNotOver(
                f"公示期至 {app.notice_until.isoformat()} 结束，"
                f"{(app.notice_until + timedelta(days=1)).isoformat()} 起方可认定"
            )
        plaque = next_plaque_number(today.year)
        base = _recognized_base(actor, app, today, plaque)
        app.base, app.plaque_number = base, plaque
        return {"base_id": base.id, "plaque_number": plaque}

    _move(actor, app, "recognized", "recognize", values={"decided_at": utcnow()}, then=recognize)
    db.session.flush()
    return app


def reject_application(actor: Actor, app: Application, reason: str) -> Application:
    """Refuse the application at any stage before a final decision."""
    authorize(actor, "application.decide", app)
    _move(actor, app, "rejected", "reject", values={"decided_at": utcnow()}, reason=reason.strip())
    return app


def applications_on_notice(today: date | None = None) -> list[Application]:
    """Applications whose public notice window includes `today` (default: today in Hunan)."""
    today = today or local_today()
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.status == "on_notice",
                Application.notice_start <= today,
                Application.notice_until >= today,
            )
            .options(so.selectinload(Application.specialties))
            .order_by(Application.notice_until, Application.id)
        )
    )
