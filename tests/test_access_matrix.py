"""Who may do what: the whole permission matrix, in one table (jxjd/access.py is the policy).

Each line names an action, the object it is tried on, and every role that may do it; every
other role may not. The objects belong to a small world: the department 湖南省教育厅 with two
bases (its own base for the `base` caller, and another), a base of another department, their
plans, sessions, certificates, change filings and evaluations; a person trained at its own base
(the `person` caller) and one trained only elsewhere; three applications (its own unit's for
the `applicant` caller, another unit's of the same department, one of another department);
share codes open to anyone, bound to the `employer` caller's unit, or bound to another unit.
A line with "—" is the action as such, on no particular object (what a role may ever do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from jxjd import access
from jxjd.archive.services import create_grant
from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.auth import CLI, Actor
from jxjd.bases.changes import file_base_change
from jxjd.certificates.models import Certificate
from jxjd.common.time import utcnow
from jxjd.credits.models import Credit
from jxjd.credits.services import CreditInput, create_credit
from jxjd.evaluations.models import Evaluation, EvaluationRound
from jxjd.extensions import db
from jxjd.jobs.services import JobState
from jxjd.people.services import find_person
from jxjd.transcripts.services import issue as issue_transcript
from tests.fixtures.attendance import trainee
from tests.fixtures.bases import new_credit_code
from tests.fixtures.plans import base_actor

ROLES = ("admin", "dept", "base", "person", "employer", "applicant", "public")
EVERYONE = " ".join(ROLES)
SIGNED_IN = " ".join(ROLES[:-1])

MATRIX = f"""
base.create                 | —                                   | admin
base.read                   | own base                            | admin dept base
base.read                   | department's other base             | admin dept
base.read                   | other department's base             | admin
base.status                 | own base                            | admin
base.specialties            | own base                            | admin
base.desk                   | —                                   | base
base_change.file            | own base                            | admin base
base_change.file            | department's other base             | admin
base_change.file            | other department's base             | admin
base_change.read            | own base's change                   | admin dept base
base_change.read            | department's other base's change    | admin dept
base_change.read            | other department's change           | admin
base_change.desk            | own base's change                   | admin dept
base_change.desk            | other department's change           | admin
base_change.decide          | own base's change                   | admin
plan.create                 | own base                            | admin base
plan.create                 | department's other base             | admin
plan.read                   | own base's plan                     | admin dept base
plan.read                   | department's other base's plan      | admin dept
plan.read                   | other department's plan             | admin
plan.update                 | own base's plan                     | admin base
plan.update                 | department's other base's plan      | admin
plan.delete                 | own base's plan                     | admin base
plan.delete                 | department's other base's plan      | admin
plan.submit                 | own base's plan                     | base
plan.submit                 | department's other base's plan      |
plan.review                 | own base's plan                     | admin dept
plan.review                 | other department's plan             | admin
plan.file                   | own base's plan                     | admin
session.create              | own base                            | admin base
session.create              | other department's base             | admin
session.read                | own base's session                  | admin dept base
session.read                | department's other base's session   | admin dept
session.read                | other department's session          | admin
attendance.upload           | own base's session                  | admin base
attendance.upload           | department's other base's session   | admin
session.print               | own base's session                  | admin base
session.print               | department's other base's session   | admin
certificate.read            | own certificate                     | admin dept base person
certificate.read            | another person's, at own base       | admin dept base
certificate.read            | certificate of another department   | admin
certificate.revoke          | own certificate                     | admin base
certificate.revoke          | certificate of another department   | admin
certificate.correct         | own certificate                     | admin base
certificate.correct         | certificate of another department   | admin
certificate.revoke_session  | own base's session                  | admin
certificate.verify          | —                                   | {EVERYONE}
feedback.rate               | own certificate                     | person
feedback.rate               | another person's, at own base       |
archive.own                 | own person                          | person
archive.own                 | person trained elsewhere            |
archive.query               | own person                          | admin dept
archive.query               | person trained elsewhere            | admin
grant.manage                | own person                          | person
grant.manage                | open grant                          | person
grant.manage                | another person's grant              |
grant.lookup                | open grant                          | admin employer public
grant.lookup                | grant bound to its unit             | employer
grant.lookup                | grant bound to another unit         |
grant.transcript            | open grant                          | admin employer public
grant.transcript            | grant bound to its unit             | employer
grant.transcript            | grant bound to another unit         |
transcript.issue            | own person                          | person
transcript.issue            | person trained elsewhere            |
transcript.read             | own transcript                      | person
transcript.read             | another person's transcript         |
application.desk            | —                                   | admin dept base applicant
application.create          | own unit's credit code              | applicant
application.create          | another unit's credit code          |
application.read            | own application                     | admin dept applicant
application.read            | department's other application      | admin dept
application.read            | other department's application      | admin
application.edit            | own application                     | applicant
application.edit            | department's other application      |
application.recommend       | own application                     | dept
application.recommend       | other department's application      |
application.decide          | own application                     | admin
directory.read              | —                                   | {EVERYONE}
evaluation.open             | —                                   | admin
evaluation.round            | own base's evaluation               | admin dept
evaluation.round            | other department's evaluation       | admin
evaluation.read             | own base's evaluation               | admin dept base
evaluation.read             | department's other base's evaluation | admin dept
evaluation.read             | other department's evaluation       | admin
evaluation.score            | own base's evaluation               | admin dept
evaluation.score            | other department's evaluation       | admin
evaluation.decide           | own base's evaluation               | admin
evaluation.desk             | —                                   | admin
spot_check.manage           | —                                   | admin
department.read             | —                                   | {EVERYONE}
department.manage           | —                                   | admin
department.reassign         | own base                            | admin
department.reassign         | own application                     | admin
department.history          | —                                   | admin dept
console.dashboard           | —                                   | admin
report.province             | —                                   | admin dept
rules.read                  | —                                   | {SIGNED_IN}
rules.write                 | —                                   | admin
credit.create               | own person                          | admin dept person
credit.create               | employer's staff                    | admin dept employer
credit.create               | person trained elsewhere            | admin
credit.claim                | own person                          | person
credit.claim                | person trained elsewhere            |
credit.read                 | own credit                          | admin dept employer person
credit.read                 | credit of a person trained elsewhere | admin
credit.decide               | own credit                          | admin dept
credit.decide               | credit of a person trained elsewhere | admin
credit.desk                 | —                                   | admin dept employer
credit.turnaround           | own credit                          | admin dept
credit.turnaround           | credit of a person trained elsewhere | admin
token.manage                | —                                   | admin
account.manage              | —                                   | admin
activation.create           | own person                          | admin dept
activation.create           | person trained elsewhere            | admin
account.password            | —                                   | {SIGNED_IN}
account.sign_in             | —                                   | {EVERYONE}
account.register            | —                                   | {EVERYONE}
metrics.read                | —                                   | admin
meta.read                   | —                                   | {EVERYONE}
meta.api_link               | —                                   | admin dept base
job.read                    | —                                   | {SIGNED_IN}
job.read                    | job the base started                | admin base
job.read                    | job the person started              | admin person
"""


def _lines() -> list[tuple[str, str, frozenset[str]]]:
    lines = []
    for line in MATRIX.strip().splitlines():
        action, target, roles = (part.strip() for part in line.split("|"))
        lines.append((action, target, frozenset(roles.split())))
    return lines


LINES = _lines()
DEPARTMENT = "湖南省教育厅"
OTHER_DEPARTMENT = "湖南省住房和城乡建设厅"


@dataclass
class World:
    """The callers (public: None) and the objects the matrix names."""

    actors: dict[str, Actor | None]
    objects: dict[str, Any]


def _certificate(base, session, row) -> Certificate:
    import_attendance(base_actor(base), session, rows_from_json([row]))
    person = find_person(row["id_number"])
    return db.session.scalar(
        db.select(Certificate).where(
            Certificate.session_id == session.id, Certificate.person_id == person.id
        )
    )


def _evaluation(round_: EvaluationRound, base) -> Evaluation:
    evaluation = Evaluation(
        round_id=round_.id,
        base_id=base.id,
        status="open",
        figures={},
        history=[],
        created_at=utcnow(),
    )
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


def _credit(row, **columns) -> Credit:
    data = CreditInput(
        id_number=row["id_number"],
        name=row["name"],
        year=2026,
        form="paper",
        title="论文",
        provider="某期刊",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 1),
        quantity=Decimal(1),
    )
    credit = create_credit(CLI, data)
    for key, value in columns.items():
        setattr(credit, key, value)
    db.session.flush()
    return credit


@pytest.fixture
def world(create_base, open_session, create_application) -> World:
    own = create_base(department=DEPARTMENT)
    sibling = create_base(department=DEPARTMENT)
    foreign = create_base(department=OTHER_DEPARTMENT)
    sessions = {b.id: open_session(base=b).session for b in (own, sibling, foreign)}
    plans = {b.id: sessions[b.id].plan_item.plan for b in (own, sibling, foreign)}
    me, other, elsewhere = trainee(), trainee(), trainee()
    staff = trainee(employer="用人单位")
    own_cert = _certificate(own, sessions[own.id], me)
    others_cert = _certificate(own, sessions[own.id], other)
    _certificate(own, sessions[own.id], staff)
    foreign_cert = _certificate(foreign, sessions[foreign.id], elsewhere)
    person = find_person(me["id_number"])
    stranger = find_person(elsewhere["id_number"])
    employer_code, other_code = new_credit_code(), new_credit_code()
    person_actor = Actor(role="person", name="本人", ref="test", person_id=person.id)
    grants = {
        "open grant": create_grant(person_actor, person, "某单位", 2026, 2026, 30)[0],
        "grant bound to its unit": create_grant(
            person_actor, person, "本单位", 2026, 2026, 30, employer_credit_code=employer_code
        )[0],
        "grant bound to another unit": create_grant(
            person_actor, person, "他单位", 2026, 2026, 30, employer_credit_code=other_code
        )[0],
    }
    strangers_grant = create_grant(
        Actor(role="person", name="他人", ref="test", person_id=stranger.id),
        stranger,
        "某单位",
        2026,
        2026,
        30,
    )[0]
    stranger_actor = Actor(role="person", name="他人", ref="test", person_id=stranger.id)
    transcripts = {
        "own transcript": issue_transcript(person_actor, person, 2026, 2026),
        "another person's transcript": issue_transcript(stranger_actor, stranger, 2026, 2026),
    }
    changes = {
        b.id: file_base_change(CLI, b, {"name": f"{b.name}（新）"}) for b in (own, sibling, foreign)
    }
    round_ = EvaluationRound(year=2026, name="评估", opened_at=utcnow(), opened_by="测试")
    db.session.add(round_)
    db.session.flush()
    evaluations = {b.id: _evaluation(round_, b) for b in (own, sibling, foreign)}
    applicant_code = new_credit_code()
    applications = {
        "own application": create_application(credit_code=applicant_code),
        "department's other application": create_application(),
        "other department's application": create_application(department=OTHER_DEPARTMENT),
    }
    own_credit = _credit(me, entered_by_unit=employer_code)
    foreign_credit = _credit(elsewhere)
    db.session.commit()
    actors = {
        "admin": Actor(role="admin", name="省人社厅", ref="test"),
        "dept": Actor(role="dept", name="主管部门", ref="test", department=DEPARTMENT),
        "base": Actor(role="base", name="基地", ref="test", base_id=own.id),
        "person": person_actor,
        "employer": Actor(role="employer", name="用人单位", ref="test", credit_code=employer_code),
        "applicant": Actor(
            role="applicant", name="申报单位", ref="test", credit_code=applicant_code
        ),
        "public": None,
    }
    kinds = {
        "own base": own,
        "department's other base": sibling,
        "other department's base": foreign,
    }
    objects: dict[str, Any] = {"—": None, **kinds}
    for label, base in kinds.items():
        prefix = {"own base": "own base's", "department's other base": "department's other base's"}
        if label in prefix:
            objects[f"{prefix[label]} change"] = changes[base.id]
            objects[f"{prefix[label]} plan"] = plans[base.id]
            objects[f"{prefix[label]} session"] = sessions[base.id]
            objects[f"{prefix[label]} evaluation"] = evaluations[base.id]
    objects.update(
        {
            "other department's change": changes[foreign.id],
            "other department's plan": plans[foreign.id],
            "other department's session": sessions[foreign.id],
            "other department's evaluation": evaluations[foreign.id],
            "own certificate": own_cert,
            "another person's, at own base": others_cert,
            "certificate of another department": foreign_cert,
            "own person": person,
            "person trained elsewhere": stranger,
            "employer's staff": find_person(staff["id_number"]),
            "own credit": own_credit,
            "credit of a person trained elsewhere": foreign_credit,
            "another person's grant": strangers_grant,
            "own unit's credit code": applicant_code,
            "another unit's credit code": other_code,
            **grants,
            **transcripts,
            **applications,
        }
    )
    for label, starter in (("job the base started", "base"), ("job the person started", "person")):
        objects[label] = JobState(
            id=label,
            kind="attendance.upload",
            owner=access.job_owner(actors[starter]),
            status="queued",
            progress=0,
            result=None,
            error=None,
            created_at=None,
            ended_at=None,
        )
    return World(actors, objects)


def test_the_matrix_is_the_policy(world):
    wrong = []
    for action, target, allowed in LINES:
        obj = world.objects[target]
        for role in ROLES:
            if access.can(world.actors[role], action, obj) != (role in allowed):
                verdict = "may" if role in allowed else "may not"
                wrong.append(f"{role} {verdict} {action} on {target}")
    assert wrong == []


def test_the_matrix_names_every_action_of_the_policy_and_no_other():
    named = {action for action, _, _ in LINES}
    assert named == set(access.POLICY)


def test_each_action_as_such_is_open_to_exactly_the_roles_of_its_lines():
    """A role may do an action as such when the matrix lets it do it on some object."""
    for action in access.POLICY:
        somewhere = set().union(*(roles for a, _, roles in LINES if a == action))
        assert access.roles_for(action) == somewhere, action


def test_a_refusal_is_403_and_says_why(world):
    from jxjd.errors import Forbidden

    dept = world.actors["dept"]
    with pytest.raises(Forbidden) as refused:
        access.authorize(dept, "plan.review", world.objects["other department's plan"])
    assert refused.value.status == 403 and refused.value.detail == "只能审核本部门主管基地的计划"
    with pytest.raises(Forbidden) as by_role:
        access.authorize(world.actors["person"], "plan.read")
    assert by_role.value.detail == "当前角色（person）无权执行此操作"
    with pytest.raises(Forbidden) as mismatch:
        access.authorize(
            world.actors["applicant"],
            "application.create",
            world.objects["another unit's credit code"],
        )
    assert mismatch.value.code == "credit_code_mismatch"


def test_lists_hold_only_what_the_caller_may_read(world):
    from jxjd.bases.models import Base

    def visible(role: str) -> set[int]:
        query = access.scoped(world.actors[role], "base.read", db.select(Base.id))
        return set(db.session.scalars(query))

    own, sibling, foreign = (
        world.objects[k].id
        for k in ("own base", "department's other base", "other department's base")
    )
    assert visible("admin") == {own, sibling, foreign}
    assert visible("dept") == {own, sibling}
    assert visible("base") == {own}
    for role in ("person", "employer", "applicant", "public"):
        with pytest.raises(access.Forbidden):
            visible(role)


def test_the_world_is_what_the_matrix_says(world):
    """The objects really are whose the labels say (so the matrix cannot pass by accident)."""
    objects = world.objects
    assert objects["own base"].department == objects["department's other base"].department
    assert objects["other department's base"].department != objects["own base"].department
    assert objects["own certificate"].person_id == world.actors["person"].person_id
    assert objects["another person's, at own base"].person_id != world.actors["person"].person_id
    assert objects["own application"].applicant_code == world.actors["applicant"].credit_code
    assert objects["department's other application"].department == DEPARTMENT
    assert (
        objects["grant bound to its unit"].employer_credit_code
        == world.actors["employer"].credit_code
    )


def test_every_route_performs_an_action_of_the_matrix(app):
    """Each API operation and each page names what it does; the matrix says who may."""
    named = {action for action, _, _ in LINES}
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        actions = (getattr(view, "action", None), *getattr(view, "performs", ()))
        if actions[0] is None:
            missing.append(rule.rule)
        unknown += [f"{rule.rule}: {a}" for a in actions if a is not None and a not in named]
    assert missing == [] and unknown == []


def test_every_operation_of_the_document_is_declared_with_its_action(client):
    """The OpenAPI document lists the policy's roles for each protected operation."""
    spec = client.get("/api/v1/openapi.json").json
    operations = {
        (method.upper(), path): op
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    for rule in client.application.url_map.iter_rules():
        view = client.application.view_functions[rule.endpoint]
        if getattr(view, "openapi", None) is None:
            continue
        roles = access.roles_for(view.action) - {access.PUBLIC}
        path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = operations[(method, path)]
            if "security" in op:
                assert op["description"] == "角色：" + "、".join(sorted(roles)), (method, path)
            else:
                assert access.PUBLIC in access.roles_for(view.action), (method, path)
