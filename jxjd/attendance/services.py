"""Importing a roster after a class: validate every row, store set-based, issue certificates.

One upload is one transaction. Rows are checked against the file itself (importing.py) and
against what is already stored (one query per batch); then people, records and certificates
are inserted with one executemany per table. INSERT … ON CONFLICT DO NOTHING on the unique
(session, person) pair keeps concurrent identical uploads from ever duplicating a record or a
certificate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize
from jxjd.attendance.importing import RawRow, RosterRow, row_prefix, validate_rows
from jxjd.attendance.models import AttendanceRecord, AttendanceUpload
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.certificates.services import Issuable, issue_certificates
from jxjd.common.crypto import FieldCipher, app_keystore, lookup_hash
from jxjd.common.db import chunked, insert_ignoring_conflicts
from jxjd.common.enums import BASE_STATUSES, RESULTS
from jxjd.common.ids import mask_id_number
from jxjd.common.text import SINGLE_LINE_BAD
from jxjd.common.time import local_today, utcnow
from jxjd.errors import Problem, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import phone_cipher, phone_columns
from jxjd.sessions.models import TrainingSession


def stored_filename(filename: str | None) -> str | None:
    """An upload's file name as recorded: forbidden characters dropped, at most 255 characters."""
    return SINGLE_LINE_BAD.sub("", filename or "")[:255] or None


class BaseNotActive(Problem):
    status, code, title = 422, "base_not_active", "基地当前状态不能签发证书"


class SessionNotStarted(Problem):
    status, code, title = 422, "session_not_started", "培训班次尚未开始，不能上传学员名单"


@dataclass
class ImportResult:
    """The receipt of one upload (CONTRACT §6 200 body)."""

    session_id: int
    received: int
    recorded: int = 0
    already_recorded: int = 0
    certificates_issued: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    upload_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "received": self.received,
            "recorded": self.recorded,
            "already_recorded": self.already_recorded,
            "certificates_issued": self.certificates_issued,
            "rejected": [
                {k: e[k] for k in ("row", "field", "code", "message")} for e in self.rejected
            ],
            "warnings": self.warnings,
            "upload_id": self.upload_id,
        }


def _credited(row: RosterRow) -> Decimal:
    return row.hours if row.result == "pass" else Decimal(0)


def _conflict_message(row: RosterRow, existing: sa.Row) -> str:
    where = row_prefix(row.row, row.name) if row.row else ""
    return (
        f"{where}该学员已有本班次记录（{existing.hours.normalize():f}学时，"
        f"{RESULTS.get(existing.result, existing.result)}），与本次上传不一致；如需更正请联系省人社厅"
    )


def _existing_records(session_id: int, person_ids: list[int]) -> dict[int, sa.Row]:
    """person_id -> (id, person_id, upload_id, hours, result) of this session's stored records.

    Plain rows, not ORM objects: loading 10,000 records into the identity map costs more than
    the rest of the comparison.
    """
    record = AttendanceRecord.__table__.c
    found: dict[int, sa.Row] = {}
    for batch in chunked(person_ids):
        for row in db.session.execute(
            sa.select(
                record.id, record.person_id, record.upload_id, record.hours, record.result
            ).where(record.session_id == session_id, record.person_id.in_(batch))
        ):
            found[row.person_id] = row
    return found


