"""Who may do what: the one access policy (DESIGN "One access policy").

Each action names the roles that may perform it and, per role, which objects (a relation): "a
department sees its bases" is `DEPARTMENT_BASES`, "admin or the owning base may write" is
`BASE_WRITERS`, each written here once. Services call `authorize` (they serve the API, the pages
and the CLI); views only authenticate, and their decorators ask `authorize(actor, action)` for
the role alone so that a caller in the wrong role gets 403 before anything is looked up.
`scoped` narrows a list query to what the caller may see. `tests/test_access_matrix.py` is the
table a reader consults; the README's roles table is generated from `POLICY`
(`scripts/docs_tables.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa

from jxjd.accounts.models import ROLES
from jxjd.applications.models import Application
from jxjd.archive.models import Grant
from jxjd.attendance.models import AttendanceRecord
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.common.enums import ROLES as ROLE_LABELS
from jxjd.credits.models import Credit
from jxjd.errors import Forbidden, NotFound, Problem
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.sessions.models import TrainingSession

T = TypeVar("T")

PUBLIC = "public"  # the role of a caller who did not sign in
NOBODY = object()  # an object no one owns: what a caller bound to nothing is asked about
EVERY_ROLE = (*ROLES, PUBLIC)


# ---- relations: which objects a role's permission reaches -------------------------------------


@dataclass(frozen=True)
class Relation:
    """Which objects of an action a role may act on: a test for one object, a filter for lists."""

    label: str
    test: Callable[[Any, Any], bool]
    where: Callable[[Actor, Any], sa.ColumnElement[bool] | None] = lambda actor, model: None


def base_of(obj: Any) -> Base | None:
    """The base an object belongs to: itself, its plan's, session's or certificate's base."""
    if obj is None or isinstance(obj, Base):
        return obj
    if isinstance(obj, Certificate):
        return db.session.get_one(TrainingSession, obj.session_id).base
    return obj.base  # Plan, TrainingSession, BaseChange, Evaluation


def _base_ids(model: Any) -> Any:
    return model.id if model is Base else model.base_id


def _own_base(actor: Actor, obj: Any) -> bool:
    base = base_of(obj)
    return base is not None and actor.base_id is not None and base.id == actor.base_id


def _department_base(actor: Actor, obj: Any) -> bool:
    base = base_of(obj)
    return base is not None and actor.department is not None and base.department == actor.department


def _department_bases(actor: Actor, model: Any) -> sa.ColumnElement[bool]:
    if model is Base:
        return Base.department == actor.department
    return model.base_id.in_(sa.select(Base.id).where(Base.department == actor.department))


def _person_id(obj: Any) -> int | None:
    if isinstance(obj, Person):
        return obj.id
    return getattr(obj, "person_id", None)


def _trained_in_department(actor: Actor, obj: Any) -> bool:
    """Whether the person (of a credit) attended a session at any base of the actor's department."""
    if not isinstance(obj, Person | Credit) or actor.department is None:
        return False
    found = db.session.scalar(
        sa.select(AttendanceRecord.id)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .join(Base, Base.id == TrainingSession.base_id)
        .where(AttendanceRecord.person_id == _person_id(obj), Base.department == actor.department)
        .limit(1)
    )
    return found is not None


def _department_people(actor: Actor, model: Any) -> sa.ColumnElement[bool]:
    return model.person_id.in_(
        sa.select(AttendanceRecord.person_id)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .join(Base, Base.id == TrainingSession.base_id)
        .where(Base.department == actor.department)
    )


def _employer_staff(actor: Actor, person: Any) -> bool:
    """Whether a roster lists the person with the employer's name as 工作单位."""
    if not isinstance(person, Person) or not actor.name:
        return False
    found = db.session.scalar(
        sa.select(AttendanceRecord.id)
        .where(AttendanceRecord.person_id == person.id, AttendanceRecord.employer == actor.name)
        .limit(1)
    )
    return found is not None


def _unit_of(obj: Any) -> str | None:
    """The unit (credit code) an application or a typed credit code stands for."""
    if isinstance(obj, Application):
        return obj.applicant_code
    return obj if isinstance(obj, str) else None


