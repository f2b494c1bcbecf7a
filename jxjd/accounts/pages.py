"""The pages: sign in and out, register, activation letters, change password."""

from __future__ import annotations

from flask import (
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from jxjd.accounts import activation, bp
from jxjd.accounts.services import authenticate, change_password, end_sessions
from jxjd.auth import current_actor
from jxjd.errors import Conflict, Problem, TooManyRequests, ValidationFailed
from jxjd.extensions import db, limiter
from jxjd.web import require_page, safe_next

HOME_BY_ROLE = {
    "admin": "bases.bases_page",
    "dept": "bases.bases_page",
    "base": "sessions.sessions_page",
    "applicant": "applications.applications_page",
    "person": "archive.me_page",
    "employer": "archive.shared_page",
}
REGISTER_FIELDS = ("id_number", "name", "code", "username")


@bp.after_app_request
def _no_store_when_signed_in(resp):
    """Responses for a signed-in account or a bearer token are never kept by browsers or proxies."""
    if request.path.startswith("/static/"):
        return resp
    # Decided from the request alone: loading the account here could fail again while an error
    # page (e.g. database unavailable) is being sent. A stale login cookie costs only a cache miss.
    if g.get("actor") is not None or "_user_id" in session or "Authorization" in request.headers:
        resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])  # password guessing, per client address
def login_page():
    """Sign in with username and password."""
    if request.method == "POST":
        account = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if account is None:
            flash("用户名或密码不正确", "error")
            return render_template("accounts/login.html"), 401
        # A new session: nothing from before sign-in (a CSRF token planted or seen then) carries on.
        session.clear()
        g.pop("csrf_token", None)
        login_user(account)
        endpoint = HOME_BY_ROLE.get(account.role, "main.home")
        return redirect(safe_next(request.args.get("next"), url_for(endpoint)))
    return render_template("accounts/login.html")


@bp.post("/logout")
def logout_page():
    """Sign out: this account's session cookies stop working on the server too."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("accounts.login_page"))


@bp.route("/account/password", methods=["GET", "POST"])
@require_page(roles={"admin", "dept", "base", "employer", "person", "applicant"})
def password_page():
    """Change one's own password; every session (this one too) ends."""
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        if form.get("new", "") != form.get("new2", ""):
            errors.append("两次输入的新密码不一致")
        else:
            try:
                change_password(
                    current_actor(),
                    current_user._get_current_object(),
                    form["current"],
                    form["new"],
                )
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                errors += [e["message"] for e in exc.errors or []]
        if not errors:
            logout_user()
            session.clear()
            flash("密码已修改，请用新密码重新登录", "success")
            return redirect(url_for("accounts.login_page"))
    return render_template("accounts/password.html", errors=errors), 422 if errors else 200


@bp.route("/register", methods=["GET", "POST"])
def register_page():
    """A professional opens their account: an SMS code or an activation code, then a login."""
    from jxjd.accounts.views import register, send_otp

    form = request.form
    typed = {k: form.get(k, "") for k in REGISTER_FIELDS}
    if request.method == "GET":
        return render_template("accounts/register.html", form=typed)
    errors: list[str] = []
    notice = None
    status = 200
    headers: dict[str, str] = {}
    try:
        if form.get("action") == "otp":
            if not typed["id_number"].strip() or not typed["name"].strip():
                errors.append("请先填写身份证号和姓名，再获取短信验证码")
                status = 422
            else:
                send_otp(typed["id_number"][:32], typed["name"][:50])
                notice = activation.OTP_ACCEPTED["message"]
        elif form.get("password", "") != form.get("password2", ""):
            errors.append("两次输入的密码不一致")
            status = 422
        else:
            register({**typed, "password": form.get("password", "")})
            flash("注册成功，请用新设置的用户名和密码登录", "success")
            return redirect(url_for("accounts.login_page", next=url_for("archive.me_page")))
    except TooManyRequests as exc:
        db.session.rollback()
        retry = exc.extra.get("retry_after", 60)
        errors.append(f"尝试次数过多，请 {retry} 秒后再试")
        status, headers = 429, {"Retry-After": str(retry)}
    except ValidationFailed as exc:
        db.session.rollback()
        errors += [e["message"] for e in exc.errors or []]
        status = 422
    except (activation.RegistrationRefused, Conflict) as exc:
        db.session.rollback()
        errors.append(exc.detail)
        status = exc.status
    html = render_template("accounts/register.html", form=typed, errors=errors, notice=notice)
    return html, status, headers


@bp.route("/activation-codes", methods=["GET", "POST"])
@require_page(roles={"admin", "dept"})
def activation_page():
    """An admin or department makes an activation code and prints the letter."""
    from jxjd.accounts.views import letter_page

    typed = {k: request.form.get(k, "") for k in ("id_number", "name")}
    error = None
    if request.method == "POST":
        try:
            letter = activation.create_activation_code(
                current_actor(), typed["id_number"], typed["name"]
            )
            db.session.commit()
            return letter_page(letter)
        except Problem as exc:
            db.session.rollback()
            error = exc.detail
            return (
                render_template("accounts/activation.html", form=typed, error=error),
                exc.status,
            )
    return render_template("accounts/activation.html", form=typed, error=error)
