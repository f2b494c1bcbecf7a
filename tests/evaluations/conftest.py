"""Evaluation fixtures: a small, hand-countable data set over 2023–2026."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from jxjd.auth import CLI
from jxjd.certificates.services import get_certificate, revoke_certificate
from jxjd.extensions import db
from jxjd.feedback.services import rate_session
from jxjd.rules.services import set_rules
from jxjd.spotchecks.services import draw_spot_check, record_outcome
from tests.feedback.conftest import issue
from tests.fixtures.attendance import trainee, trainees
from tests.fixtures.plans import item_payload

ROUND_YEAR = 2026  # data years 2024, 2025, 2026; bases recognized by 2023-12-31 are due


@dataclass
class DataSet:
    """The bases of the data set and the sessions of base A."""

    a: Any
    b: Any
    young: Any
    revoked: Any
    sessions: dict[str, Any] = field(default_factory=dict)


def _person_actor(row: dict[str, Any]):
    from jxjd.accounts.services import resolve_scope
    from jxjd.auth import Actor
    from jxjd.people.services import find_person

    resolve_scope("person", row["name"], id_number=row["id_number"])
    person = find_person(row["id_number"])
    return Actor(role="person", name=row["name"], ref="test", person_id=person.id)


@pytest.fixture
def data_set(create_base, create_base_in, create_filed_plan, create_session):
    """Four bases; only A (recognized 2022) and B (rectifying, 2021) are due for the 2026 round.

    Base A, by hand:
      2023 (outside the window): 1 session, 1 trainee, rated 1.
      2024: plan 4 sessions / 400 trainees; session s1 with 3 trainees (P1, P2 pass, P3 fail);
            P1 rates 5, P2 rates 4.
      2025: nothing, no plan.
      2026: plan 2 sessions / 100 trainees; s2 (P4, P5) and s3 (P5, P6); P6's certificate in s3
            revoked; spot check: s2 "issues", s3 pending; min_trainees for 2026 set to 3.
    """
    a = create_base(name="甲基地", recognized_on=date(2022, 6, 1))
    b = create_base_in("rectifying", name="乙基地", recognized_on=date(2021, 3, 1))
    young = create_base(name="丙基地", recognized_on=date(2024, 3, 1))
    revoked = create_base_in("revoked", name="丁基地", recognized_on=date(2020, 1, 1))
    ds = DataSet(a=a, b=b, young=young, revoked=revoked)

    plan23 = create_filed_plan(a, year=2023)
    s0 = create_session(a, plan23.items[0], start_date="2023-05-01", end_date="2023-05-03")
    (old,) = [trainee()]
    (serial0,) = issue(a, s0, [old])
    rate_session(_person_actor(old), get_certificate(serial0), rating=1, comment="")

    plan24 = create_filed_plan(a, year=2024, items=[item_payload(sessions=4, trainees=400)])
    s1 = create_session(a, plan24.items[0], start_date="2024-04-01", end_date="2024-04-03")
    p1, p2 = trainees(2)
    p3 = trainee(result="不合格")
    serial1, serial2, serial3 = issue(a, s1, [p1, p2, p3])
    assert serial3 is None
    rate_session(_person_actor(p1), get_certificate(serial1), rating=5, comment="很好")
    rate_session(_person_actor(p2), get_certificate(serial2), rating=4, comment="")

    plan26 = create_filed_plan(a, year=2026, items=[item_payload(sessions=2, trainees=100)])
    item = plan26.items[0]
    s2 = create_session(a, item, start_date="2026-03-01", end_date="2026-03-03")
    s3 = create_session(a, item, title="第二期", start_date="2026-06-01", end_date="2026-06-03")
    p4, p5, p6 = trainees(3)
    issue(a, s2, [p4, p5])
    _, serial6 = issue(a, s3, [p5, p6])
    revoke_certificate(CLI, get_certificate(serial6), reason="未实际参训")
    check = draw_spot_check(CLI, 2026, 10, seed="test")
    record_outcome(CLI, check, s2.id, "issues", "签到表不全")
    set_rules(CLI, 2026, {"min_trainees": 3})
    db.session.commit()
    ds.sessions = {"s0": s0, "s1": s1, "s2": s2, "s3": s3}
    return ds


@pytest.fixture
def open_round(client, admin_headers):
    """open_round(year=2026) → the POST /api/v1/evaluation-rounds response body (asserted 201)."""

    def make(year: int = ROUND_YEAR, **extra) -> dict:
        resp = client.post(
            "/api/v1/evaluation-rounds", json={"year": year, **extra}, headers=admin_headers
        )
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return make


SCORES = {"teachers": 80, "funds": 70, "facilities": 90, "rules": 85, "tasks": 60, "effect": 75}


@pytest.fixture
def scored(client, admin_headers):
    """scored(evaluation_id, evaluator="专家一", **items) → the scores response (asserted 201)."""

    def make(evaluation_id: int, evaluator: str = "专家一", **items) -> dict:
        resp = client.post(
            f"/api/v1/evaluations/{evaluation_id}/scores",
            json={"evaluator": evaluator, **SCORES, **items, "comment": "材料齐全"},
            headers=admin_headers,
        )
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return make
