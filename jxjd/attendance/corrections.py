"""Correct-and-reissue: a base corrects a wrong record (name typo, employer, hours, category).

One transaction: the old certificate is revoked with a reason that names the correction, the
record is changed in place (so every count reads it once), a new certificate is signed for it
and the two are linked both ways (certificates.services.replace_certificate, 409 to the loser
of two concurrent clicks). At most one valid certificate per record is the database's rule
too (a partial unique index on certificates.record_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.attendance.importing import RosterRow
from jxjd.attendance.models import AttendanceRecord
from jxjd.attendance.overlap import lock_session_days, overlap_errors
from jxjd.attendance.services import check_upload_allowed
from jxjd.attendance.tallies import recount_record
from jxjd.auth import Actor
from jxjd.certificates.models import Certificate
from jxjd.certificates.services import Issuable, issue_certificates, replace_certificate
from jxjd.common.enums import CATEGORIES
from jxjd.common.time import utcnow
from jxjd.common.types import hours_json
from jxjd.credentials.status import allocate_entries
from jxjd.errors import Conflict, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.sessions.models import TrainingSession

LABELS = {"name": "姓名", "employer": "工作单位", "hours": "学时", "category": "科目类别"}


class NotCorrectable(Conflict):
    code, title = "not_correctable", "该证书不能更正"


@dataclass(frozen=True)
class Change:
    """One corrected field: its old and new value."""

    field: str
    old: Any
    new: Any

    def words(self) -> str:
        """“学时 24 → 20” (categories by their Chinese label)."""
        show = (lambda v: CATEGORIES.get(v, v)) if self.field == "category" else _shown
        return f"{LABELS[self.field]} {show(self.old) or '（空）'} → {show(self.new) or '（空）'}"


def _shown(value: Any) -> Any:
    return hours_json(value) if isinstance(value, Decimal) else value


def _category_of(record: AttendanceRecord, session: TrainingSession) -> str:
    return record.category or session.category


def _changes(
    record: AttendanceRecord, session: TrainingSession, values: dict[str, Any]
) -> list[Change]:
    """What differs from the record, each new value checked; 422 with every error."""
    errors = []
    reason = (values.get("reason") or "").strip()
    if not reason:
        errors.append(field_error("missing_reason", "更正记录须说明原因", field="reason"))
    name, employer = values.get("name"), values.get("employer")
    hours, category = values.get("hours"), values.get("category")
    if name is not None and not name.strip():
        errors.append(field_error("missing_name", "姓名不能为空", field="name"))
    if hours is not None and hours <= 0:
        errors.append(field_error("invalid_hours", "学时应大于 0", field="hours"))
    elif hours is not None and hours > session.hours:
        errors.append(
            field_error(
                "hours_exceed_session",
                f"学时 {hours_json(hours)} 超过本班次的 {hours_json(session.hours)} 学时",
                field="hours",
            )
        )
    if category is not None and category not in CATEGORIES:
        errors.append(
            field_error("invalid_category", "科目类别应为“公需科目”或“专业科目”", field="category")
        )
    if errors:
        raise ValidationFailed(errors)
    proposed = {
        "name": name.strip() if name is not None else None,
        "employer": employer.strip() if employer is not None else None,
        "hours": hours,
        "category": category,
    }
    current = {
        "name": record.name,
        "employer": record.employer or "",
        "hours": record.credited_hours,
        "category": _category_of(record, session),
    }
    changes = [
        Change(key, current[key], new)
        for key, new in proposed.items()
        if new is not None and new != current[key]
    ]
    if not changes:
        raise ValidationFailed(
            [field_error("nothing_to_correct", "填写的内容与原记录相同，没有需要更正的内容")],
            code="nothing_to_correct",
        )
    return changes


def _check_overlap(session: TrainingSession, record: AttendanceRecord, hours: Decimal) -> None:
    """More hours must not pass the daily cap with other sessions on the same days."""
    row = RosterRow(None, record.name, "", record.employer, hours, record.result)
    found = overlap_errors(session, [(row, record.person_id)])
    if found:
        raise ValidationFailed(list(found.values()), code="overlapping_attendance")


def correct_record(actor: Actor, cert: Certificate, **values: Any) -> Certificate:
    """Correct the record of a valid certificate and reissue it; returns the new certificate."""
    authorize(actor, "certificate.correct", cert)
    record = db.session.get_one(AttendanceRecord, cert.record_id)
    session = db.session.get_one(TrainingSession, record.session_id)
    if cert.revoked_at is not None and cert.replaced_by_id is None:
        raise NotCorrectable(
            f"证书 {cert.serial} 已撤销，撤销的证书不再更正；如需重新发证，请重新上传该学员的记录"
        )
    changes = _changes(record, session, values)
    base = check_upload_allowed(session)
    new = {c.field: c.new for c in changes}
    lock_session_days(session)
    if "hours" in new and new["hours"] > record.credited_hours:
        _check_overlap(session, record, new["hours"])
    words = "；".join(c.words() for c in changes)
    reason = values["reason"].strip()

    def reissue() -> int:
        return _reissue(record, session, base.name, new)

    return replace_certificate(
        actor,
        cert,
        reason=f"记录更正（{words}），已换发新证书。更正原因：{reason}",
        reissue=reissue,
        changes={c.field: [_shown(c.old), _shown(c.new)] for c in changes},
        correction_reason=reason,
    )


def _reissue(
    record: AttendanceRecord, session: TrainingSession, base_name: str, new: dict[str, Any]
) -> int:
    """Write the corrected values, count the record again, sign its new certificate: its id."""
    person = db.session.get_one(Person, record.person_id)
    name = new.get("name", record.name)
    hours = new.get("hours", record.credited_hours)
    category = new.get("category", record.category)
    values: dict[str, Any] = {
        "name": name,
        "name_differs": person.name != name,
        "hours": hours,
        "credited_hours": hours,
        "counted": True,
        "category": None if category == session.category else category,
    }
    if "employer" in new:
        values["employer"] = new["employer"] or None
    table = AttendanceRecord.__table__
    db.session.execute(sa.update(table).where(table.c.id == record.id).values(**values))
    recount_record(session.base_id, session.year, record.person_id, hours)
    item = Issuable(
        record_id=record.id,
        person_id=record.person_id,
        name=name,
        id_masked=person.id_masked,
        hours=hours,
        category=values["category"],
    )
    [new_id] = issue_certificates(session, base_name, [item], utcnow())
    allocate_entries([new_id], new=True)
    db.session.expire(record)
    return new_id