ANY = Relation("all", lambda actor, obj: True)
OWN_BASE = Relation(
    "its own base",
    _own_base,
    lambda actor, model: _base_ids(model) == actor.base_id,
)
DEPARTMENT_BASES = Relation("its department's bases", _department_base, _department_bases)
OWN_PERSON = Relation(
    "its own",
    lambda actor, obj: actor.person_id is not None and _person_id(obj) == actor.person_id,
    lambda actor, model: model.person_id == actor.person_id,
)
TRAINED_IN_DEPARTMENT = Relation(
    "people trained at its department's bases", _trained_in_department, _department_people
)
EMPLOYER_STAFF = Relation("people its rosters name as staff", _employer_staff)
OWN_ENTRIES = Relation(
    "the credits it entered",
    lambda actor, credit: (
        isinstance(credit, Credit)
        and bool(actor.credit_code)
        and credit.entered_by_unit == actor.credit_code
    ),
    lambda actor, model: model.entered_by_unit == actor.credit_code,
)
OWN_UNIT = Relation(
    "its own unit's",
    lambda actor, obj: bool(actor.credit_code) and _unit_of(obj) == actor.credit_code,
    lambda actor, model: model.applicant_code == actor.credit_code,
)
DEPARTMENT_APPLICATIONS = Relation(
    "units of its department",
    lambda actor, app: bool(app.department) and app.department == actor.department,
    lambda actor, model: model.department == actor.department,
)
OPEN_GRANTS = Relation(
    "grants not bound to a unit",
    lambda actor, grant: isinstance(grant, Grant) and grant.employer_credit_code is None,
)
UNIT_GRANTS = Relation(
    "grants not bound, or bound to its unit",
    lambda actor, grant: (
        isinstance(grant, Grant) and grant.employer_credit_code in (None, actor.credit_code)
    ),
)


def job_owner(actor: Actor) -> str:
    """Who started a background job, as its state records it: role and token/account ref."""
    return f"{actor.role}:{actor.ref}"


OWN_JOB = Relation(
    "jobs it started", lambda actor, job: getattr(job, "owner", None) == job_owner(actor)
)


# ---- the policy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An action: what it is, who may do it on which objects, and the refusal's wording."""

    summary: str
    who: Mapping[str, Relation]
    denied: str = "无权执行此操作"
    # When set, a refusal raises this (e.g. a 403 with its own code) instead of Forbidden.
    problem: Callable[[Actor | None, Any], Problem] | None = field(default=None, compare=False)


class CreditCodeMismatch(Forbidden):
    """An applicant filled in another unit's credit code (it files for its own unit only)."""

    code, title = "credit_code_mismatch", "申请表的统一社会信用代码与申报账号不一致"


def _credit_code_mismatch(actor: Actor | None, code: Any) -> Problem:
    own = actor.credit_code if actor is not None else None
    return CreditCodeMismatch(
        f"统一社会信用代码 {code} 与申报账号绑定的 {own} 不一致，只能为本单位申报"
    )


ADMIN = {"admin": ANY}
# "A department sees its bases": every read of a base's data.
BASE_READERS = {"admin": ANY, "dept": DEPARTMENT_BASES, "base": OWN_BASE}
# "Admin or the owning base may write".
BASE_WRITERS = {"admin": ANY, "base": OWN_BASE}
SIGNED_IN = {role: ANY for role in ROLES}
EVERYONE = {role: ANY for role in EVERY_ROLE}

