"""Credits from other sources (CONTRACT §14): enter, claim, review, revoke, list and count.

A credit is entered by admin, a department (for people trained at its bases), an employer (for
staff its rosters name) or claimed by the person with evidence; it starts `pending` and moves
through `states.transition` (approve, reject, revoke). Its hours come from the year's conversion
table (rate × quantity, capped), and it keeps the table version it used. Only approved credits
count, and a person's approved hours of one form in one year never exceed that form's cap.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from jxjd.access import NOBODY, authorize, can, fetch, scoped, unrestricted
from jxjd.attendance.models import AttendanceRecord
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.paging import Page, page_of
from jxjd.common.time import utcnow
from jxjd.credits.daily import check_daily_cap
from jxjd.credits.evidence import Evidence
from jxjd.credits.models import CREDIT_STATUSES, Credit, CreditEvidence
from jxjd.errors import Conflict, NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import checked_id_number, ensure_person, find_person
from jxjd.rules.conversions import Conversion, conversions_for
from jxjd.sessions.models import TrainingSession
from jxjd.states import Machine, transition

ZERO = Decimal(0)

CREDIT_MACHINE = Machine(
    model=Credit,
    kind="credit",
    noun="学时认定",
    labels=CREDIT_STATUSES,
    moves={
        "pending": frozenset({"approved", "rejected"}),
        "approved": frozenset({"revoked"}),
        "rejected": frozenset(),
        "revoked": frozenset(),
    },
)


class DuplicateCredit(Conflict):
    code, title = "duplicate_credit", "与基地培训记录重复"


class CreditExists(Conflict):
    code, title = "credit_exists", "该学时认定已录入"


class UnknownCreditPerson(NotFound):
    code, title = "unknown_person", "未找到该人员"


@dataclass(frozen=True)
class CreditInput:
    """One credit as entered (API body, page form or import row), before it is checked."""

    id_number: str
    name: str
    year: int
    form: str
    title: str
    provider: str
    start_date: date
    end_date: date
    quantity: Decimal | None = None
    hours: Decimal | None = None


# ---- checking ----------------------------------------------------------------------------------


def credit_problems(data: CreditInput, conversion: Conversion | None) -> list[dict[str, Any]]:
    """What is wrong with an entry against the year's table (empty when it may be stored)."""
    errors = []
    if conversion is None:
        errors.append(
            field_error(
                "invalid_form", f"认定形式“{data.form}”不在{data.year}年度折算表中", field="form"
            )
        )
    if data.end_date < data.start_date or data.end_date.year != data.year:
        errors.append(
            field_error(
                "invalid_dates", "结束日期不能早于开始日期，且须在认定年度之内", field="end_date"
            )
        )
    if data.quantity is None and data.hours is None:
        errors.append(field_error("required", "请填写数量或学时", field="quantity"))
    cap = conversion.yearly_cap if conversion else None
    if conversion is not None and cap is not None and data.hours is not None and data.hours > cap:
        errors.append(
            field_error(
                "hours_exceed_cap",
                f"{conversion.label}每人每年最多认定 {cap.normalize():f} 学时",
                field="hours",
            )
        )
    return errors


def hours_of(data: CreditInput, conversion: Conversion) -> Decimal:
    """The given hours, or quantity × the form's rate, capped at the form's yearly cap."""
    if data.hours is not None:
        return data.hours
    if data.quantity is None:  # credit_problems refused an entry with neither
        raise ValueError("a credit needs its quantity or its hours")
    return conversion.hours_for(data.quantity)


def live_key(person_id: int, data: CreditInput, form: str) -> str:
    """The identity of an activity: the same person, form, title and dates."""
    text = f"{person_id}|{form}|{data.title.strip()}|{data.start_date}|{data.end_date}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def duplicated_session(person_id: int, title: str, start: date, end: date) -> str | None:
    """The title of a base session the person attended with the same title and overlapping dates."""
    return db.session.scalar(
        sa.select(TrainingSession.title)
        .join(AttendanceRecord, AttendanceRecord.session_id == TrainingSession.id)
        .where(
            AttendanceRecord.person_id == person_id,
            TrainingSession.title == title.strip(),
            TrainingSession.start_date <= end,
            TrainingSession.end_date >= start,
        )
        .limit(1)
    )


