"""The store path reads nothing back: ids reserved up front, no RETURNING, no id collisions."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from jxjd.people.models import Person
from tests.fixtures.attendance import count_rows, trainees
from tests.fixtures.plans import base_actor


def _statements() -> tuple[list[str], object]:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    return seen, listen


def test_an_upload_inserts_people_records_and_certificates_without_returning(open_session):
    target = open_session()
    seen, listen = _statements()
    try:
        result = import_attendance(
            base_actor(target.base), target.session, rows_from_json(trainees(7))
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert (result.recorded, result.certificates_issued) == (7, 7)
    bulk = [
        s
        for s in seen
        if any(f"INSERT INTO {t}" in s for t in ("people", "attendance_records", "certificates"))
    ]
    assert not [s for s in bulk if "RETURNING" in s.upper()]
    records = db.session.execute(
        sa.text(
            "SELECT r.id, r.person_id, c.record_id, c.person_id AS cert_person "
            "FROM attendance_records r JOIN certificates c ON c.record_id = r.id"
        )
    ).all()
    assert len(records) == 7 and all(r.person_id == r.cert_person for r in records)


def test_reserved_ids_follow_rows_stored_by_the_ordinary_path(open_session):
    """Ids reserved up front never collide with rows inserted through the ORM's own ids."""
    target = open_session()
    actor = base_actor(target.base)
    import_attendance(actor, target.session, rows_from_json(trainees(3)))
    db.session.add(
        Person(
            id_hash="f" * 64,
            id_encrypted=b"x",
            id_masked="430102********0011",
            name="手工",
            created_at=db.session.scalar(sa.select(sa.func.max(Person.created_at))),
        )
    )
    db.session.flush()
    other = open_session()
    result = import_attendance(base_actor(other.base), other.session, rows_from_json(trainees(4)))
    assert result.recorded == 4
    assert count_rows("people", "certificates") == {"people": 8, "certificates": 7}
    payloads = db.session.scalars(sa.select(Certificate.payload)).all()
    assert all(isinstance(p, dict) and p["sn"] for p in payloads)


def test_a_column_left_out_takes_its_default_on_every_database(open_session):
    """bulk_insert fills in a scalar Python-side default the rows leave out (COPY or not)."""
    from decimal import Decimal

    from jxjd.attendance.models import AttendanceRecord
    from jxjd.common.db import bulk_insert, reserve_ids

    target = open_session()
    table = AttendanceRecord.__table__
    [row] = _record_rows(target, _people(1), reserve_ids(table, 1))
    del row["name_differs"]  # its default (False) applies
    assert bulk_insert(table, [row], conflict_target=["session_id", "person_id"]) == 1
    assert bulk_insert(table, [row], conflict_target=["session_id", "person_id"]) == 0
    stored = db.session.get(AttendanceRecord, row["id"])
    assert stored.name_differs is False and stored.hours == Decimal(24)


def test_add_on_conflict_sums_into_the_stored_row_on_every_database(open_session):
    """bulk_insert(add_on_conflict=...) inserts new keys and adds to the taken ones (tallies)."""
    from decimal import Decimal

    from jxjd.attendance.models import BasePersonYearTally
    from jxjd.common.db import bulk_insert
    from jxjd.people.services import NewPerson, ensure_people, id_hashes
    from tests.fixtures.attendance import new_id_number

    target = open_session()
    numbers = [new_id_number() for _ in range(2)]
    hashes = id_hashes(numbers)
    people = ensure_people({d: NewPerson(n, "王伟") for d, n in zip(hashes, numbers, strict=True)})
    first, second = (people[d].id for d in hashes)
    table = BasePersonYearTally.__table__
    keys = {"base_id": target.base.id, "year": 2031}

    def tally(person_id: int, times: int, hours: str) -> dict:
        return {
            **keys,
            "person_id": person_id,
            "person_times": times,
            "counted_hours": Decimal(hours),
        }

    sums = {"conflict_target": ["base_id", "year", "person_id"]}
    sums["add_on_conflict"] = ["person_times", "counted_hours"]
    assert bulk_insert(table, [tally(first, 1, "24")], **sums) == 1
    # The count is of the new rows: `first` is added to, `second` is new.
    assert bulk_insert(table, [tally(first, 2, "12.5"), tally(second, 1, "8")], **sums) == 1
    assert bulk_insert(table, [tally(first, 1, "1"), tally(second, 1, "1")], **sums) == 0
    stored = db.session.execute(
        sa.select(table.c.person_id, table.c.person_times, table.c.counted_hours).where(
            table.c.base_id == target.base.id, table.c.year == 2031
        )
    ).all()
    assert {r.person_id: (r.person_times, r.counted_hours) for r in stored} == {
        first: (4, Decimal("37.5")),
        second: (2, Decimal(9)),
    }


