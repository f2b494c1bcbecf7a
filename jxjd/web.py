"""Helpers shared by the HTML pages: login-required with roles, flash of problems."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask import redirect, request, url_for
from flask_login import current_user

from jxjd.errors import Forbidden


def require_page(roles: Iterable[str]) -> Callable:
    """Decorator for pages: sign in first (redirect), then the role must be one of `roles`."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login_page", next=request.full_path))
            if current_user.role not in allowed:
                raise Forbidden("当前账号无权访问此页面")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no scheme, host or tricks)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers drop tabs and newlines and read backslashes as slashes: "/\t/evil" → "//evil".
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target


# (endpoint, label, roles that see it) for the header navigation, in display order.
NAV_ITEMS: list[tuple[str, str, frozenset[str]]] = [
    ("bases.bases_page", "基地", frozenset({"admin", "dept", "base"})),
    ("plans.plans_page", "年度计划", frozenset({"admin", "dept", "base"})),
    ("sessions.sessions_page", "培训班次", frozenset({"base"})),
    ("reports.reports_page", "年度报告", frozenset({"admin", "dept"})),
    (
        "applications.applications_page",
        "基地申报与备案",
        frozenset({"admin", "dept", "base", "applicant"}),
    ),
    ("archive.me_page", "我的证书", frozenset({"person"})),
    ("archive.me_archive_page", "学时档案", frozenset({"person"})),
    ("archive.me_grants_page", "授权查询", frozenset({"person"})),
    ("archive.shared_page", "学时档案核验", frozenset({"employer", "admin"})),
    ("evaluations.evaluations_page", "基地评估", frozenset({"admin"})),
    ("accounts.activation_page", "账号激活通知书", frozenset({"admin", "dept"})),
]