def _person_for(actor: Actor, data: CreditInput, claim: bool) -> Person:
    """The person the credit is for: admin registers a new one; others only reach theirs."""
    id_number = checked_id_number(data.id_number)
    if unrestricted(actor, "credit.create"):
        return ensure_person(id_number, data.name)
    person = find_person(id_number)
    if claim:
        authorize(actor, "credit.claim", person if person is not None else NOBODY)
        assert person is not None  # the policy refused NOBODY
        return person
    if person is None or not can(actor, "credit.create", person):
        # The same answer for "unknown" and "not yours": a department or an employer learns
        # nothing about people outside its scope.
        raise UnknownCreditPerson("未找到该身份证号对应的人员（须为本部门、本单位人员）")
    return person


# ---- entering ----------------------------------------------------------------------------------


def create_credit(actor: Actor, data: CreditInput, evidence: Evidence | None = None) -> Credit:
    """Enter (or claim) one credit, pending review; 422 on a bad entry, 409 on a duplicate."""
    authorize(actor, "credit.create")
    claim = can(actor, "credit.claim")  # a person's own claim needs its evidence
    if claim and evidence is None:
        raise ValidationFailed(
            [
                field_error(
                    "evidence_required", "本人申报须上传证明材料（PDF 或照片）", field="evidence"
                )
            ]
        )
    conversion = conversions_for(data.year).get(data.form)
    errors = credit_problems(data, conversion)
    if errors:
        raise ValidationFailed(errors)
    assert conversion is not None  # an unknown form is one of credit_problems' errors
    person = _person_for(actor, data, claim)
    session_title = duplicated_session(person.id, data.title, data.start_date, data.end_date)
    if session_title is not None:
        raise DuplicateCredit(
            f"该人员已有基地培训记录“{session_title}”（日期重叠、名称相同），不能重复认定"
        )
    credit = new_credit(actor, person, data, conversion, utcnow())
    if evidence is not None:
        credit.evidence_sha256, credit.evidence_type = evidence.sha256, evidence.content_type
        credit.evidence_size = len(evidence.data)
    try:
        with db.session.begin_nested():
            db.session.add(credit)
            db.session.flush()
    except IntegrityError:
        raise CreditExists("该人员的这项活动已录入（待审核或已认定），不能重复录入") from None
    if evidence is not None:
        db.session.add(CreditEvidence(credit_id=credit.id, data=evidence.data))
    record_event(
        actor,
        "credit.create",
        "credit",
        credit.id,
        person_id=person.id,
        form=credit.form,
        hours=str(credit.hours),
        rule_version=credit.rule_version,
    )
    db.session.flush()
    return credit


def new_credit(
    actor: Actor, person: Person, data: CreditInput, conversion: Conversion, now: datetime
) -> Credit:
    """The pending credit row for a checked entry (not yet added to the session)."""
    return Credit(**credit_values(actor, person.id, data, conversion, now))


def credit_values(
    actor: Actor,
    person_id: int,
    data: CreditInput,
    conversion: Conversion,
    now: datetime,
    version: int | None = None,
) -> dict[str, Any]:
    """The credits columns of a checked entry (the bulk import inserts these directly, with
    the table `version` it read once)."""
    if version is None:
        version = conversions_for(data.year).version
    return {
        "person_id": person_id,
        "name": data.name,
        "year": data.year,
        "form": conversion.form,
        "category": conversion.category,
        "quantity": data.quantity,
        "hours": hours_of(data, conversion),
        "title": data.title.strip(),
        "provider": data.provider.strip(),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "status": "pending",
        "rule_version": version,
        "hours_per_unit": conversion.hours_per_unit,
        "yearly_cap": conversion.yearly_cap,
        "source": actor.role,
        "entered_by_ref": actor.ref,
        "entered_by_name": actor.name[:200],
        "entered_by_unit": actor.credit_code,  # an employer's unit (others carry none)
        "created_at": now,
        "live_key": live_key(person_id, data, conversion.form),
    }


# ---- review ------------------------------------------------------------------------------------


def get_credit(actor: Actor, credit_id: int, action: str = "credit.read") -> Credit:
    """A credit the caller may act on: 404 unknown, 403 not theirs."""
    return fetch(actor, action, Credit, credit_id, label="学时认定")


def _require_opinion(opinion: str, verb: str) -> str:
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationFailed([field_error("required", f"{verb}须填写意见", field="opinion")])
    return opinion