def _record_rows(target, people: list, ids: list[int], hours: int = 24) -> list[dict]:
    from datetime import UTC, datetime
    from decimal import Decimal

    return [
        {
            "id": record_id,
            "session_id": target.id,
            "person_id": person.id,
            "upload_id": None,
            "name": "王伟",
            "employer": None,
            "hours": Decimal(hours),
            "result": "pass",
            "credited_hours": Decimal(hours),
            "name_differs": False,
            "created_at": datetime.now(UTC),
        }
        for person, record_id in zip(people, ids, strict=True)
    ]


def _people(count: int) -> list:
    from jxjd.people.services import NewPerson, ensure_people, id_hashes
    from tests.fixtures.attendance import new_id_number

    numbers = [new_id_number() for _ in range(count)]
    hashes = id_hashes(numbers)
    made = ensure_people({d: NewPerson(n, "王伟") for d, n in zip(hashes, numbers, strict=True)})
    return [made[d] for d in hashes]


def test_a_taken_row_sends_the_insert_the_slow_way_and_nothing_else_changes(open_session):
    """Rows go straight in (COPY on PostgreSQL); a taken one sends them all through the staging
    table instead, which skips it: the count says so and the transaction carries on."""
    from jxjd.attendance.models import AttendanceRecord
    from jxjd.common.db import bulk_insert, reserve_ids

    target = open_session()
    table = AttendanceRecord.__table__
    people = _people(4)
    first = _record_rows(target, people[:2], reserve_ids(table, 2))
    assert bulk_insert(table, first, conflict_target=["session_id", "person_id"]) == 2
    # people[1]'s record is taken (another upload's); the other two are new.
    later = _record_rows(target, people[1:], reserve_ids(table, 3), hours=8)
    assert bulk_insert(table, later, conflict_target=["session_id", "person_id"]) == 2
    stored = db.session.execute(
        sa.select(table.c.person_id, table.c.hours).where(table.c.session_id == target.id)
    ).all()
    assert {r.person_id: int(r.hours) for r in stored} == {
        people[0].id: 24,
        people[1].id: 24,  # the row stored first stands
        people[2].id: 8,
        people[3].id: 8,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 4


def test_rows_without_a_conflict_target_may_come_as_a_stream(open_session):
    """bulk_insert stores rows as a generator yields them (the certificates of an upload,
    while they are still being signed), and counts them; an empty stream stores nothing."""
    from jxjd.attendance.models import AttendanceRecord
    from jxjd.common.db import CHUNK, bulk_insert, reserve_ids

    target = open_session()
    table = AttendanceRecord.__table__
    people = _people(3)
    rows = _record_rows(target, people, reserve_ids(table, 3))
    handed: list[int] = []

    def stream():
        for row in rows:
            handed.append(row["id"])
            yield row

    assert bulk_insert(table, stream()) == 3
    assert handed == [row["id"] for row in rows]
    assert bulk_insert(table, iter(())) == 0
    stored = db.session.scalars(sa.select(table.c.id).where(table.c.session_id == target.id))
    assert sorted(stored) == sorted(handed)
    assert CHUNK > 3  # (a stream longer than a batch goes in batch by batch on SQLite)


def test_reserved_ids_are_distinct_and_new(open_session):
    from jxjd.common.db import reserve_ids

    open_session()
    table = Certificate.__table__
    first, second = reserve_ids(table, 500), reserve_ids(table, 3)
    assert len(set(first)) == 500 and first == sorted(first)
    if db.engine.dialect.name == "postgresql":  # taken from the sequence: never handed out twice
        assert not set(first) & set(second)
    else:  # SQLite: after the largest stored id (the upload holds the write lock meanwhile)
        assert second == first[:3]
    assert reserve_ids(table, 0) == []


def test_a_signing_failure_midway_reaches_the_upload_and_stores_nothing(open_session, monkeypatch):
    """The signing thread hands its error over: the upload raises it (no hang, no half list)."""
    import pytest

    from jxjd.certificates.services import Signer

    real = Signer.chunks

    def fail_after_one(self, ids, items, size=500):
        chunks = real(self, ids, items, size=2)
        yield next(chunks)
        raise RuntimeError("the key went away")

    monkeypatch.setattr(Signer, "chunks", fail_after_one)
    target = open_session()
    before = count_rows("people", "attendance_records", "certificates")
    with pytest.raises(RuntimeError, match="the key went away"):
        import_attendance(base_actor(target.base), target.session, rows_from_json(trainees(5)))
    db.session.rollback()
    assert count_rows("people", "attendance_records", "certificates") == before
