"""Helpers shared by the HTML pages: sign-in and the policy's verdict, safe redirects, the menu."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from jxjd import access
from jxjd.auth import current_actor


def names_action(action: str) -> Callable:
    """For a route that checks its caller itself (e.g. /metrics, which also takes its own token):
    names the action it performs, so the policy and the permission matrix cover it."""
    access.rule(action)

    def decorator(view: Callable) -> Callable:
        vars(view).update(action=action)
        return view

    return decorator


def page(action: str, *, performs: tuple[str, ...] = ()) -> Callable:
    """Decorator for pages: sign in first (redirect), then the policy decides on the role.

    `action` is what the page is for (the policy checks the caller's role for it; a public
    action needs no sign-in); `performs` lists the other actions its forms lead to, which the
    services authorize on their objects.
    """
    public = access.PUBLIC in access.roles_for(action)
    for other in performs:
        access.rule(other)  # a KeyError at import for an action the policy does not know

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if not public:
                if not current_user.is_authenticated:
                    return redirect(url_for("accounts.login_page", next=request.full_path))
                access.authorize(current_actor(), action)
            return view(*args, **kwargs)

        vars(wrapper).update(action=action, performs=performs)
        return wrapper

    return decorator


def can(action: str, obj: Any = None) -> bool:
    """For templates: may the signed-in caller (or an anonymous one) perform `action`?"""
    return access.can(current_actor(optional=True), action, obj)


def limited(action: str) -> bool:
    """For templates: does the caller's permission for `action` reach only some objects?"""
    relation = access.rule(action).who.get(access.role_of(current_actor(optional=True)))
    return relation is not None and relation is not access.ANY


def nav_allowed(endpoint: str) -> bool:
    """For the header: may the signed-in caller open the page at `endpoint`?"""
    action = getattr(current_app.view_functions[endpoint], "action", None)
    return action is not None and can(action)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no scheme, host or tricks)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers drop tabs and newlines and read backslashes as slashes: "/\t/evil" → "//evil".
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target


# (endpoint, label) for the header navigation, in display order; each shows to the callers the
# policy lets open that page.
NAV_ITEMS: list[tuple[str, str]] = [
    ("bases.bases_page", "基地"),
    ("plans.plans_page", "年度计划"),
    ("sessions.sessions_page", "培训班次"),
    ("reports.reports_page", "年度报告"),
    ("applications.applications_page", "基地申报与备案"),
    ("archive.me_page", "我的证书"),
    ("archive.me_archive_page", "学时档案"),
    ("archive.me_grants_page", "授权查询"),
    ("credits.my_credits_page", "学时认定申报"),
    ("credits.queue_page", "学时认定审核"),
    ("credits.enter_page", "学时认定录入"),
    ("archive.shared_page", "学时档案核验"),
    ("evaluations.evaluations_page", "基地评估"),
    ("accounts.activation_page", "账号激活通知书"),
    ("console.dashboard_page", "待办"),
    ("console.spot_checks_page", "抽查"),
    ("console.certificates_page", "撤销证书"),
    ("console.departments_page", "主管部门"),
    ("console.history_page", "审核记录"),
]
