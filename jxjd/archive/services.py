"""The per-person credit archive (学时档案), title-review checks, share grants and registration entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import NOBODY, authorize, can
from jxjd.archive.models import Grant, GrantAccess
from jxjd.attendance.counting import counted_category, counted_hours
from jxjd.attendance.models import AttendanceRecord
from jxjd.audit.services import log_access, record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.common import crockford
from jxjd.common.crypto import token_hash
from jxjd.common.enums import LEVELS as LEVEL_LABELS
from jxjd.common.ids import comparable_name, is_valid_credit_code, normalize_credit_code
from jxjd.common.paging import Page, page_of
from jxjd.common.text import check_text
from jxjd.common.time import local_today, utcnow
from jxjd.common.types import hours_json
from jxjd.credits.services import counted_credits, credit_hours_by_year
from jxjd.errors import Gone, NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import find_person
from jxjd.rules.services import Rules, rules_for, rules_for_years
from jxjd.sessions.models import TrainingSession

MAX_SPAN_YEARS = 10
DEFAULT_SPAN_YEARS = 3
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_GRANT_DAYS = 365
GRANT_CODE_LENGTH = 20  # Crockford characters: 100 random bits, typed as XXXX-XXXX-XXXX-XXXX-XXXX
MAX_VIEWER_UNIT, MAX_VIEWER_NAME = 100, 50
# C0/C1 controls (tab and newline included: these are one-line fields) and bidi overrides.
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DEFAULT_GRANT_DAYS = 30
LEVELS = ("senior", "intermediate", "junior")
ZERO = Decimal(0)
TENTH = Decimal("0.1")


class GrantExpired(Gone):
    code, title = "grant_expired", "授权码已过期"


class GrantWithdrawn(Gone):
    code, title = "grant_withdrawn", "授权码已被本人撤回"


class UnknownGrant(NotFound):
    code, title = "unknown_grant", "授权码不存在"


class UnknownPerson(NotFound):
    code, title = "unknown_person", "未找到该人员的学时记录"


# ---- year ranges ---------------------------------------------------------------------------


def _year_error(field: str, message: str) -> dict[str, Any]:
    return field_error("invalid_year_range", message, field=field)


YEAR_LABELS = {"from": "起始年份", "to": "截止年份"}


def year_range(
    from_year: Any, to_year: Any, *, default_span: int = DEFAULT_SPAN_YEARS
) -> tuple[int, int]:
    """Validate a from/to pair of years; omitted ends default to the last `default_span` years."""
    this_year = local_today().year
    errors = []
    values: dict[str, int | None] = {}
    for field, raw in (("from", from_year), ("to", to_year)):
        if raw is None or raw == "":
            values[field] = None
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors.append(_year_error(field, f"{YEAR_LABELS[field]}应为四位年份"))
            continue
        if not MIN_YEAR <= value <= MAX_YEAR:
            errors.append(
                _year_error(field, f"{YEAR_LABELS[field]}应在 {MIN_YEAR}—{MAX_YEAR} 之间")
            )
        values[field] = value
    if errors:
        raise ValidationFailed(errors)
    to = values["to"] if values["to"] is not None else this_year
    start = values["from"] if values["from"] is not None else to - default_span + 1
    if start > to:
        raise ValidationFailed([_year_error("from", "起始年份不能晚于截止年份")])
    if to - start + 1 > MAX_SPAN_YEARS:
        raise ValidationFailed(
            [_year_error("to", f"一次最多查询 {MAX_SPAN_YEARS} 个年度（{start}—{to}）")]
        )
    return start, to


# ---- the archive ---------------------------------------------------------------------------


def _hours(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(TENTH)


def _hours_by_year(person_id: int, years: list[int]) -> dict[tuple[int, str], Decimal]:
    """Counted hours per (year, category) for the years, in one grouped query."""
    if not years:
        return {}
    query = (
        sa.select(TrainingSession.year, counted_category(), sa.func.sum(counted_hours()))
        .select_from(AttendanceRecord)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .where(AttendanceRecord.person_id == person_id, TrainingSession.year.in_(years))
        .group_by(TrainingSession.year, counted_category())
    )
    hours = {(year, cat): _hours(total) for year, cat, total in db.session.execute(query)}
    # Approved credits from other sources count too, after their forms' yearly caps (§14).
    for key, credited in credit_hours_by_year(person_id, years).items():
        hours[key] = hours.get(key, ZERO) + credited
    return hours


@dataclass(frozen=True)
class YearLine:
    """One year of a person's archive against that year's rule."""

    year: int
    general: Decimal
    professional: Decimal
    rules: Rules

    @property
    def total(self) -> Decimal:
        return self.general + self.professional

    @property
    def shortfall(self) -> dict[str, Decimal]:
        # Each part on its own: a surplus in one never fills the other (Hunan rule C2).
        return {
            "total": max(ZERO, self.rules.required_total - self.total),
            "general": max(ZERO, self.rules.required_general - self.general),
            "professional": max(ZERO, self.rules.required_professional - self.professional),
        }

    @property
    def compliant(self) -> bool:
        return not any(self.shortfall.values())

    def to_dict(self) -> dict[str, Any]:
        """The year as CONTRACT §8 shows it."""
        r = self.rules
        return {
            "year": self.year,
            "total_hours": hours_json(self.total),
            "general_hours": hours_json(self.general),
            "professional_hours": hours_json(self.professional),
            "required": {
                "total": hours_json(r.required_total),
                "general": hours_json(r.required_general),
                "professional": hours_json(r.required_professional),
            },
            "compliant": self.compliant,
            "shortfall": {k: hours_json(v) for k, v in self.shortfall.items()},
        }


def year_lines(person_id: int, years: list[int]) -> list[YearLine]:
    """Every requested year (zeros where nothing was earned) against its own rule."""
    hours = _hours_by_year(person_id, years)
    rules = rules_for_years(years)
    return [
        YearLine(
            year=y,
            general=hours.get((y, "general"), ZERO),
            professional=hours.get((y, "professional"), ZERO),
            rules=rules[y],
        )
        for y in years
    ]


def person_records(person_id: int, from_year: int, to_year: int) -> list[dict[str, Any]]:
    """Every attendance record of the person in the years, oldest first, with what it counts."""
    query = (
        sa.select(
            AttendanceRecord.hours,
            AttendanceRecord.result,
            counted_hours().label("counted"),
            TrainingSession.year,
            TrainingSession.title,
            counted_category().label("category"),
            TrainingSession.form,
            TrainingSession.start_date,
            TrainingSession.end_date,
            Base.name.label("base"),
            Certificate.serial,
            Certificate.revoked_at,
        )
        .select_from(AttendanceRecord)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .join(Base, Base.id == TrainingSession.base_id)
        .outerjoin(  # the record's current certificate (a corrected record has replaced ones)
            Certificate,
            sa.and_(
                Certificate.record_id == AttendanceRecord.id, Certificate.replaced_by_id.is_(None)
            ),
        )
        .where(
            AttendanceRecord.person_id == person_id,
            TrainingSession.year.between(from_year, to_year),
        )
        .order_by(TrainingSession.end_date, TrainingSession.id)
    )
    out = []
    for row in db.session.execute(query):
        if row.serial is None:
            status = None
        else:
            status = "revoked" if row.revoked_at is not None else "valid"
        out.append(
            {
                "serial": row.serial,
                "year": row.year,
                "title": row.title,
                "base": row.base,
                "category": row.category,
                "form": row.form,
                "hours": _hours(row.counted),
                "recorded_hours": _hours(row.hours),
                "start_date": row.start_date,
                "end_date": row.end_date,
                "result": row.result,
                "status": status,
                "source": "base",
                "provider": row.base,
            }
        )
    out.extend(_credit_records(person_id, from_year, to_year))
    out.sort(key=lambda rec: rec["end_date"])  # stable: base records keep their order
    return out


def _credit_records(person_id: int, from_year: int, to_year: int) -> list[dict[str, Any]]:
    """The person's approved credits from other sources, as archive records (source external)."""
    return [
        {
            "serial": None,
            "year": item.credit.year,
            "title": item.credit.title,
            "base": item.credit.provider,
            "category": item.credit.category,
            "form": item.credit.form,
            "hours": _hours(item.counted),
            "recorded_hours": _hours(item.credit.hours),
            "start_date": item.credit.start_date,
            "end_date": item.credit.end_date,
            "result": None,
            "status": "capped" if item.capped else "approved",
            "source": "external",
            "provider": item.credit.provider,
            "credit_id": item.credit.id,
        }
        for item in counted_credits(person_id, from_year, to_year)
    ]


