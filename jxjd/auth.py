"""Who is asking: bearer tokens for the API, session logins for the pages.

What the caller may do is the policy's (jxjd/access.py). The identity hooks (how a token or a
session cookie becomes an Actor) are registered by create_app with `init_app`, so this module
imports no feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user

from jxjd.errors import Unauthorized
from jxjd.extensions import login_manager


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
    actor = current_app.extensions[_TOKEN_RESOLVER](token.strip())
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


@overload
def current_actor(optional: Literal[False] = False) -> Actor: ...
@overload
def current_actor(optional: bool) -> Actor | None: ...


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


_TOKEN_RESOLVER = "jxjd_token_resolver"


def no_store_when_identified(resp: Response) -> Response:
    """Responses for a signed-in account or a bearer token are never kept by browsers or proxies."""
    if request.path.startswith("/static/"):
        return resp
    # Decided from the request alone: loading the account here could fail again while an error
    # page (e.g. database unavailable) is being sent. A stale login cookie costs only a cache miss.
    if g.get("actor") is not None or "_user_id" in session or "Authorization" in request.headers:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(
    app: Flask,
    *,
    resolve_token: Callable[[str], Actor | None],
    load_account: Callable[[str], Any],
) -> None:
    """Register how tokens and session cookies become callers, and the per-request hooks."""
    app.extensions[_TOKEN_RESOLVER] = resolve_token
    login_manager.user_loader(load_account)
    app.before_request(forget_request_identity)
    app.after_request(no_store_when_identified)
