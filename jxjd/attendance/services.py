"""Importing a roster after a class: check every row, store set-based, issue certificates.

One upload is one transaction, in steps of bounded cost (one query or one executemany per batch
of 2,000 rows, whatever the roster's size):

1. `check_roster`: rows against the file itself (importing.py) and against what is stored —
   known people, this session's records (identical → already recorded, different → conflict).
2. `store_roster`: people through people.services.ensure_people (the one way a person is made),
   their phone numbers, the upload's receipt row, the records, the certificates, the audit event.

Records go in with ids reserved up front and nothing read back (COPY on PostgreSQL, one
executemany elsewhere), in person order, skipping (session_id, person_id) conflicts: concurrent
uploads neither duplicate a record nor deadlock; rows a concurrent upload stored first are
reconciled (identical → already recorded, different → conflict).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from queue import SimpleQueue
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.access import authorize
from jxjd.attendance.importing import RawRow, Roster, RosterRow, row_prefix, validate_rows
from jxjd.attendance.models import AttendanceRecord, AttendanceUpload
from jxjd.attendance.overlap import lock_session_days, overlap_errors
from jxjd.attendance.tallies import tally_new_records
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.certificates.services import Issuable, Signer
from jxjd.common.db import begin_immediate_on_sqlite, bulk_insert, in_batches, reserve_ids
from jxjd.common.enums import BASE_STATUSES, RESULTS
from jxjd.common.ids import mask_id_number, normalize_id_number
from jxjd.common.memory import no_cycle_collection
from jxjd.common.paging import Page, page_of
from jxjd.common.text import SINGLE_LINE_BAD
from jxjd.common.time import local_today, utcnow
from jxjd.credentials.status import allocate_entries
from jxjd.errors import Problem, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import (
    NewPerson,
    PersonRef,
    ensure_people,
    id_hashes,
    people_by_hash,
    store_phones,
)
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

    def sort_rejected(self) -> None:
        """Rejected rows in file order, errors without a row last."""
        self.rejected.sort(key=lambda e: (e["row"] is None, e["row"] or 0))


@dataclass
class CheckedRoster:
    """A roster checked against the file and the register, before anything is stored."""

    result: ImportResult  # received, already_recorded and rejected filled in
    fresh: list[tuple[RosterRow, str]]  # rows to record, with their people's look-up hashes
    people: dict[str, PersonRef]  # the stored people among the roster's look-up hashes
    phones: dict[str, str]  # look-up hash → mobile number, for accepted rows that give one


@dataclass
class RecordRow:
    """One attendance record to insert, and what the receipt and the certificate need of it."""

    values: dict[str, Any]  # the attendance_records columns
    row: int | None  # the roster row (None for JSON)
    id_number: str

    @property
    def person_id(self) -> int:
        return self.values["person_id"]


# ---- the whole upload --------------------------------------------------------------------------


def import_attendance(
    actor: Actor,
    session: TrainingSession,
    raw_rows: list[RawRow],
    *,
    mode: str = "strict",
    filename: str | None = None,
    sha256: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate and store a roster; strict refuses the whole upload on any row error.

    `dry_run` checks only (file and stored records) and returns every error in `rejected`.
    """
    authorize(actor, "attendance.upload", session)
    base = check_upload_allowed(session)
    checked = check_roster(session, raw_rows)
    errors = checked.result.rejected
    if dry_run:
        return checked.result
    if errors and mode == "strict":
        raise ValidationFailed(
            errors, detail=f"名单中有 {len(errors)} 处错误，整份名单未保存；请修正后重新上传"
        )
    if progress is not None:
        progress(40)  # checked; storing and signing take the rest
    return store_roster(actor, session, base, checked, mode=mode, filename=filename, sha256=sha256)