POLICY: dict[str, Rule] = {
    # bases (CONTRACT §3)
    "base.create": Rule("register a base", ADMIN),
    "base.read": Rule(
        "read a base, its history and reports", BASE_READERS, "无权查看其他基地的数据"
    ),
    "base.status": Rule("change a base's status", ADMIN),
    "base.specialties": Rule("replace a base's specialties", ADMIN),
    "base.desk": Rule("use its base's own pages (sessions, new plans)", {"base": OWN_BASE}),
    # change filing (第三十一条)
    "base_change.file": Rule(
        "file a change of name, address or contacts",
        BASE_WRITERS,
        "只有基地本身或省人社厅可以报送变更",
    ),
    "base_change.read": Rule("read change filings", BASE_READERS, "无权查看其他基地的变更备案"),
    "base_change.desk": Rule(
        "follow the change filings to handle", {"admin": ANY, "dept": DEPARTMENT_BASES}
    ),
    "base_change.decide": Rule(
        "accept or refuse a change filing", ADMIN, "只有省人社厅可以办理变更备案"
    ),
    # plans (CONTRACT §4)
    "plan.create": Rule(
        "create a plan version", BASE_WRITERS, "只有基地本身或省人社厅可以报送计划"
    ),
    "plan.read": Rule("read plans", BASE_READERS, "无权查看其他基地的计划"),
    "plan.update": Rule("revise a draft plan", BASE_WRITERS, "只有基地本身或省人社厅可以修改计划"),
    "plan.delete": Rule(
        "delete a draft or returned plan", BASE_WRITERS, "只有基地本身或省人社厅可以删除计划"
    ),
    "plan.submit": Rule("submit a plan", {"base": OWN_BASE}, "只有基地本身可以提交年度计划"),
    "plan.review": Rule(
        "review a submitted plan",
        {"admin": ANY, "dept": DEPARTMENT_BASES},
        "只能审核本部门主管基地的计划",
    ),
    "plan.file": Rule("file a reviewed plan", ADMIN, "只有省人社厅可以备案计划"),
    # sessions, attendance, certificates (CONTRACT §5–§7)
    "session.create": Rule("schedule a session", BASE_WRITERS, "只有举办班次的基地可以执行此操作"),
    "session.read": Rule(
        "read a session, its roster, certificates and feedback",
        BASE_READERS,
        "无权查看其他基地的培训班次",
    ),
    "attendance.upload": Rule(
        "upload or check a roster", BASE_WRITERS, "只有举办班次的基地可以执行此操作"
    ),
    "session.print": Rule(
        "print every certificate of a session as one PDF",
        BASE_WRITERS,
        "只有举办班次的基地或省人社厅可以打印本班全部证书",
    ),
    "certificate.read": Rule(
        "read a certificate and its QR code",
        {**BASE_READERS, "person": OWN_PERSON},
        "无权查看该证书",
    ),
    "certificate.revoke": Rule("revoke a certificate", BASE_WRITERS, "无权撤销该证书"),
    "certificate.correct": Rule(
        "correct a certificate's record and reissue it", BASE_WRITERS, "无权更正该证书的记录"
    ),
    "certificate.revoke_session": Rule("revoke every certificate of a session", ADMIN),
    "certificate.verify": Rule("verify a certificate", EVERYONE),
    "feedback.rate": Rule(
        "rate the session of a certificate",
        {"person": OWN_PERSON},
        "只有证书持有人可以评价该培训班次",
    ),
    # archives and grants (CONTRACT §8)
    "archive.own": Rule(
        "read its own certificates, archive and registration",
        {"person": OWN_PERSON},
        "当前令牌未绑定人员",
    ),
    "archive.query": Rule(
        "read a person's archive by ID number",
        {"admin": ANY, "dept": TRAINED_IN_DEPARTMENT},
    ),
    "grant.manage": Rule("create, list and withdraw share codes", {"person": OWN_PERSON}),
    "grant.lookup": Rule(
        "read an archive through a share code",
        {"admin": OPEN_GRANTS, "employer": UNIT_GRANTS, PUBLIC: OPEN_GRANTS},
    ),
    # transcripts (CONTRACT §13)
    "transcript.issue": Rule("issue its own 学时认定单 (transcript)", {"person": OWN_PERSON}),
    "transcript.read": Rule(
        "read, print and download its own transcripts",
        {"person": OWN_PERSON},
        "无权查看该学时认定单",
    ),
    "grant.transcript": Rule(
        "download a transcript of a share code's years",
        {"admin": OPEN_GRANTS, "employer": UNIT_GRANTS, PUBLIC: OPEN_GRANTS},
    ),
    # applications (CONTRACT §10)
    "application.desk": Rule(
        "open the applications desk", {"admin": ANY, "dept": ANY, "base": ANY, "applicant": ANY}
    ),
    "application.create": Rule(
        "draft an application for its unit",
        {"applicant": OWN_UNIT},
        "只有申报单位可以填写申请表",
        problem=_credit_code_mismatch,
    ),
    "application.read": Rule(
        "read applications",
        {"admin": ANY, "dept": DEPARTMENT_APPLICATIONS, "applicant": OWN_UNIT},
        "无权查看其他单位的申请",
    ),
    "application.edit": Rule(
        "revise and submit its draft", {"applicant": OWN_UNIT}, "只有申报单位本身可以修改或提交申请"
    ),
    "application.recommend": Rule(
        "recommend an application", {"dept": DEPARTMENT_APPLICATIONS}, "只能推荐本部门主管的单位"
    ),
    "application.decide": Rule(
        "review, visit, put on notice, recognize or reject", ADMIN, "只有省人社厅可以办理认定"
    ),
    "directory.read": Rule("read the public directory", EVERYONE),
    # evaluations (第二十一条–第二十三条) and spot checks
    "evaluation.open": Rule("open an evaluation round", ADMIN),
    "evaluation.round": Rule(
        "read evaluation rounds", {"admin": ANY, "dept": DEPARTMENT_BASES}, "无权查看基地评估"
    ),
    "evaluation.read": Rule("read one evaluation", BASE_READERS, "无权查看该基地的评估"),
    "evaluation.score": Rule(
        "score an evaluation",
        {"admin": ANY, "dept": DEPARTMENT_BASES},
        "只有省人社厅或主管部门可以评分",
    ),
    "evaluation.decide": Rule("decide an evaluation's outcome", ADMIN),
    "evaluation.desk": Rule("use the evaluation pages", ADMIN),
    "spot_check.manage": Rule("draw spot checks and record their outcomes", ADMIN),
    # departments (主管部门) as data and the admin console (ISSUE11 items 6, 7)
    "department.read": Rule("list the competent departments", EVERYONE),
    "department.manage": Rule("add, rename and retire departments", ADMIN),
    "department.reassign": Rule(
        "move a base or an application to another department", ADMIN, "只有省人社厅可以调整主管部门"
    ),
    "department.history": Rule("read what its department reviewed", {"admin": ANY, "dept": ANY}),
    "console.dashboard": Rule("read the to-do dashboard", ADMIN),
    # reports and rules (CONTRACT §9)
    "report.province": Rule("read the yearly report", {"admin": ANY, "dept": DEPARTMENT_BASES}),
    "rules.read": Rule("read a year's rules", SIGNED_IN),
    "rules.write": Rule("set a year's rules", ADMIN),
    # credits from other sources (CONTRACT §14)
    "credit.create": Rule(
        "enter or import credits; a person claims its own",
        {
            "admin": ANY,
            "dept": TRAINED_IN_DEPARTMENT,
            "employer": EMPLOYER_STAFF,
            "person": OWN_PERSON,
        },
        "只能为本部门主管基地培训过的人员、本单位职工或本人录入学时认定",
    ),
    "credit.claim": Rule(
        "claim its own credit with evidence, for review",
        {"person": OWN_PERSON},
        "只能申报本人的学时",
    ),
    "credit.read": Rule(
        "read credits and their evidence",
        {
            "admin": ANY,
            "dept": TRAINED_IN_DEPARTMENT,
            "employer": OWN_ENTRIES,
            "person": OWN_PERSON,
        },
        "无权查看该学时认定",
    ),
    "credit.decide": Rule(
        "approve, reject or revoke a credit",
        {"admin": ANY, "dept": TRAINED_IN_DEPARTMENT},
        "只能审核本部门主管基地培训过的人员的学时认定",
    ),
    "credit.desk": Rule(
        "use the credit entry page (one credit, or a workbook) and its template",
        {"admin": ANY, "dept": ANY, "employer": ANY},
    ),
    "credit.turnaround": Rule(
        "read the pending credit queue's size and review turnaround times",
        {"admin": ANY, "dept": TRAINED_IN_DEPARTMENT},
        "只能查看本部门主管基地培训过的人员的学时认定",
    ),
    # tokens, accounts and identity (CONTRACT §12)
    "token.manage": Rule("issue, list and revoke API tokens", ADMIN),
    "account.manage": Rule("list, disable, enable and reset web accounts", ADMIN),
    "activation.create": Rule(
        "print an activation letter", {"admin": ANY, "dept": TRAINED_IN_DEPARTMENT}
    ),
    "account.password": Rule("change its own password", SIGNED_IN),
    "account.sign_in": Rule("sign in and out", EVERYONE),
    "account.register": Rule("open a person's account with a one-time code", EVERYONE),
    "metrics.read": Rule("read the service metrics (also with JXJD_METRICS_TOKEN)", ADMIN),
    "meta.read": Rule("read the home page, health and the API document", EVERYONE),
    "meta.api_link": Rule(
        "see the API document in the menu", {"admin": ANY, "dept": ANY, "base": ANY}
    ),
    # background jobs (CONTRACT §15)
    "job.read": Rule(
        "follow a background job's progress and result",
        {**{role: OWN_JOB for role in ROLES}, "admin": ANY},
        "只有任务发起人或省人社厅可以查看该任务",
    ),
}


