"""Creating tokens and accounts, resolving a bearer token or a session cookie to its caller."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from jxjd.access import authorize
from jxjd.accounts.models import ROLES, Account, ActivationCode, ApiToken
from jxjd.audit.services import record_event
from jxjd.auth import Actor, actor_from_scope
from jxjd.bases.models import Base
from jxjd.common.crypto import new_token, token_hash
from jxjd.common.db import read_one
from jxjd.common.ids import is_valid_credit_code, normalize_credit_code
from jxjd.common.text import MAX_ID, check_text, text_problem
from jxjd.common.time import isoformat, utcnow
from jxjd.departments.services import find_department
from jxjd.errors import Conflict, NotFound, Unauthorized, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.services import checked_id_number, ensure_person

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
DEFAULT_TOKEN_DAYS = 365
MAX_TOKEN_DAYS = 3650
# last_used_at is written at most this often per token: a write per request would double the
# cost of every authenticated read (scripts/bench_token_use.py measures it).
TOKEN_TOUCH_SECONDS = 60
# Roles bound to a unit by its unified social credit code (GB 32100).
UNIT_ROLES = ("applicant", "employer")


class TokenExpired(Unauthorized):
    code, title = "token_expired", "访问令牌已过期"


class NoAccount(NotFound):
    code, title = "no_account", "该人员尚未开通账号"


class UnknownAccount(NotFound):
    code, title = "unknown_account", "账号不存在"


class WrongPassword(ValidationFailed):
    code = "wrong_password"


@dataclass(frozen=True)
class Scope:
    """A role with the one thing it is bound to, validated."""

    role: str
    name: str
    base_id: int | None = None
    department: str | None = None
    person_id: int | None = None
    credit_code: str | None = None


def _bound_base(base_id: int | None, **_: Any) -> dict[str, Any]:
    if not 0 < (base_id or 0) <= MAX_ID or db.session.get(Base, base_id) is None:
        raise ValidationFailed(
            [field_error("unknown_base", "base 角色须绑定已存在的基地", field="base_id")]
        )
    return {"base_id": base_id}


def _bound_department(department: str | None, **_: Any) -> dict[str, Any]:
    if department is None or not department.strip():
        raise ValidationFailed(
            [field_error("missing_department", "dept 角色须指定主管部门", field="department")]
        )
    text = check_text(department.strip(), "unit", field="department", label="主管部门")
    found = find_department(text)
    if found is None:
        message = f"主管部门“{text}”不在部门目录中，请先在部门目录中添加"
        raise ValidationFailed([field_error("unknown_department", message, field="department")])
    return {"department": found.name}


def _bound_person(id_number: str | None, name: str, **_: Any) -> dict[str, Any]:
    if not id_number:
        raise ValidationFailed(
            [field_error("invalid_id_number", "person 角色须提供身份证号", field="id_number")]
        )
    return {"person_id": ensure_person(checked_id_number(id_number), name).id}


def _bound_unit(credit_code: str | None, role: str, **_: Any) -> dict[str, Any]:
    code = normalize_credit_code(credit_code or "")
    if not is_valid_credit_code(code):
        message = f"{role} 角色须绑定单位的统一社会信用代码（18位，校验位正确）"
        raise ValidationFailed([field_error("invalid_credit_code", message, field="credit_code")])
    return {"credit_code": code}


# What each role is bound to (admin: nothing), and the text rule of its name.
BINDINGS: dict[str, Callable[..., dict[str, Any]]] = {
    "base": _bound_base,
    "dept": _bound_department,
    "person": _bound_person,
    **{role: _bound_unit for role in UNIT_ROLES},
}
NAME_RULES = {"person": "person_name"}


def resolve_scope(
    role: str,
    name: str,
    *,
    base_id: int | None = None,
    department: str | None = None,
    id_number: str | None = None,
    credit_code: str | None = None,
) -> Scope:
    """Check that a role has exactly the binding it needs; create the person when needed."""
    errors = []
    if role not in ROLES:
        errors.append(
            field_error("invalid_role", f"角色须为 {'、'.join(ROLES)} 之一", field="role")
        )
    if not (name or "").strip():
        errors.append(field_error("missing_name", "名称不能为空", field="name"))
    if errors:
        raise ValidationFailed(errors)
    name = name.strip()
    check_text(name, NAME_RULES.get(role, "title"), field="name")
    bind = BINDINGS.get(role)
    if bind is None:
        return Scope(role=role, name=name)
    bound = bind(
        role=role,
        name=name,
        base_id=base_id,
        department=department,
        id_number=id_number,
        credit_code=credit_code,
    )
    return Scope(role=role, name=name, **bound)


def token_days(days: object) -> int:
    """The validity of a new token in days (default one year); 422 out of range."""
    if days is None:
        return DEFAULT_TOKEN_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            [
                field_error(
                    "out_of_range", f"有效天数须为 1—{MAX_TOKEN_DAYS} 之间的整数", field="days"
                )
            ]
        )
    return days


def create_token(
    actor: Actor, scope: Scope, *, days: int = DEFAULT_TOKEN_DAYS
) -> tuple[ApiToken, str]:
    """Issue a bearer token for `scope`, valid `days`; the plain token is returned once only."""
    authorize(actor, "token.manage")
    days = token_days(days)
    plain = new_token()
    now = utcnow()
    token = ApiToken(
        token_hash=token_hash(plain),
        prefix=plain[:10],
        role=scope.role,
        name=scope.name,
        base_id=scope.base_id,
        department=scope.department,
        person_id=scope.person_id,
        credit_code=scope.credit_code,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        actor,
        "token.create",
        "token",
        token.id,
        role=scope.role,
        name=scope.name,
        days=days,
        expires_at=isoformat(token.expires_at),
    )
    return token, plain


_TOKENS = ApiToken.__table__
# Built once: every API request with a bearer token runs it (on the autocommit reader, so the
# request's ORM session is not started for it).
_TOKEN_BY_HASH = sa.select(
    *(
        _TOKENS.c[name]
        for name in (
            "id",
            "role",
            "name",
            "base_id",
            "department",
            "person_id",
            "credit_code",
            "expires_at",
            "last_used_at",
        )
    )
).where(_TOKENS.c.token_hash == sa.bindparam("hash"), _TOKENS.c.revoked_at.is_(None))


def actor_for_token(plain: str) -> Actor | None:
    """The Actor behind a bearer token, or None when unknown or revoked; 401 when expired."""
    token = read_one(_TOKEN_BY_HASH, {"hash": token_hash(plain)})
    if token is None:
        return None
    now = utcnow()
    if token["expires_at"] <= now:
        raise TokenExpired(
            f"访问令牌已于 {isoformat(token['expires_at'])} 过期，请联系管理员签发新令牌"
        )
    note_token_use(token["id"], token["last_used_at"], now)
    return actor_from_scope(SimpleNamespace(**token), f"token:{token['id']}")


def note_token_use(token_id: int, last: datetime | None, now: datetime) -> None:
    """Record when a token was last used, at most once per TOKEN_TOUCH_SECONDS.

    Written in its own short transaction, so a read-only request records it too and a request
    that fails later does not undo it; a write that cannot happen at once is skipped (the next
    request within the minute tries again) rather than holding the request up.
    """
    if last is not None and now - last < timedelta(seconds=TOKEN_TOUCH_SECONDS):
        return
    cutoff = now - timedelta(seconds=TOKEN_TOUCH_SECONDS)
    stmt = (
        sa.update(_TOKENS)
        .where(
            _TOKENS.c.id == token_id,
            sa.or_(_TOKENS.c.last_used_at.is_(None), _TOKENS.c.last_used_at < cutoff),
        )
        .values(last_used_at=now)
    )
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        try:
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout = 200")
            else:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            conn.execute(stmt)
            conn.commit()
        except sa.exc.OperationalError:
            conn.rollback()
            log.info("token last-use time not recorded (database busy)")
            return
        finally:
            if sqlite:  # the pooled connection goes back with the app's own busy timeout
                busy_ms = int(current_app.config["JXJD_DB_LOCK_TIMEOUT"] * 1000)
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {busy_ms}")
                conn.commit()


def password_problem(password: str) -> str | None:
    """Why a password is too weak, in Chinese; None when acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    kinds = sum(
        [
            any(c.isdigit() for c in password),
            any(c.isalpha() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 2:
        return "密码须同时包含字母、数字或符号中的至少两类"
    return None


def login_problems(
    username: str,
    password: str,
    *,
    own_account_id: int | None = None,
    ignore_reset: bool = False,
) -> list[dict]:
    """Field errors of a new username and password (taken by another account, too weak).

    `ignore_reset` leaves out usernames of reset accounts, whose owners may take them up again.
    """
    username = (username or "").strip()
    errors = []
    bad_text = text_problem(username, "username", "用户名")
    if not username:
        errors.append(field_error("invalid_username", "用户名不能为空", field="username"))
    elif bad_text is not None:
        errors.append(field_error(*bad_text, field="username"))
    else:
        taken = db.session.execute(
            sa.select(Account.id, Account.reset_at).where(Account.username == username)
        ).first()
        if (
            taken is not None
            and taken.id != own_account_id
            and not (ignore_reset and taken.reset_at is not None)
        ):
            errors.append(field_error("username_taken", "该用户名已被使用", field="username"))
    weak = password_problem(password or "")
    if weak:
        errors.append(field_error("weak_password", weak, field="password"))
    return errors


def create_account(actor: Actor, username: str, password: str, scope: Scope) -> Account:
    """Create a web login bound to `scope` (scrypt password hash)."""
    username = (username or "").strip()
    errors = login_problems(username, password)
    if errors:
        raise ValidationFailed(errors)
    account = Account(
        username=username,
        password_hash=generate_password_hash(password),
        role=scope.role,
        name=scope.name,
        base_id=scope.base_id,
        department=scope.department,
        person_id=scope.person_id,
        credit_code=scope.credit_code,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():  # a concurrent sign-up may have taken it meanwhile
            db.session.add(account)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict("该用户名或该人员的账号已存在", code="account_exists") from None
    record_event(actor, "account.create", "account", account.id, role=scope.role, username=username)
    return account


def authenticate(username: str, password: str) -> Account | None:
    """The account whose password matches, or None (same work either way to resist timing)."""
    account = db.session.scalar(
        sa.select(Account).where(
            Account.username == (username or "").strip(),
            Account.disabled_at.is_(None),
            Account.reset_at.is_(None),
        )
    )
    if account is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return account if check_password_hash(account.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    """Stop a token from working (a leaked token, a person who left); the row stays."""
    authorize(actor, "token.manage")
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"令牌 {token_id} 不存在")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(actor, "token.revoke", "token", token.id, role=token.role, name=token.name)
        db.session.flush()
    return token


def list_tokens(offset: int = 0, limit: int | None = None) -> tuple[list[ApiToken], int]:
    """Tokens newest first (hashes are never shown), a page of them, and how many there are."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) or 0
    query = sa.select(ApiToken).order_by(ApiToken.id.desc()).offset(offset).limit(limit)
    return list(db.session.scalars(query)), total


def list_accounts(
    role: str | None = None, offset: int = 0, limit: int | None = None
) -> tuple[list[Account], int]:
    """Web accounts (optionally of one role), oldest first, a page of them, and the total."""
    where = [Account.role == role] if role else []
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(*where)) or 0
    query = sa.select(Account).where(*where).order_by(Account.id).offset(offset).limit(limit)
    return list(db.session.scalars(query)), total


# ---- sessions ------------------------------------------------------------------------------


def end_sessions(account: Account) -> None:
    """Every session cookie issued for the account stops working (a new server-side token)."""
    account.session_token = secrets.token_hex(16)


def account_for_session(login_id: str) -> Account | None:
    """The account a session cookie names, if that session has not been ended; else None."""
    account_id, _, session_token = (login_id or "").partition(":")
    if not account_id.isdigit() or not session_token:
        return None  # also every cookie from before session tokens existed
    account = db.session.get(Account, int(account_id))
    if account is None or not account.is_active:
        return None
    if not hmac.compare_digest(account.session_token.encode(), session_token.encode()):
        return None
    return account


def set_password(account: Account, password: str) -> None:
    """Store a new password hash; every session of the account ends."""
    account.password_hash = generate_password_hash(password)
    end_sessions(account)


def change_password(actor: Actor, account: Account, current: str, new: str) -> Account:
    """Set a new password after checking the current one; every session ends."""
    if not check_password_hash(account.password_hash, current or ""):
        raise WrongPassword([field_error("wrong_password", "当前密码不正确", field="current")])
    errors = login_problems(account.username, new, own_account_id=account.id)
    if errors:
        raise ValidationFailed(errors)
    set_password(account, new)
    record_event(actor, "account.password_change", "account", account.id)
    db.session.flush()
    return account


def get_account(account_id: int) -> Account:
    """An account by id; 404 unknown_account."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise UnknownAccount(f"账号 {account_id} 不存在")
    return account


def disable_account(actor: Actor, account: Account) -> Account:
    """No more sign-ins and every session ends at once (disabling twice changes nothing)."""
    authorize(actor, "account.manage")
    if account.disabled_at is None:
        account.disabled_at = utcnow()
        end_sessions(account)
        record_event(actor, "account.disable", "account", account.id, role=account.role)
        db.session.flush()
    return account


def enable_account(actor: Actor, account: Account) -> Account:
    """Undo a disable: the account may sign in again with its password."""
    authorize(actor, "account.manage")
    if account.disabled_at is not None:
        account.disabled_at = None
        record_event(actor, "account.enable", "account", account.id, role=account.role)
        db.session.flush()
    return account


# Never matches any password: werkzeug hashes always start with the method name.
UNUSABLE_PASSWORD = "!reset"


def reset_person_account(actor: Actor, person_id: int) -> Account:
    """End the person's sessions and clear their login; they open it again with a new code."""
    authorize(actor, "account.manage")
    account = db.session.scalar(sa.select(Account).where(Account.person_id == person_id))
    if account is None:
        raise NoAccount("该人员尚未开通账号，无需重置")
    now = utcnow()
    account.reset_at = now
    account.password_hash = UNUSABLE_PASSWORD
    end_sessions(account)
    # Codes sent before the reset may be what let someone else in: none of them works now.
    db.session.execute(
        sa.update(ActivationCode)
        .where(
            ActivationCode.person_id == person_id,
            ActivationCode.used_at.is_(None),
            ActivationCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    record_event(actor, "account.reset", "account", account.id, person_id=person_id)
    db.session.flush()
    return account
