"""Archive fixtures: earn hours through the real plan → session → roster → certificate path."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from tests.fixtures.plans import base_actor, general_item_payload, item_payload

ZHANG = ("430104199003070015", "张三")
LI = ("430104199003070023", "李四")


@pytest.fixture
def earn(create_base, create_filed_plan, create_session):
    """earn(person, end_date, category, hours, result="pass") → the certificate serial (or None).

    Each call is a new session ending on `end_date` (a date or "YYYY-MM-DD") at a shared base
    whose plan for that year is filed; `person` is an (id_number, name) pair.
    """
    state: dict = {"base": None, "plans": {}}

    def make(person, end_date, category: str, hours, result: str = "pass"):
        end = date.fromisoformat(end_date) if isinstance(end_date, str) else end_date
        if state["base"] is None:
            state["base"] = create_base()
        base = state["base"]
        if end.year not in state["plans"]:
            plan = create_filed_plan(
                base, year=end.year, items=[item_payload(), general_item_payload()]
            )
            state["plans"][end.year] = {i.category: i for i in plan.items}
        item = state["plans"][end.year][category]
        days = max(1, math.ceil(float(hours) / 8))
        start = max(date(end.year, 1, 1), end - timedelta(days=days - 1))
        session = create_session(
            base,
            item,
            title=f"{item.title}（{end.isoformat()}）",
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            hours=hours,
        )
        id_number, name = person
        row = {"name": name, "id_number": id_number, "hours": hours, "result": result}
        import_attendance(base_actor(base), session, rows_from_json([row]))
        db.session.commit()
        cert = db.session.scalar(db.select(Certificate).where(Certificate.session_id == session.id))
        return cert.serial if cert else None

    return make


@pytest.fixture
def person_headers(make_headers):
    """person_headers((id_number, name)) → bearer headers of that person."""

    def make(person=ZHANG):
        return make_headers("person", name=person[1], id_number=person[0])

    return make


@pytest.fixture
def rules_override(admin_headers, client):
    """rules_override(year, **values) → PUT /api/v1/rules/{year} as admin."""

    def put(year: int, **values):
        resp = client.put(f"/api/v1/rules/{year}", json=values, headers=admin_headers)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    return put