def person_block(person: Person) -> dict[str, str]:
    """Who the archive belongs to: name and masked ID only."""
    return {"name": person.name, "id_masked": person.id_masked}


def year_summary(person: Person | int, from_year: int, to_year: int) -> dict[str, Any]:
    """The archive of CONTRACT §8 for the years `from_year`..`to_year` (every year present).

    `person` is a Person or a person id. `records[].hours` is what the record counts (0 for a
    fail or a revoked certificate); `recorded_hours` is what the roster said.
    """
    if not isinstance(person, Person):
        found = db.session.get(Person, person)
        if found is None:
            raise UnknownPerson("人员不存在")
        person = found

    lines = year_lines(person.id, list(range(from_year, to_year + 1)))
    records = person_records(person.id, from_year, to_year)
    for rec in records:
        rec["hours"], rec["recorded_hours"] = (
            hours_json(rec["hours"]),
            hours_json(rec["recorded_hours"]),
        )
    return {
        "person": person_block(person),
        "years": [line.to_dict() for line in lines],
        "records": records,
        "summary": {
            "from": from_year,
            "to": to_year,
            "all_years_compliant": all(line.compliant for line in lines),
            "total_hours": hours_json(sum((line.total for line in lines), ZERO)),
        },
    }


def get_person(actor: Actor) -> Person:
    """The person an actor is bound to; 403 for a caller bound to nobody."""
    person = db.session.get(Person, actor.person_id) if actor.person_id is not None else None
    authorize(actor, "archive.own", person if person is not None else NOBODY)
    assert person is not None  # the policy refused NOBODY
    return person


