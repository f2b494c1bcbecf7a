"""Feedback fixtures: a finished session whose trainees hold certificates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from jxjd.people.services import find_person
from tests.fixtures.attendance import trainees
from tests.fixtures.plans import base_actor


@dataclass
class Certified:
    """A session, its base, and each trainee's (row, certificate serial)."""

    base: Any
    session: Any
    people: list[tuple[dict[str, Any], str]]


def issue(base, session, rows: list[dict[str, Any]]) -> list[str | None]:
    """Upload a roster through the service; each row's certificate serial (None on a fail)."""
    import_attendance(base_actor(base), session, rows_from_json(rows))
    db.session.commit()
    serials = []
    for row in rows:
        person = find_person(row["id_number"])
        cert = db.session.scalar(
            sa.select(Certificate).where(
                Certificate.session_id == session.id, Certificate.person_id == person.id
            )
        )
        serials.append(cert.serial if cert else None)
    return serials


@pytest.fixture
def certified(open_session):
    """certified(count=3) → a Certified session (2026) with `count` passing trainees."""

    def make(count: int = 3, base=None) -> Certified:
        target = open_session(base=base)
        rows = trainees(count)
        serials = issue(target.base, target.session, rows)
        return Certified(target.base, target.session, list(zip(rows, serials, strict=True)))

    return make


@pytest.fixture
def person_headers(make_headers):
    """person_headers(row) → bearer headers for the trainee of a roster row."""

    def make(row: dict[str, Any]) -> dict[str, str]:
        return make_headers("person", name=row["name"], id_number=row["id_number"])

    return make
