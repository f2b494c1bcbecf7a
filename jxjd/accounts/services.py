"""Creating tokens and accounts, and resolving a bearer token to an Actor."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from jxjd.accounts.models import ROLES, Account, ApiToken
from jxjd.audit.services import record_event
from jxjd.auth import Actor, actor_from_scope
from jxjd.common.crypto import new_token, token_hash
from jxjd.common.ids import is_valid_credit_code, normalize_credit_code
from jxjd.common.text import MAX_ID, check_text
from jxjd.common.time import utcnow
from jxjd.errors import Conflict, ValidationFailed, field_error
from jxjd.extensions import db

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Scope:
    """A role with the one thing it is bound to, validated."""

    role: str
    name: str
    base_id: int | None = None
    department: str | None = None
    person_id: int | None = None
    credit_code: str | None = None


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
    from jxjd.bases.models import Base
    from jxjd.people.services import checked_id_number, ensure_person

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
    check_text(name, "person_name" if role == "person" else "title", field="name")
    scope = Scope(role=role, name=name)
    if role == "base":
        if not 0 < (base_id or 0) <= MAX_ID or db.session.get(Base, base_id) is None:
            raise ValidationFailed(
                [field_error("unknown_base", "base 角色须绑定已存在的基地", field="base_id")]
            )
        scope = Scope(role=role, name=name, base_id=base_id)
    elif role == "dept":
        if not (department or "").strip():
            raise ValidationFailed(
                [field_error("missing_department", "dept 角色须指定主管部门", field="department")]
            )
        department = check_text(department.strip(), "unit", field="department", label="主管部门")
        scope = Scope(role=role, name=name, department=department)
    elif role == "person":
        if not id_number:
            raise ValidationFailed(
                [field_error("invalid_id_number", "person 角色须提供身份证号", field="id_number")]
            )
        person = ensure_person(checked_id_number(id_number), name)
        scope = Scope(role=role, name=name, person_id=person.id)
    elif role == "applicant":
        code = normalize_credit_code(credit_code or "")
        if not is_valid_credit_code(code):
            raise ValidationFailed(
                [
                    field_error(
                        "invalid_credit_code", "统一社会信用代码校验不通过", field="credit_code"
                    )
                ]
            )
        scope = Scope(role=role, name=name, credit_code=code)
    return scope


def create_token(actor: Actor, scope: Scope) -> tuple[ApiToken, str]:
    """Issue a bearer token for `scope`; the plain token is returned once and never stored."""
    plain = new_token()
    token = ApiToken(
        token_hash=token_hash(plain),
        prefix=plain[:10],
        role=scope.role,
        name=scope.name,
        base_id=scope.base_id,
        department=scope.department,
        person_id=scope.person_id,
        credit_code=scope.credit_code,
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    record_event(actor, "token.create", "token", token.id, role=scope.role, name=scope.name)
    return token, plain


def actor_for_token(plain: str) -> Actor | None:
    """The Actor behind a bearer token, or None when unknown or revoked."""
    token = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == token_hash(plain), ApiToken.revoked_at.is_(None)
        )
    )
    return None if token is None else actor_from_scope(token, f"token:{token.id}")


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


def create_account(actor: Actor, username: str, password: str, scope: Scope) -> Account:
    """Create a web login bound to `scope` (scrypt password hash)."""
    username = check_text((username or "").strip(), "username", field="username")
    errors = []
    if not username or len(username) > 64:
        errors.append(
            field_error("invalid_username", "用户名不能为空且不超过64个字符", field="username")
        )
    elif db.session.scalar(sa.select(Account.id).where(Account.username == username)):
        errors.append(field_error("username_taken", "该用户名已被使用", field="username"))
    weak = password_problem(password or "")
    if weak:
        errors.append(field_error("weak_password", weak, field="password"))
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
            Account.username == (username or "").strip(), Account.disabled_at.is_(None)
        )
    )
    if account is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return account if check_password_hash(account.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    """Stop a token from working (a leaked token, a person who left); the row stays."""
    from jxjd.errors import NotFound

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"令牌 {token_id} 不存在")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(actor, "token.revoke", "token", token.id, role=token.role, name=token.name)
        db.session.flush()
    return token


def list_tokens() -> list[ApiToken]:
    """Every token (hashes are never shown), newest first."""
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())))