def _people_by_hash(hashes: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for batch in chunked(hashes):
        for pid, digest, name in db.session.execute(
            sa.select(Person.id, Person.id_hash, Person.name).where(Person.id_hash.in_(batch))
        ):
            found[digest] = (pid, name)
    return found


def import_attendance(
    actor: Actor,
    session: TrainingSession,
    raw_rows: list[RawRow],
    *,
    mode: str = "strict",
    filename: str | None = None,
    sha256: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Validate and store a roster; strict refuses the whole upload on any row error.

    `dry_run` checks only (file and stored records) and returns every error in `rejected`.
    """
    authorize(actor, "attendance.upload", session)
    base = db.session.get(Base, session.base_id)
    if not base.is_active:  # a revoked or barred base issues no more certificates (第二十三条)
        raise BaseNotActive(
            f"基地当前状态为“{BASE_STATUSES[base.status]}”，不能上传学员名单、签发证书"
        )
    if local_today() < session.start_date:
        raise SessionNotStarted(
            f"培训班次“{session.title}”于 {session.start_date} 开始，开班后才能上传学员名单"
        )
    good, errors = validate_rows(raw_rows, session_hours=session.hours)
    result = ImportResult(session_id=session.id, received=len(raw_rows))

    store = app_keystore()
    hmac_key = store.secret("lookup-hmac")
    hashes = [lookup_hash(hmac_key, row.id_number) for row in good]
    people = _people_by_hash(sorted(set(hashes)))
    existing = _existing_records(session.id, sorted({people[h][0] for h in hashes if h in people}))

    fresh: list[tuple[RosterRow, str]] = []
    phones: dict[str, str] = {}  # digest -> mobile number of the accepted rows that give one
    for row, digest in zip(good, hashes, strict=True):
        known = people.get(digest)
        record = existing.get(known[0]) if known else None
        if record is None:
            fresh.append((row, digest))
        elif record.hours == row.hours and record.result == row.result:
            result.already_recorded += 1
        else:
            errors.append(
                field_error("conflicting_record", _conflict_message(row, record), row=row.row)
            )
            continue
        if row.phone:
            phones[digest] = row.phone
    errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
    result.rejected = errors
    if dry_run:
        return result
    if errors and mode == "strict":
        raise ValidationFailed(
            errors, detail=f"名单中有 {len(errors)} 处错误，整份名单未保存；请修正后重新上传"
        )

    now = utcnow()
    new_people = {d: row for row, d in fresh if d not in people}
    if new_people:
        cipher = FieldCipher(store.secret("field-encryption"))
        rows = [
            {
                "id_hash": digest,
                "id_encrypted": cipher.encrypt(row.id_number, context="id_number"),
                "id_masked": mask_id_number(row.id_number),
                "name": row.name,
                "created_at": now,
            }
            # Sorted: concurrent uploads then take the unique-index locks in the same order
            # (in file order, two rosters listing the same people differently deadlock).
            for digest, row in sorted(new_people.items())
        ]
        person = Person.__table__.c
        insert = insert_ignoring_conflicts(Person.__table__).returning(
            person.id, person.id_hash, person.name
        )
        for batch in chunked(rows):
            for pid, digest, name in db.session.execute(insert, list(batch)):
                people[digest] = (pid, name)
        # RETURNING leaves out the rows a concurrent upload stored first.
        missing = [digest for digest in new_people if digest not in people]
        if missing:
            people.update(_people_by_hash(missing))

    _store_phones(people, phones)

    upload = AttendanceUpload(
        session_id=session.id,
        actor_ref=actor.ref,
        actor_name=actor.name,
        mode=mode,
        filename=stored_filename(filename),
        sha256=sha256,
        received=result.received,
        recorded=0,
        already_recorded=0,
        rejected=len(errors),
        certificates_issued=0,
        created_at=now,
    )
    db.session.add(upload)
    db.session.flush()

    record_rows = []
    row_numbers: dict[int, int | None] = {}
    id_numbers: dict[int, str] = {}
    for row, digest in fresh:
        person_id, known_name = people[digest]
        row_numbers[person_id] = row.row
        id_numbers[person_id] = row.id_number
        differs = known_name != row.name
        if differs:
            result.warnings.append(
                {
                    "row": row.row,
                    "code": "name_differs",
                    "message": f"第{row.row}行：姓名“{row.name}”与该身份证号已登记的姓名不一致，已按上传内容记录",
                }
            )
        record_rows.append(
            {
                "session_id": session.id,
                "person_id": person_id,
                "upload_id": upload.id,
                "name": row.name,
                "employer": row.employer,
                "hours": row.hours,
                "result": row.result,
                "credited_hours": _credited(row),
                "name_differs": differs,
                "created_at": now,
            }
        )
    record = AttendanceRecord.__table__.c
    insert = insert_ignoring_conflicts(AttendanceRecord.__table__).returning(
        record.id, record.person_id, record.upload_id, record.hours, record.result
    )
    stored: dict[int, sa.Row] = {}
    # Inserted in person order, a fixed lock order as for people; the receipt keeps file order.
    for batch in chunked(sorted(record_rows, key=lambda r: r["person_id"])):
        for row in db.session.execute(insert, list(batch)):
            stored[row.person_id] = row
    inserted = set(stored)  # RETURNING gives exactly the rows this upload stored
    missing = [r["person_id"] for r in record_rows if r["person_id"] not in stored]
    if missing:
        # A concurrent upload stored these people's records first: identical or a conflict.
        stored.update(_existing_records(session.id, missing))
        _reconcile_concurrent(result, record_rows, stored, inserted, mode, row_numbers)
        result.rejected.sort(key=lambda e: (e["row"] is None, e["row"] or 0))

    by_person = {r["person_id"]: r for r in record_rows if r["person_id"] in inserted}
    result.recorded = len(by_person)
    issuable = [
        Issuable(
            record_id=stored[pid].id,
            person_id=pid,
            name=r["name"],
            # The stored mask is derived from the same normalised number: no query needed.
            id_masked=mask_id_number(id_numbers[pid]),
            hours=r["credited_hours"],
        )
        for pid, r in by_person.items()
        if r["result"] == "pass"
    ]
    result.certificates_issued = issue_certificates(session, base.name, issuable, now)

    upload.recorded, upload.already_recorded = result.recorded, result.already_recorded
    upload.rejected, upload.certificates_issued = len(result.rejected), result.certificates_issued
    result.upload_id = upload.id
    record_event(
        actor,
        "attendance.upload",
        "session",
        session.id,
        upload_id=upload.id,
        mode=mode,
        received=result.received,
        recorded=result.recorded,
        already_recorded=result.already_recorded,
        rejected=len(result.rejected),
        certificates_issued=result.certificates_issued,
    )
    db.session.flush()
    return result


def _store_phones(people: dict[str, tuple[int, str]], phones: dict[str, str]) -> None:
    """The roster's mobile numbers onto the people, encrypted: the latest upload wins."""
    if not phones:
        return
    cipher = phone_cipher()
    person = Person.__table__.c
    update = (
        sa.update(Person.__table__)
        .where(person.id == sa.bindparam("pid"))
        .values(phone_encrypted=sa.bindparam("enc"), phone_masked=sa.bindparam("masked"))
    )
    rows = []
    for digest, phone in sorted(phones.items(), key=lambda item: people[item[0]][0]):
        stored = phone_columns(phone, cipher)
        rows.append(
            {
                "pid": people[digest][0],
                "enc": stored["phone_encrypted"],
                "masked": stored["phone_masked"],
            }
        )
    for batch in chunked(rows):
        db.session.execute(update, list(batch))


def _reconcile_concurrent(
    result: ImportResult,
    record_rows: list[dict[str, Any]],
    stored: dict[int, sa.Row],
    inserted: set[int],
    mode: str,
    row_numbers: dict[int, int | None],
) -> None:
    """Rows a concurrent upload stored first: identical → already_recorded, else a conflict."""
    for row in record_rows:
        if row["person_id"] in inserted:
            continue
        other = stored[row["person_id"]]
        if other.hours == row["hours"] and other.result == row["result"]:
            result.already_recorded += 1
        else:
            number = row_numbers.get(row["person_id"])
            error = field_error(
                "conflicting_record",
                (row_prefix(number, row["name"]) if number else "")
                + "该学员已有本班次记录（同时上传的另一份名单），与本次上传不一致",
                row=number,
            )
            if mode == "strict":
                raise ValidationFailed(
                    [error], detail="名单与同时上传的另一份名单冲突，整份名单未保存"
                )
            result.rejected.append(error)


def list_records(session: TrainingSession) -> list[AttendanceRecord]:
    """A session's attendance records in upload order."""
    return list(
        db.session.scalars(
            sa.select(AttendanceRecord)
            .options(
                so.selectinload(AttendanceRecord.person),
                so.selectinload(AttendanceRecord.certificate),
            )
            .where(AttendanceRecord.session_id == session.id)
            .order_by(AttendanceRecord.id)
        )
    )