def upload_roster(
    actor: Actor,
    session: TrainingSession,
    roster: Roster,
    *,
    mode: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Store an uploaded roster: the one write path of the API (file or JSON), the page, jobs."""
    begin_immediate_on_sqlite()  # SQLite: queue on the write lock now, not fail to upgrade later
    with no_cycle_collection():
        return import_attendance(
            actor,
            session,
            roster.rows,
            mode=mode,
            filename=roster.filename,
            sha256=roster.sha256,
            progress=progress,
        )


def check_upload_allowed(session: TrainingSession) -> Base:
    """The session's base, when it may still issue certificates and the session has started."""
    base = db.session.get_one(Base, session.base_id)
    if not base.is_active:  # a revoked or barred base issues no more certificates (第二十三条)
        raise BaseNotActive(
            f"基地当前状态为“{BASE_STATUSES[base.status]}”，不能上传学员名单、签发证书"
        )
    if local_today() < session.start_date:
        raise SessionNotStarted(
            f"培训班次“{session.title}”于 {session.start_date} 开始，开班后才能上传学员名单"
        )
    return base


# ---- 1. checking -------------------------------------------------------------------------------


def check_roster(session: TrainingSession, raw_rows: list[RawRow]) -> CheckedRoster:
    """Check every row against the file and the stored records; nothing is written."""
    good, errors = validate_rows(raw_rows, session_hours=session.hours)
    lock_session_days(session)  # overlap.py: before anything stored is read
    result = ImportResult(session_id=session.id, received=len(raw_rows))
    hashes = id_hashes(row.id_number for row in good)
    people = people_by_hash(hashes)
    existing = existing_records(session.id, [ref.id for ref in people.values()])
    checked = CheckedRoster(result, [], people, {})
    for row, digest in zip(good, hashes, strict=True):
        known = people.get(digest)
        record = existing.get(known.id) if known else None
        if record is None:
            checked.fresh.append((row, digest))
        elif _same_record(record, row.hours, row.result):
            result.already_recorded += 1
        else:
            errors.append(
                field_error("conflicting_record", _conflict_message(row, record), row=row.row)
            )
            continue
        if row.phone:
            checked.phones[digest] = row.phone
    _drop_overlapping(session, checked, errors)
    result.rejected = errors
    result.sort_rejected()
    return checked


def _drop_overlapping(session: TrainingSession, checked: CheckedRoster, errors: list) -> None:
    """Fresh rows that would pass a daily cap become overlapping_attendance errors (overlap.py)."""
    known = [(row, d) for row, d in checked.fresh if d in checked.people]
    overlapping = overlap_errors(session, [(row, checked.people[d].id) for row, d in known])
    if not overlapping:
        return
    errors.extend(overlapping.values())
    dropped = {known[index][1] for index in overlapping}
    checked.fresh = [(row, d) for row, d in checked.fresh if d not in dropped]
    checked.phones = {d: phone for d, phone in checked.phones.items() if d not in dropped}


def existing_records(session_id: int, person_ids: Sequence[int]) -> dict[int, sa.Row]:
    """person_id -> (id, person_id, upload_id, hours, result) of this session's stored records.

    Plain rows, not ORM objects: loading 10,000 records into the identity map costs more than
    the rest of the comparison.
    """
    record = AttendanceRecord.__table__.c
    found: dict[int, sa.Row] = {}
    for wanted in in_batches(record.person_id, sorted(person_ids)):
        for row in db.session.execute(
            sa.select(
                record.id, record.person_id, record.upload_id, record.hours, record.result
            ).where(record.session_id == session_id, wanted)
        ):
            found[row.person_id] = row
    return found


def _same_record(stored: sa.Row, hours: Decimal, result: str) -> bool:
    return stored.hours == hours and stored.result == result


def _conflict_message(row: RosterRow, existing: sa.Row) -> str:
    where = row_prefix(row.row, row.name) if row.row else ""
    return (
        f"{where}该学员已有本班次记录（{existing.hours.normalize():f}学时，"
        f"{RESULTS.get(existing.result, existing.result)}），与本次上传不一致；如需更正请联系省人社厅"
    )


# ---- 2. storing --------------------------------------------------------------------------------


def store_roster(
    actor: Actor,
    session: TrainingSession,
    base: Base,
    checked: CheckedRoster,
    *,
    mode: str,
    filename: str | None = None,
    sha256: str | None = None,
) -> ImportResult:
    """Store a checked roster: people, phones, the receipt, records, certificates, the event."""
    result, now = checked.result, utcnow()
    people = ensure_people(
        {digest: NewPerson(row.id_number, row.name) for row, digest in checked.fresh},
        known=checked.people,
    )
    people = {**checked.people, **people}
    store_phones({people[digest].id: phone for digest, phone in checked.phones.items()})
    upload = open_upload(actor, session, result, mode, filename, sha256, now)
    records = record_rows(session, upload, checked.fresh, people, result, now)
    number_records(records)
    # The certificates are signed in another thread while the records are stored: signing
    # needs only the rows and their reserved ids, and the inserts mostly wait for the database.
    with Signing(session, base, records, now) as signing:
        inserted = store_records(session, records, result, mode)
        result.certificates_issued = signing.store(inserted)
    result.recorded = len(inserted)
    close_upload(actor, session, upload, result, mode)
    return result


def open_upload(
    actor: Actor,
    session: TrainingSession,
    result: ImportResult,
    mode: str,
    filename: str | None,
    sha256: str | None,
    now: datetime,
) -> AttendanceUpload:
    """The upload's receipt row (its counts are filled in by close_upload)."""
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
        rejected=len(result.rejected),
        certificates_issued=0,
        created_at=now,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def record_rows(
    session: TrainingSession,
    upload: AttendanceUpload,
    fresh: list[tuple[RosterRow, str]],
    people: dict[str, PersonRef],
    result: ImportResult,
    now: datetime,
) -> list[RecordRow]:
    """The records to insert, in file order; a name unlike the registered one is a warning."""
    records = []
    for row, digest in fresh:
        person = people[digest]
        differs = person.name != row.name
        if differs:
            result.warnings.append(
                {
                    "row": row.row,
                    "code": "name_differs",
                    "message": f"第{row.row}行：姓名“{row.name}”与该身份证号已登记的姓名不一致，已按上传内容记录",
                }
            )
        values = {
            "session_id": session.id,
            "person_id": person.id,
            "upload_id": upload.id,
            "name": row.name,
            "employer": row.employer,
            "hours": row.hours,
            "result": row.result,
            "credited_hours": row.hours if row.result == "pass" else Decimal(0),
            "name_differs": differs,
            "created_at": now,
        }
        records.append(RecordRow(values, row.row, row.id_number))
    return records


def number_records(records: list[RecordRow]) -> None:
    """Give the records their ids, reserved up front (the insert reads nothing back), in person
    order: the insert's order, a fixed lock order as for people."""
    ordered = sorted(records, key=lambda record: record.person_id)
    ids = reserve_ids(AttendanceRecord.__table__, len(ordered))
    for record, record_id in zip(ordered, ids, strict=True):
        record.values["id"] = record_id


def store_records(
    session: TrainingSession, records: list[RecordRow], result: ImportResult, mode: str
) -> dict[int, int]:
    """Insert the numbered records; person_id → record id of those this upload stored.

    Records a concurrent upload stored first are skipped by the insert and reconciled here.
    """
    table = AttendanceRecord.__table__
    # In person order (the receipt keeps file order).
    ordered = sorted(records, key=lambda record: record.person_id)
    stored = bulk_insert(
        table, [record.values for record in ordered], conflict_target=["session_id", "person_id"]
    )
    inserted = {record.person_id: record.values["id"] for record in records}
    if stored < len(records):  # a concurrent upload stored some of these people first
        mine = existing_records(session.id, list(inserted))
        inserted = {
            pid: rid for pid, rid in inserted.items() if pid in mine and mine[pid].id == rid
        }
    tally_new_records(
        session.base_id,
        session.year,
        ((r.person_id, r.values["credited_hours"]) for r in ordered if r.person_id in inserted),
    )
    raced = [record for record in records if record.person_id not in inserted]
    if raced:
        _reconcile_concurrent(session, raced, result, mode)
    return inserted


def _reconcile_concurrent(
    session: TrainingSession, raced: list[RecordRow], result: ImportResult, mode: str
) -> None:
    """Rows a concurrent upload stored first: identical → already_recorded, else a conflict."""
    stored = existing_records(session.id, [record.person_id for record in raced])
    for record in raced:
        values = record.values
        if _same_record(stored[record.person_id], values["hours"], values["result"]):
            result.already_recorded += 1
            continue
        error = field_error(
            "conflicting_record",
            (row_prefix(record.row, values["name"]) if record.row else "")
            + "该学员已有本班次记录（同时上传的另一份名单），与本次上传不一致",
            row=record.row,
        )
        if mode == "strict":
            raise ValidationFailed([error], detail="名单与同时上传的另一份名单冲突，整份名单未保存")
        result.rejected.append(error)
    result.sort_rejected()


class Signing:
    """The certificates of an upload's passing records, signed in a thread of their own.

    Started with the numbered records, before they are stored; `store(inserted)` stores the
    certificates of the records the upload did store as the thread signs them (one COPY that
    takes each chunk as it comes; a record a concurrent upload stored first gets none: its
    signature is dropped, its reserved id unused), then their status list entries. Leaving the
    block without storing still waits for the thread.
    """

    def __init__(
        self, session: TrainingSession, base: Base, records: list[RecordRow], now: datetime
    ) -> None:
        self.items = [
            Issuable(
                record_id=record.values["id"],
                person_id=record.person_id,
                name=record.values["name"],
                # The stored mask is derived from the same normalised number: no query needed.
                id_masked=mask_id_number(record.id_number),
                hours=record.values["credited_hours"],
            )
            for record in records
            if record.values["result"] == "pass"
        ]
        self.ids = reserve_ids(Certificate.__table__, len(self.items))
        signer = Signer.for_session(session, base.name, now)
        self._signed: SimpleQueue[list[dict[str, Any]] | BaseException | None] = SimpleQueue()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jxjd-sign")
        self._pool.submit(self._sign, signer)

    def _sign(self, signer: Signer) -> None:
        """The thread: each signed chunk into the queue, then None (or what went wrong)."""
        try:
            for chunk in signer.chunks(self.ids, self.items):
                self._signed.put(chunk)
        except BaseException as exc:  # handed to the request's thread, which raises it
            self._signed.put(exc)
            return
        self._signed.put(None)

    def _chunks(self) -> Iterator[list[dict[str, Any]]]:
        while (chunk := self._signed.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk

    def __enter__(self) -> Signing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)

    def store(self, inserted: dict[int, int]) -> int:
        """Store the certificates of the records stored (person_id → record id); the count."""
        stored = set(inserted.values())
        count = bulk_insert(
            Certificate.__table__,
            (row for chunk in self._chunks() for row in chunk if row["record_id"] in stored),
        )
        # Every certificate gets its status list entry in the issuing transaction, so its bit
        # exists (0) from the start and revocation only has to set it (CONTRACT §13).
        allocate_entries(
            [
                cid
                for cid, item in zip(self.ids, self.items, strict=True)
                if item.record_id in stored
            ],
            new=True,
        )
        return count


def issue_for_records(
    session: TrainingSession,
    base: Base,
    records: list[RecordRow],
    inserted: dict[int, int],
    now: datetime,
) -> int:
    """One signed certificate per passing record stored (numbered records, already inserted:
    the scale benchmark's bulk builder); the count."""
    with Signing(session, base, records, now) as signing:
        return signing.store(inserted)


def close_upload(
    actor: Actor,
    session: TrainingSession,
    upload: AttendanceUpload,
    result: ImportResult,
    mode: str,
) -> None:
    """Fill in the receipt's counts and log the upload in the audit trail."""
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


def _search(query: sa.Select, text: str) -> sa.Select:
    """Records whose name or employer contains `text`, or whose ID number or serial it is."""
    text = text.strip()
    matches = [
        AttendanceRecord.name.contains(text, autoescape=True),
        AttendanceRecord.employer.contains(text, autoescape=True),
        AttendanceRecord.id.in_(
            sa.select(Certificate.record_id).where(
                # Old serials as typed; new (Crockford) ones in any case, hyphens ignored.
                sa.or_(
                    Certificate.serial == text,
                    sa.func.upper(Certificate.serial)
                    == text.replace("-", "").replace(" ", "").upper(),
                )
            )
        ),
    ]
    number = normalize_id_number(text)
    if len(number) == 18:
        digest = id_hashes([number])[0]
        matches.append(
            AttendanceRecord.person_id.in_(sa.select(Person.id).where(Person.id_hash == digest))
        )
    return query.where(sa.or_(*matches))


def list_records(
    session: TrainingSession, page: Page | None = None, search: str | None = None
) -> list[AttendanceRecord]:
    """A session's attendance records in upload order (one page of them, if given), optionally
    those matching `search` (name, employer, ID number or certificate serial)."""
    query = (
        sa.select(AttendanceRecord)
        .options(
            so.selectinload(AttendanceRecord.person),
            so.selectinload(AttendanceRecord.certificate),
        )
        .where(AttendanceRecord.session_id == session.id)
        .order_by(AttendanceRecord.id)
    )
    if search and search.strip():
        query = _search(query, search)
    return list(db.session.scalars(page_of(query, page)))