# ---- asking the policy -------------------------------------------------------------------------


def role_of(actor: Actor | None) -> str:
    """The caller's role; `public` for a caller who did not sign in."""
    return actor.role if actor is not None else PUBLIC


def rule(action: str) -> Rule:
    """The rule of an action; a KeyError for an action the policy does not know."""
    return POLICY[action]


def roles_for(action: str) -> frozenset[str]:
    """The roles that may ever perform `action`."""
    return frozenset(rule(action).who)


def can(actor: Actor | None, action: str, obj: Any = None) -> bool:
    """May `actor` perform `action` (on `obj`; without one, on some object at all)?"""
    relation = rule(action).who.get(role_of(actor))
    if relation is None:
        return False
    return obj is None or relation.test(actor, obj)


def unrestricted(actor: Actor | None, action: str) -> bool:
    """Does the caller's permission for `action` reach every object (admin, say)?"""
    return rule(action).who.get(role_of(actor)) is ANY


def authorize(actor: Actor | None, action: str, obj: Any = None) -> None:
    """403 unless `actor` may perform `action` (on `obj`)."""
    if can(actor, action, obj):
        return
    spec = rule(action)
    if role_of(actor) not in spec.who:
        raise Forbidden(f"当前角色（{role_of(actor)}）无权执行此操作")
    if spec.problem is not None:
        raise spec.problem(actor, obj)
    raise Forbidden(spec.denied)