def decide(actor: Actor, credit: Credit, to: str, opinion: str = "") -> Credit:
    """approved / rejected (with an opinion) / revoked (with a reason); 409 to the loser."""
    authorize(actor, "credit.decide", credit)
    verb = {"approved": "认定", "rejected": "不予认定", "revoked": "撤销"}[to]
    if to != "approved":
        opinion = _require_opinion(opinion, verb)
    values: dict[str, Any] = {
        "decided_at": utcnow(),
        "decided_by": actor.name[:200],
        "opinion": opinion or None,
    }
    if to in ("rejected", "revoked"):
        values["live_key"] = None  # the activity may be entered again
    if to == "approved":
        check_daily_cap(credit)  # day locks first, then the credit's row (states.transition)
    transition(
        credit, to, actor=actor, event=f"credit.{to}", verb=verb, values=values, opinion=opinion
    )
    db.session.flush()
    return credit


def list_credits(
    actor: Actor,
    *,
    status: str | None = None,
    year: int | None = None,
    page: Page | None = None,
) -> list[Credit]:
    """The credits the caller may see (admin all, dept its scope, employer its entries,
    person its own), newest first."""
    query = scoped(actor, "credit.read", sa.select(Credit)).options(so.selectinload(Credit.person))
    if status is not None:
        query = query.where(Credit.status == status)
    if year is not None:
        query = query.where(Credit.year == year)
    return list(db.session.scalars(page_of(query.order_by(Credit.id.desc()), page)))


def evidence_of(actor: Actor, credit: Credit) -> tuple[bytes, str]:
    """A credit's evidence file and type, for its readers; 404 when it has none."""
    authorize(actor, "credit.read", credit)
    row = db.session.get(CreditEvidence, credit.id)
    if row is None:
        raise NotFound("该学时认定没有证明材料")
    return row.data, credit.evidence_type or "application/octet-stream"


# ---- counting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedCredit:
    """An approved credit and the hours it counts after the form's yearly cap."""

    credit: Credit
    counted: Decimal

    @property
    def capped(self) -> bool:
        return self.counted < self.credit.hours


def capped(rows: Iterable[Any]) -> Iterator[tuple[Any, Decimal]]:
    """Each approved credit (rows ordered by decision within each person) with what it counts.

    The one counting rule: once a person's approved hours of a form in a year reach the form's
    cap (as the credit recorded it), the rest count 0. Rows need person_id, year, form, hours
    and yearly_cap; counted_credits (one person) and counted_by_form (a report) both use it.
    """
    used: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        key = (row.person_id, row.year, row.form)
        counted = row.hours
        if row.yearly_cap is not None:
            counted = max(ZERO, min(counted, row.yearly_cap - used[key]))
        used[key] += counted
        yield row, counted


def counted_credits(person_id: int, from_year: int, to_year: int) -> list[CountedCredit]:
    """The person's approved credits in the years, in approval order, each with what it counts.

    The one counting rule for the archive, review checks, registration entries and
    transcripts: pending, rejected and revoked credits never count; the forms' yearly caps
    hold (`capped`).
    """
    credits = db.session.scalars(
        sa.select(Credit)
        .where(
            Credit.person_id == person_id,
            Credit.status == "approved",
            Credit.year.between(from_year, to_year),
        )
        .order_by(Credit.decided_at, Credit.id)
    ).all()
    return [CountedCredit(credit, counted) for credit, counted in capped(credits)]


@dataclass
class FormFigures:
    """A form's approved credits in a year: how many, for how many people, hours counted."""

    credits: int = 0
    people: set[int] = field(default_factory=set)
    hours: Decimal = ZERO


def counted_by_form(
    actor: Actor, year: int
) -> tuple[dict[str, FormFigures], dict[str, FormFigures]]:
    """The year's approved credits the caller may read, counted as the archive counts them
    (`capped`), per form and per who entered them (admin, dept, employer, person)."""
    c = Credit.__table__.c
    query = scoped(
        actor,
        "credit.read",
        sa.select(Credit.person_id, c.year, c.form, c.hours, c.yearly_cap, c.source),
    ).where(c.status == "approved", c.year == year)
    rows = db.session.execute(query.order_by(c.person_id, c.decided_at, c.id))
    forms: dict[str, FormFigures] = defaultdict(FormFigures)
    sources: dict[str, FormFigures] = defaultdict(FormFigures)
    for row, counted in capped(rows):
        for figures in (forms[row.form], sources[row.source]):
            figures.credits += 1
            figures.people.add(row.person_id)
            figures.hours += counted
    return dict(forms), dict(sources)


def credit_hours_by_year(person_id: int, years: list[int]) -> dict[tuple[int, str], Decimal]:
    """Counted credit hours per (year, category) for the years."""
    if not years:
        return {}
    totals: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for item in counted_credits(person_id, min(years), max(years)):
        if item.credit.year in years:
            totals[(item.credit.year, item.credit.category)] += item.counted
    return dict(totals)
