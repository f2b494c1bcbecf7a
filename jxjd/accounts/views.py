"""POST /api/v1/tokens; the sign-in and sign-out pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from jxjd.accounts import bp
from jxjd.accounts.schemas import TokenArgs, TokenSchema
from jxjd.accounts.services import (
    authenticate,
    create_token,
    list_tokens,
    resolve_scope,
    revoke_token,
)
from jxjd.auth import current_actor, forget_request_identity, require
from jxjd.common.schema import json_body, load
from jxjd.common.time import isoformat
from jxjd.extensions import db, limiter
from jxjd.openapi import doc
from jxjd.people.models import Person
from jxjd.web import safe_next

HOME_BY_ROLE = {
    "admin": "bases.bases_page",
    "dept": "bases.bases_page",
    "base": "sessions.sessions_page",
    "applicant": "applications.applications_page",
    "person": "archive.me_page",
    "employer": "archive.shared_page",
}


bp.before_app_request(forget_request_identity)


@bp.post("/api/v1/tokens")
@require(roles={"admin"})
@doc(
    "创建访问令牌（令牌只显示这一次）",
    body=TokenArgs,
    response=TokenSchema,
    status=201,
    tags=["tokens"],
    errors=(422,),
)
def create_token_view():
    """Issue a token for a role and scope."""
    args = load(TokenArgs(), json_body())
    scope = resolve_scope(
        args["role"],
        args["name"],
        base_id=args["base_id"],
        department=args["department"],
        id_number=args["id_number"],
        credit_code=args["credit_code"],
    )
    token, plain = create_token(current_actor(), scope)
    db.session.commit()
    person = db.session.get(Person, token.person_id) if token.person_id else None
    body = {
        "id": token.id,
        "token": plain,
        "role": token.role,
        "name": token.name,
        "base_id": token.base_id,
        "department": token.department,
        "credit_code": token.credit_code,
        "id_masked": person.id_masked if person else None,
        "created_at": token.created_at,
    }
    return TokenSchema().dump(body), 201


def _token_info(token) -> dict:
    return {
        "id": token.id,
        "prefix": token.prefix,
        "role": token.role,
        "name": token.name,
        "base_id": token.base_id,
        "department": token.department,
        "credit_code": token.credit_code,
        "created_at": isoformat(token.created_at),
        "revoked_at": isoformat(token.revoked_at),
    }


@bp.get("/api/v1/tokens")
@require(roles={"admin"})
@doc("访问令牌列表（只显示前缀，不显示令牌本身）", tags=["tokens"])
def list_tokens_view():
    """Every token with its role, scope and state."""
    return {"tokens": [_token_info(t) for t in list_tokens()]}


@bp.delete("/api/v1/tokens/<int:token_id>")
@require(roles={"admin"})
@doc("停用访问令牌", tags=["tokens"], errors=(404,))
def revoke_token_view(token_id: int):
    """Revoke a token at once; requests with it get 401 from then on."""
    token = revoke_token(current_actor(), token_id)
    db.session.commit()
    return _token_info(token)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])  # password guessing, per client address
def login_page():
    """Sign in with username and password."""
    if request.method == "POST":
        account = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if account is None:
            flash("用户名或密码不正确", "error")
            return render_template("accounts/login.html"), 401
        login_user(account)
        endpoint = HOME_BY_ROLE.get(account.role, "main.home")
        return redirect(safe_next(request.args.get("next"), url_for(endpoint)))
    return render_template("accounts/login.html")


@bp.post("/logout")
def logout_page():
    """Sign out."""
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("accounts.login_page"))
