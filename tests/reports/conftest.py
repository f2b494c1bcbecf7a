"""A small hand-computed data set for the report tests.

Base A (湖南省教育厅), filed 2027 plan: item 1 (专业, 2 sessions, 100 trainees planned) and
item 2 (公需, 1 session, 50 trainees planned).
  s1 item 1, 24 h: P1 pass 24 · P2 pass 24 but certificate revoked · P3 fail (0)
  s2 item 1, 12 h: P4 pass 1.1
  s3 item 2,  6 h: P1 pass 6 · P5 pass 2.2
  s4 (2028, not counted for 2027): P6 pass 8
  → 2027: sessions 3, trainees 5 (P1 twice), person_times 6, trainee_hours 24+1.1+6+2.2 = 33.3
    item 1: 2 sessions, 4 trainees; item 2: 1 session, 2 trainees.
Base B (湖南省住房和城乡建设厅), filed 2027 plan:
  s5 公需, 6 h: P1 pass 6 · P6 pass 6
  → sessions 1, trainees 2, person_times 2, trainee_hours 12.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest

from jxjd.attendance.models import AttendanceRecord
from jxjd.attendance.tallies import rebuild_tallies
from jxjd.certificates.models import Certificate
from jxjd.common.ids import id_check_char
from jxjd.common.time import utcnow
from jxjd.extensions import db
from jxjd.people.services import ensure_person
from tests.fixtures.plans import general_item_payload, item_payload

_serials = itertools.count(1)


def id_number(n: int) -> str:
    """A valid GB 11643 number for test person n."""
    first17 = f"43010419900307{n:03d}"
    return first17 + id_check_char(first17)


def attend(session, person, hours, result="pass", *, revoked=False) -> AttendanceRecord:
    """An attendance record (and, on a pass, a certificate), inserted directly (no tallies)."""
    hours = Decimal(str(hours))
    record = AttendanceRecord(
        session_id=session.id,
        person_id=person.id,
        name=person.name,
        employer="长沙某某公司",
        hours=hours,
        result=result,
        credited_hours=hours if result == "pass" else Decimal(0),
        counted=not revoked,
        created_at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    if result == "pass":
        now = utcnow()
        db.session.add(
            Certificate(
                serial=f"TEST{next(_serials):08d}",
                record_id=record.id,
                person_id=person.id,
                session_id=session.id,
                alg="EdDSA",
                kid="test",
                token="x.y.z",
                payload={},
                issued_at=now,
                revoked_at=now if revoked else None,
                revoked_reason="测试撤销" if revoked else None,
            )
        )
        db.session.flush()
    return record


@dataclass
class ReportData:
    base_a: object
    base_b: object
    item1: object
    item2: object
    sessions: dict


@pytest.fixture
def report_data(create_base, create_filed_plan, create_session) -> ReportData:
    """The data set described at the top of this file, committed."""
    base_a = create_base(name="甲基地")
    base_b = create_base(name="乙基地", department="湖南省住房和城乡建设厅")
    plan_a = create_filed_plan(
        base_a,
        items=[
            item_payload(sessions=2, trainees=100),
            general_item_payload(sessions=1, trainees=50),
        ],
    )
    plan_a28 = create_filed_plan(base_a, year=2028)
    plan_b = create_filed_plan(base_b, items=[general_item_payload(sessions=3, trainees=80)])
    item1, item2 = plan_a.items
    s1 = create_session(base_a, item1, hours=24)
    s2 = create_session(base_a, item1, hours=12, start_date="2027-04-01", end_date="2027-04-02")
    s3 = create_session(base_a, item2, hours=6, start_date="2027-05-10", end_date="2027-05-10")
    s4 = create_session(base_a, plan_a28.items[0], hours=8, end_date="2028-03-01")
    s5 = create_session(base_b, plan_b.items[0], hours=6, end_date="2027-03-01")
    people = {n: ensure_person(id_number(n), f"学员{n}") for n in range(1, 7)}
    attend(s1, people[1], 24)
    attend(s1, people[2], 24, revoked=True)
    attend(s1, people[3], 24, result="fail")
    attend(s2, people[4], 1.1)
    attend(s3, people[1], 6)
    attend(s3, people[5], 2.2)
    attend(s4, people[6], 8)
    attend(s5, people[1], 6)
    attend(s5, people[6], 6)
    rebuild_tallies()  # inserted directly, like a bulk load: the tallies are recomputed after
    db.session.commit()
    return ReportData(
        base_a, base_b, item1, item2, {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "s5": s5}
    )