def fetch(actor: Actor, action: str, model: type[T], ident: Any, *, label: str) -> T:
    """The `model` row `ident` if `actor` may perform `action` on it: 404 unknown, 403 otherwise."""
    authorize(actor, action)
    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound(f"{label} {ident} 不存在")
    authorize(actor, action, obj)
    return obj


def scoped(actor: Actor | None, action: str, query: sa.Select) -> sa.Select:
    """`query` narrowed to the rows `actor` may perform `action` on (403 for a role without any)."""
    authorize(actor, action)
    model = query.column_descriptions[0]["entity"]
    relation = rule(action).who[role_of(actor)]
    clause = None if actor is None else relation.where(actor, model)  # public: no relation filters
    return query if clause is None else query.where(clause)


# ---- the tables the documentation shows (scripts/docs_tables.py writes them) -------------------

ROLE_WHO = {
    **{r: ROLE_LABELS[r] for r in ("admin", "dept", "base", "person", "employer", "applicant")},
    PUBLIC: "anyone, signed in or not",
}


def _scope_note(relation: Relation) -> str:
    return "" if relation is ANY else f" ({relation.label})"


def _open_to_all(rule: Rule, roles: tuple[str, ...]) -> bool:
    return all(rule.who.get(role) is ANY for role in roles)


def roles_markdown() -> str:
    """The README's "Roles and what each does" table, from the policy."""
    anyone = [rule for rule in POLICY.values() if _open_to_all(rule, EVERY_ROLE)]
    signed_in = [r for r in POLICY.values() if _open_to_all(r, ROLES) and r not in anyone]
    lines = ["| role | who | can |", "|---|---|---|"]
    for role in (*ROLES, PUBLIC):
        own = [
            rule.summary + _scope_note(rule.who[role])
            for rule in POLICY.values()
            if role in rule.who and rule not in anyone + signed_in
        ]
        if role == PUBLIC:
            own = [rule.summary for rule in anyone] + own
        lines.append(f"| `{role}` | {ROLE_WHO[role]} | {'; '.join(own)} |")
        if role == ROLES[-1]:
            every = "; ".join(rule.summary for rule in signed_in)
            lines.append(f"| every role | any signed-in caller | {every} |")
    return "\n".join(lines)


def policy_markdown() -> str:
    """The whole policy: one row per action, one column per role (✓: every object)."""
    header = ["action", "what", *EVERY_ROLE]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for action, rule in POLICY.items():
        cells = []
        for role in EVERY_ROLE:
            relation = rule.who.get(role)
            cells.append("" if relation is None else "✓" if relation is ANY else relation.label)
        lines.append(f"| `{action}` | {rule.summary} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