def query_archive(actor: Actor, id_number: str, from_year: int, to_year: int) -> dict[str, Any]:
    """An admin or department reads a person's archive by ID number (in the access log)."""
    authorize(actor, "archive.query")
    person = find_person(id_number)
    if person is None or not can(actor, "archive.query", person):
        # A department reads the archives of people trained at its own bases (CONTRACT §1); the
        # same answer for "unknown" and "not yours" tells it nothing about anyone else.
        raise UnknownPerson("未找到该身份证号对应人员的学时记录")
    log_access(actor, "archive.query", person.id, from_year=from_year, to_year=to_year)
    return year_summary(person, from_year, to_year)


# ---- title-review checks -------------------------------------------------------------------


def review_span(level: str, review_year: int) -> tuple[int, int]:
    """The years a 职称 review in `review_year` reads for `level` (configured per year)."""
    if level not in LEVELS:
        raise ValidationFailed(
            [
                field_error(
                    "invalid_choice", "level 须为 senior、intermediate 或 junior", field="level"
                )
            ]
        )
    span = rules_for(review_year).span(level)
    return review_year - span, review_year - 1


def review_check(
    person: Person, level: str, review_year: int, allowed: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Per year of the review span: does it meet that year's rule; `allowed` limits the years shown.

    Years of the span outside `allowed` (a share grant) are listed in `missing_years` and the check
    cannot pass.
    """
    start, end = review_span(level, review_year)
    years = list(range(start, end + 1))
    visible = [y for y in years if allowed is None or allowed[0] <= y <= allowed[1]]
    missing = [y for y in years if y not in visible]
    lines = year_lines(person.id, visible)
    return {
        "person": person_block(person),
        "level": level,
        "review_year": review_year,
        "span": {"from": start, "to": end, "years": len(years)},
        "years": [line.to_dict() for line in lines],
        "missing_years": missing,
        "all_years_compliant": not missing and all(line.compliant for line in lines),
        "total_hours": hours_json(sum((line.total for line in lines), ZERO)),
    }


def review_args(level: Any, year: Any) -> tuple[str, int]:
    """Validate ?level=&year= of a review check."""
    errors = []
    if level not in LEVELS:
        errors.append(
            field_error(
                "invalid_choice",
                "评审层次（level）须为高级 senior、中级 intermediate 或初级 junior",
                field="level",
            )
        )
    try:
        review_year = int(str(year).strip())
        if not MIN_YEAR <= review_year <= MAX_YEAR:
            raise ValueError
    except ValueError:
        errors.append(field_error("invalid_year_range", "评审年度应为四位年份", field="year"))
        review_year = 0
    if errors:
        raise ValidationFailed(errors)
    return level, review_year


# ---- share grants (PIPL 第二十三条) -----------------------------------------------------------


def create_grant(
    actor: Actor,
    person: Person,
    employer_name: str,
    from_year: int,
    to_year: int,
    days: int,
    employer_credit_code: str | None = None,
) -> tuple[Grant, str]:
    """Record the person's consent; returns the grant and the plain code (shown only once).

    With `employer_credit_code` only that employer's account or token can open the grant.
    """
    authorize(actor, "grant.manage", person)
    employer_name = (employer_name or "").strip()
    check_text(employer_name, "unit", field="employer_name", label="用人单位名称")
    errors = []
    if not employer_name or len(employer_name) > 200:
        errors.append(
            field_error("required", "请填写用人单位名称（不超过200字）", field="employer_name")
        )
    if not 1 <= days <= MAX_GRANT_DAYS:
        errors.append(
            field_error("out_of_range", f"有效天数须在 1—{MAX_GRANT_DAYS} 之间", field="days")
        )
    bound_to = None
    if employer_credit_code and employer_credit_code.strip():
        bound_to = normalize_credit_code(employer_credit_code)
        if not is_valid_credit_code(bound_to):
            errors.append(
                field_error(
                    "invalid_credit_code",
                    "用人单位统一社会信用代码校验不通过",
                    field="employer_credit_code",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    code = crockford.random_code(GRANT_CODE_LENGTH)
    now = utcnow()
    grant = Grant(
        person_id=person.id,
        code_hash=token_hash(code),
        code_prefix=code[:4],
        employer_name=employer_name,
        employer_credit_code=bound_to,
        from_year=from_year,
        to_year=to_year,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(grant)
    db.session.flush()
    record_event(
        actor,
        "grant.create",
        "grant",
        grant.id,
        employer=employer_name,
        from_year=from_year,
        to_year=to_year,
        days=days,
        employer_credit_code=bound_to,
    )
    return grant, crockford.group(code)


def _code_hashes(code: str) -> list[str]:
    """Hashes a typed code may be stored under: its Crockford form, or as typed (older codes)."""
    typed = (code or "").strip()
    return sorted({token_hash(crockford.normalize(typed)), token_hash(typed)})


def grants_of(person: Person, page: Page | None = None) -> list[Grant]:
    """The person's grants, newest first (accesses load with them; one page, if given)."""
    return list(
        db.session.scalars(
            page_of(
                sa.select(Grant)
                .where(Grant.person_id == person.id)
                .options(so.selectinload(Grant.accesses))
                .order_by(Grant.created_at.desc(), Grant.id.desc()),
                page,
            )
        )
    )


def own_grant(person: Person, ref: str) -> Grant:
    """One of the person's grants by its code or its numeric id; 404 otherwise."""
    ref = (ref or "").strip()
    if ref.isascii() and ref.isdigit() and len(ref) < 10:
        where = Grant.id == int(ref)
    else:
        where = Grant.code_hash.in_(_code_hashes(ref))
    grant = db.session.scalar(sa.select(Grant).where(where, Grant.person_id == person.id))
    if grant is None:
        raise UnknownGrant("没有这条授权")
    return grant


def withdraw_grant(actor: Actor, grant: Grant) -> Grant:
    """Withdraw consent; the code stops working at once (withdrawing twice changes nothing)."""
    authorize(actor, "grant.manage", grant)
    if grant.withdrawn_at is None:
        grant.withdrawn_at = utcnow()
        record_event(actor, "grant.withdraw", "grant", grant.id)
        db.session.flush()
    return grant


def live_grant(code: str, actor: Actor | None = None, now: datetime | None = None) -> Grant:
    """The grant behind a code: 404 unknown or bound to another employer, 410 withdrawn or expired.

    A grant bound to an employer's credit code answers every other caller exactly as an unknown
    code does, so the code's existence is not confirmed to them.
    """
    grant = db.session.scalar(sa.select(Grant).where(Grant.code_hash.in_(_code_hashes(code))))
    if grant is not None and not can(actor, "grant.lookup", grant):
        grant = None
    if grant is None:
        raise UnknownGrant("授权码不存在，请向本人核对")
    status = grant.status_at(now or utcnow())
    if status == "withdrawn":
        raise GrantWithdrawn("本人已撤回该授权，无法查看")
    if status == "expired":
        raise GrantExpired("该授权码已过期，请请本人重新授权")
    return grant


@dataclass(frozen=True)
class Viewer:
    """Who an employer without an account says they are (recorded and shown to the person)."""

    unit: str
    name: str

    @property
    def actor(self) -> Actor:
        """The caller as the access log records it."""
        return Actor(role="public", name=f"{self.unit} {self.name}", ref="public")


def checked_viewer(viewer: Any) -> Viewer:
    """The declared viewer of a public look-up: unit ≤ 100 and name ≤ 50 characters, plain text."""
    viewer = viewer if isinstance(viewer, dict) else {}
    errors = []
    values = {}
    for key, label, limit in (
        ("unit", "查询单位", MAX_VIEWER_UNIT),
        ("name", "查询人姓名", MAX_VIEWER_NAME),
    ):
        raw = viewer.get(key)
        value = raw.strip() if isinstance(raw, str) else ""
        field = f"viewer.{key}"
        if not value:
            errors.append(field_error("required", f"请填写{label}", field=field))
        elif len(value) > limit:
            errors.append(field_error("too_long", f"{label}不能超过{limit}个字符", field=field))
        elif _BAD_CHARACTERS.search(value):
            errors.append(
                field_error("invalid_characters", f"{label}含有不允许的控制字符", field=field)
            )
        values[key] = value
    if errors:
        raise ValidationFailed(errors)
    return Viewer(unit=values["unit"], name=values["name"])


def record_access(
    actor: Actor, grant: Grant, what: str, viewer: Viewer | None = None
) -> GrantAccess:
    """Log one read through a grant; the person sees it in their grant list."""
    access = GrantAccess(
        grant_id=grant.id,
        actor_role=actor.role,
        actor_name=actor.name[:200],
        actor_ref=actor.ref,
        what=what[:64],
        viewer_unit=viewer.unit if viewer else None,
        viewer_name=viewer.name if viewer else None,
        at=utcnow(),
    )
    db.session.add(access)
    db.session.flush()
    return access


def shared_archive(
    actor: Actor | None,
    code: str,
    level: str | None = None,
    review_year: int | None = None,
    viewer: Viewer | None = None,
) -> dict[str, Any]:
    """The archive a grant allows (its years only), plus a review check when asked; logged.

    `actor` is an employer or admin; for a look-up without an account it is None and `viewer`
    says who is asking.
    """
    authorize(actor, "grant.lookup")
    grant = live_grant(code, actor)
    if actor is None:
        if viewer is None:
            raise ValueError("a look-up without an account needs a declared viewer")
        actor = viewer.actor
    person = db.session.get_one(Person, grant.person_id)
    body = year_summary(person, grant.from_year, grant.to_year)
    body["grant"] = {
        "employer_name": grant.employer_name,
        "from": grant.from_year,
        "to": grant.to_year,
        "expires_at": grant.expires_at,
    }
    what = "archive"
    if level is not None and review_year is not None:  # review_args gives both or neither
        body["review_check"] = review_check(
            person, level, review_year, allowed=(grant.from_year, grant.to_year)
        )
        what = f"archive+review:{level}:{review_year}"
    access = record_access(actor, grant, what, viewer)
    # For the page's warning when the one looking is not the unit the person named.
    body["grant"]["named_unit"] = _named_unit(grant, access)
    return body


def describe_access(what: str) -> str:
    """What a look-up read, in words ("archive+review:senior:2027" → 查看…并核验2027年度高级职称评审)."""
    if what.startswith("transcript:"):
        return f"下载学时认定单 {what.partition(':')[2]}"
    kind, _, review = what.partition("+review:")
    text = "查看授权年度的学时档案" if kind == "archive" else f"查看 {kind}"
    level, _, year = review.partition(":")
    if review:
        text += f"，并核验 {year} 年度{LEVEL_LABELS.get(level, level)}职称评审学时"
    return text


def _named_unit(grant: Grant, access: Any) -> bool:
    """Whether the look-up came from the unit the person named (declared, or the account's)."""
    unit = access.viewer_unit if access.viewer_unit else access.actor_name
    if access.actor_role == "admin" and not access.viewer_unit:
        return True  # the provincial department's own check, not an employer
    return comparable_name(unit) == comparable_name(grant.employer_name)


def grant_dict(grant: Grant, now: datetime | None = None) -> dict[str, Any]:
    """A grant as the person sees it (never the code: only its first characters)."""
    return {
        "id": grant.id,
        "code_prefix": grant.code_prefix,
        "employer_name": grant.employer_name,
        "employer_credit_code": grant.employer_credit_code,
        "from": grant.from_year,
        "to": grant.to_year,
        "created_at": grant.created_at,
        "expires_at": grant.expires_at,
        "withdrawn_at": grant.withdrawn_at,
        "status": grant.status_at(now or utcnow()),
        "accesses": [
            {
                "who": a.actor_name,
                "role": a.actor_role,
                "at": a.at,
                "what": a.what,
                "what_text": describe_access(a.what),
                "named_unit": _named_unit(grant, a),
                # Declared by someone without an account: what they said, not a checked identity.
                "viewer": (
                    {"unit": a.viewer_unit, "name": a.viewer_name} if a.viewer_unit else None
                ),
            }
            for a in grant.accesses
        ],
    }


# ---- registration entries (《湖南省专业技术人员继续教育登记证书》) --------------------------------


def registration_entries(person: Person, year: int) -> dict[str, Any]:
    """The year's entries as the registration certificate lists them, with the year's totals."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed([_year_error("year", "年份无效")])
    entries = [
        {
            "date": rec["end_date"],
            "start_date": rec["start_date"],
            "end_date": rec["end_date"],
            "content": rec["title"],
            "form": rec["form"],
            "category": rec["category"],
            "hours": hours_json(rec["hours"]),
            "recorded_hours": hours_json(rec["recorded_hours"]),
            "organiser": rec["base"],
            "result": rec["result"],
            "certificate_serial": rec["serial"],
            "certificate_status": rec["status"] if rec["source"] == "base" else None,
            "source": rec["source"],
            "provider": rec["provider"],
        }
        for rec in person_records(person.id, year, year)
    ]
    (line,) = year_lines(person.id, [year])
    return {
        "person": person_block(person),
        "year": year,
        "entries": entries,
        "summary": line.to_dict(),
    }
