"""Opening a person's account (CONTRACT §12): activation letters, SMS codes and registration.

Public data (name, masked ID number, certificate serial, anything on a certificate or a verify
page) never suffices: registration needs a one-time code that reached only the person, either
on a letter an admin or department printed for them or by SMS to the mobile number a roster put
on record. Every refusal looks the same, so the answer tells nothing about which part was wrong.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from jxjd.access import authorize, can
from jxjd.accounts.models import Account, ActivationCode
from jxjd.accounts.services import create_account, login_problems, resolve_scope, set_password
from jxjd.attendance.models import AttendanceRecord
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common import crockford
from jxjd.common.crypto import app_keystore, lookup_hash
from jxjd.common.db import execute_dml
from jxjd.common.ids import comparable_name, id_number_problem, normalize_id_number
from jxjd.common.time import isoformat, utcnow
from jxjd.errors import Conflict, NotFound, Problem, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import checked_id_number, find_person, phone_of

LETTER_LENGTH = 16  # Crockford characters: 80 random bits
LETTER_DAYS = 14
OTP_DIGITS = 6
OTP_MINUTES = 10

PUBLIC = Actor(role="public", name="公众（未登录）", ref="public")

REFUSED_DETAIL = (
    "身份证号、姓名与激活码或短信验证码不匹配，或验证码已失效、已使用，或该人员已开通账号，"
    "无法注册。请核对后重试；如需帮助，请联系培训基地、主管部门或省人社厅。"
)
OTP_ACCEPTED = {
    "status": "accepted",
    "message": (
        f"如果该身份证号和姓名在册并登记了手机号，{OTP_MINUTES}分钟内有效的6位验证码"
        "已发送至登记的手机，请查收。"
    ),
    "expires_in": OTP_MINUTES * 60,
}


class RegistrationRefused(Problem):
    status, code, title = 422, "registration_refused", "无法注册"


class UnknownPerson(NotFound):
    code, title = "unknown_person", "未找到该人员"


class AlreadyRegistered(Conflict):
    code, title = "already_registered", "该人员已开通账号"


def refused() -> RegistrationRefused:
    """The one refusal every mismatch gets (same status, code, text and fields)."""
    return RegistrationRefused(REFUSED_DETAIL)


def _code_hash(channel: str, person_id: int, code: str) -> str:
    """Keyed hash of a code, bound to its channel and person."""
    key = app_keystore().secret("lookup-hmac")
    return lookup_hash(key, f"activation:{channel}:{person_id}:{code}")


def _known_names(person_id: int) -> set[str]:
    """Every name the person was recorded under (the person row and each roster row)."""
    names = db.session.scalars(
        sa.select(AttendanceRecord.name).where(AttendanceRecord.person_id == person_id).distinct()
    )
    person_name = db.session.scalar(sa.select(Person.name).where(Person.id == person_id))
    return {comparable_name(n) for n in [person_name, *names] if n}


def _void_live_codes(person_id: int, now: datetime, channel: str | None = None) -> None:
    where = [
        ActivationCode.person_id == person_id,
        ActivationCode.used_at.is_(None),
        ActivationCode.voided_at.is_(None),
    ]
    if channel is not None:
        where.append(ActivationCode.channel == channel)
    db.session.execute(sa.update(ActivationCode).where(*where).values(voided_at=now))


def _open_account(person_id: int) -> Account | None:
    """The person's account unless an admin reset it (then the person may register again)."""
    account = db.session.scalar(sa.select(Account).where(Account.person_id == person_id))
    return None if account is None or account.reset_at is not None else account


def _new_code(actor: Actor, person: Person, channel: str, code: str, life: timedelta):
    now = utcnow()
    _void_live_codes(person.id, now, channel)  # the newest letter (or SMS) is the one that works
    row = ActivationCode(
        person_id=person.id,
        channel=channel,
        code_hash=_code_hash(channel, person.id, code),
        created_by=actor.ref[:64],
        created_at=now,
        expires_at=now + life,
    )
    db.session.add(row)
    db.session.flush()
    return row


# ---- activation letters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """What an activation letter shows; `code` exists only here, never in the database."""

    person: Person
    code: str  # grouped for typing: XXXX-XXXX-XXXX-XXXX
    expires_at: datetime
    row: ActivationCode


