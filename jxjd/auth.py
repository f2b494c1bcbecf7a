"""Who is asking: bearer tokens for the API, session logins for the pages, and scope checks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import g, request
from flask_login import current_user

from jxjd.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Actor:
    """The authenticated caller with its role and scope."""

    role: str
    name: str
    ref: str  # "token:12", "account:3", "cli", "system"
    base_id: int | None = None
    department: str | None = None
    person_id: int | None = None
    credit_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor(role="admin", name="system", ref="system")
CLI = Actor(role="admin", name="cli", ref="cli")


def actor_from_scope(obj: Any, ref: str) -> Actor:
    """An Actor from a token or account row."""
    return Actor(
        role=obj.role,
        name=obj.name,
        ref=ref,
        base_id=obj.base_id,
        department=obj.department,
        person_id=obj.person_id,
        credit_code=obj.credit_code,
    )


def _bearer_actor() -> Actor | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization 头格式应为 Bearer <token>")
    from jxjd.accounts.services import actor_for_token

    actor = actor_for_token(token.strip())
    if actor is None:
        raise Unauthorized("访问令牌无效或已停用")
    return actor


# Per-request state that Flask, Flask-Login and Flask-WTF keep on `g`. `g` lives as long as the
# app context, and a request reuses an app context that is already pushed (the test suite, scripts
# driving a test client), so without clearing it one caller's identity and CSRF verdict would carry
# over to the next request.
_REQUEST_STATE = ("actor", "_login_user", "csrf_token", "csrf_valid")


def forget_request_identity() -> None:
    """Drop the previous request's caller, login and CSRF state from `g` (before every request)."""
    for key in _REQUEST_STATE:
        g.pop(key, None)


def current_actor(optional: bool = False) -> Actor | None:
    """The caller: bearer token on API paths, the logged-in account on pages."""
    if "actor" in g:
        return g.actor
    actor: Actor | None
    if request.path.startswith("/api/"):
        actor = _bearer_actor()
    else:
        actor = None
        if current_user.is_authenticated:
            actor = current_user.actor
    if actor is None and not optional:
        raise Unauthorized()
    g.actor = actor
    return actor


def require(roles: Iterable[str]) -> Callable:
    """Decorator: the caller must be authenticated with one of `roles`."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            actor = current_actor()
            if actor.role not in allowed:
                raise Forbidden(f"当前角色（{actor.role}）无权执行此操作")
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # read by the OpenAPI builder
        return wrapper

    return decorator