def create_activation_code(actor: Actor, id_number: str, name: str) -> Letter:
    """A single-use code valid 14 days for a person's letter (admin; dept for its trainees)."""
    authorize(actor, "activation.create")
    id_number = checked_id_number(id_number)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([field_error("missing_name", "请填写姓名", field="name")])
    person = find_person(id_number)
    if person is None or not can(actor, "activation.create", person):
        # A department learns nothing about people outside its own bases' rosters.
        raise UnknownPerson("未找到该身份证号对应的培训记录，无法生成激活码")
    if comparable_name(name) not in _known_names(person.id):
        raise ValidationFailed(
            [field_error("name_mismatch", "姓名与该身份证号登记的姓名不一致", field="name")]
        )
    if _open_account(person.id) is not None:
        raise AlreadyRegistered("该人员已开通账号；如需重新开通，请先重置其账号")
    code = crockford.random_code(LETTER_LENGTH)
    row = _new_code(actor, person, "letter", code, timedelta(days=LETTER_DAYS))
    record_event(
        actor,
        "activation.letter_create",
        "person",
        person.id,
        code_id=row.id,
        expires_at=isoformat(row.expires_at),
    )
    return Letter(person=person, code=crockford.group(code), expires_at=row.expires_at, row=row)


# ---- SMS codes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingSms:
    """A message to hand to the sender once the transaction is committed."""

    to: str
    text: str


def sms_text(code: str) -> str:
    """The registration text message."""
    return (
        f"【湖南省继续教育】您的注册验证码为 {code}，{OTP_MINUTES}分钟内有效。"
        "请勿告知他人；如非本人操作，请忽略本短信。"
    )


def request_otp(id_number: str, name: str) -> OutgoingSms | None:
    """A 6-digit code for the mobile on record when ID number and name match an unopened person.

    Whatever the outcome the caller answers the same; the request is audited (never the code).
    """
    normalized = normalize_id_number(id_number or "")
    person = find_person(normalized)  # looked up even when malformed: the same work every time
    if id_number_problem(normalized) is not None:
        person = None
    person_id = person.id if person is not None else 0
    names = _known_names(person_id)
    matches = person is not None and comparable_name(name) in names
    phone = phone_of(person) if matches and person is not None else None
    outgoing = None
    if person is not None and phone and _open_account(person_id) is None:
        code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
        row = _new_code(PUBLIC, person, "sms", code, timedelta(minutes=OTP_MINUTES))
        record_event(
            PUBLIC, "activation.otp_request", "person", person_id, sent=True, code_id=row.id
        )
        outgoing = OutgoingSms(to=phone, text=sms_text(code))
    else:
        record_event(PUBLIC, "activation.otp_request", "person", person_id or None, sent=False)
    return outgoing


# ---- registration -----------------------------------------------------------------------------


def _channel_of(code: str) -> str:
    return "sms" if len(code) == OTP_DIGITS and code.isdigit() else "letter"


def register_person(id_number: str, name: str, code: str, username: str, password: str) -> Account:
    """Open a person account with an activation code or SMS code; `refused()` on any mismatch.

    Username and password are checked first (their errors say nothing about the person). Then
    every path runs the same queries: the person, their names, their live codes, their account.
    """
    errors = login_problems(username, password, ignore_reset=True)
    if errors:
        raise ValidationFailed(errors)
    normalized = normalize_id_number(id_number or "")
    person = find_person(normalized)  # looked up even when malformed: the same work every time
    if id_number_problem(normalized) is not None:
        person = None
    person_id = person.id if person is not None else 0
    names = _known_names(person_id)
    now = utcnow()
    live = list(
        db.session.scalars(
            sa.select(ActivationCode).where(
                ActivationCode.person_id == person_id,
                ActivationCode.used_at.is_(None),
                ActivationCode.voided_at.is_(None),
                ActivationCode.expires_at > now,
            )
        )
    )
    account = db.session.scalar(sa.select(Account).where(Account.person_id == person_id))
    typed = crockford.normalize(code)
    channel = _channel_of(typed)
    expected = _code_hash(channel, person_id, typed)
    match = None
    for row in live:  # compare every live code in constant time; no early exit
        if hmac.compare_digest(row.code_hash, expected) and row.channel == channel:
            match = row
    if (
        person is None
        or comparable_name(name) not in names
        or match is None
        or (account is not None and account.reset_at is None)
    ):
        raise refused()
    # The person is proven: now a username held by someone else's reset account counts as taken
    # (and the code is still unused, so they may choose another).
    errors = login_problems(username, password, own_account_id=account.id if account else None)
    if errors:
        raise ValidationFailed(errors)
    # Single use also under concurrency: only one request moves the code from unused to used.
    used = execute_dml(
        sa.update(ActivationCode)
        .where(ActivationCode.id == match.id, ActivationCode.used_at.is_(None))
        .values(used_at=now)
    )
    if used != 1:
        raise refused()
    _void_live_codes(person_id, now)
    record_event(PUBLIC, "activation.use", "person", person_id, channel=channel, code_id=match.id)
    if account is None:
        scope = resolve_scope("person", person.name, id_number=normalized)
        account = create_account(PUBLIC, username, password, scope)
        reopened = False
    else:
        account.username = username.strip()
        account.reset_at = None
        set_password(account, password)
        reopened = True
    record_event(
        PUBLIC,
        "account.register",
        "account",
        account.id,
        person_id=person_id,
        channel=channel,
        reopened=reopened,
    )
    db.session.flush()
    return account
