"""The pages: sign in and out, register, activation letters, change password."""

from __future__ import annotations

from flask import (
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from jxjd.accounts import activation, bp
from jxjd.accounts.models import ActivationCode
from jxjd.accounts.services import authenticate, change_password, end_sessions
from jxjd.accounts.views import letter_page, register, send_otp
from jxjd.auth import current_actor
from jxjd.errors import Conflict, TooManyRequests, ValidationFailed, field_error
from jxjd.extensions import db, limiter
from jxjd.forms import FormErrors, place_errors, submit
from jxjd.people.models import Person
from jxjd.transactions import attempt
from jxjd.web import page, safe_next

HOME_BY_ROLE = {
    "admin": "bases.bases_page",
    "dept": "bases.bases_page",
    "base": "sessions.sessions_page",
    "applicant": "applications.applications_page",
    "person": "archive.me_page",
    "employer": "archive.shared_page",
}
REGISTER_FIELDS = ("id_number", "name", "code", "username")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])  # password guessing, per client address
@page("account.sign_in")
def login_page():
    """Sign in with username and password."""
    if request.method == "POST":
        account = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if account is None:
            # The username comes back as typed; the password never does.
            typed = request.form.get("username", "")
            return render_template("accounts/login.html", username=typed, failed=True), 401
        # A new session: nothing from before sign-in (a CSRF token planted or seen then) carries on.
        session.clear()
        g.pop("csrf_token", None)
        login_user(account)
        endpoint = HOME_BY_ROLE.get(account.role, "main.home")
        return redirect(safe_next(request.args.get("next"), url_for(endpoint)))
    return render_template("accounts/login.html")


@bp.post("/logout")
@page("account.sign_in")
def logout_page():
    """Sign out: this account's session cookies stop working on the server too."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("accounts.login_page"))


@bp.route("/account/password", methods=["GET", "POST"])
@page("account.password")
def password_page():
    """Change one's own password; every session (this one too) ends."""
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        if form.get("new", "") != form.get("new2", ""):
            errors.append("两次输入的新密码不一致")
        else:
            account = current_user._get_current_object()
            _, problem = attempt(
                lambda: change_password(current_actor(), account, form["current"], form["new"])
            )
            if isinstance(problem, ValidationFailed):
                errors += [e["message"] for e in problem.errors or []]
            elif problem is not None:
                raise problem
        if not errors:
            logout_user()
            session.clear()
            flash("密码已修改，请用新密码重新登录", "success")
            return redirect(url_for("accounts.login_page"))
    return render_template("accounts/password.html", errors=errors), 422 if errors else 200


REGISTER_LABELS = {
    "id_number": "身份证号",
    "name": "姓名",
    "code": "验证码",
    "username": "用户名",
    "password": "密码",
    "password2": "再次输入密码",
}
# The register form's failures shown beside the form; any other problem is the error page's.
REGISTER_PROBLEMS = (ValidationFailed, TooManyRequests, activation.RegistrationRefused, Conflict)


def _register_step(typed: dict[str, str]) -> str | None:
    """One press of the register form: the notice after a code request, None once registered."""
    form = request.form
    if form.get("action") == "otp":
        missing = [key for key in ("id_number", "name") if not typed[key].strip()]
        if missing:
            what = "和".join(REGISTER_LABELS[key] for key in missing)
            message = f"请先填写{what}，再获取短信验证码"
            raise ValidationFailed([field_error("required", message, field=missing[0])])
        send_otp(typed["id_number"][:32], typed["name"][:50])
        return str(activation.OTP_ACCEPTED["message"])
    if form.get("password", "") != form.get("password2", ""):
        mismatch = field_error("password_mismatch", "两次输入的密码不一致", field="password2")
        raise ValidationFailed([mismatch])
    register({**typed, "password": form.get("password", "")})
    return None


@bp.route("/register", methods=["GET", "POST"])
@page("account.register")
def register_page():
    """A professional opens their account: an SMS code or an activation code, then a login."""
    typed = {k: request.form.get(k, "") for k in REGISTER_FIELDS}
    if request.method == "GET":
        return render_template("accounts/register.html", form=typed, errors=FormErrors())
    notice, problem = attempt(lambda: _register_step(typed))
    if problem is None and notice is None:
        flash("注册成功，请用新设置的用户名和密码登录", "success")
        return redirect(url_for("accounts.login_page", next=url_for("archive.me_page")))
    if problem is not None and not isinstance(problem, REGISTER_PROBLEMS):
        raise problem
    headers: dict[str, str] = {}
    if isinstance(problem, TooManyRequests):
        retry = problem.extra.get("retry_after", 60)
        problem = TooManyRequests(f"尝试次数过多，请 {retry} 秒后再试")
        headers = {"Retry-After": str(retry)}
    errors = place_errors(problem, REGISTER_LABELS)
    html = render_template("accounts/register.html", form=typed, errors=errors, notice=notice)
    return html, (problem.status if problem else 200), headers


ACTIVATION_LABELS = {"id_number": "身份证号", "name": "姓名"}
LETTER = "jxjd_activation_letter"  # the code of the letter just made, for the page it opens


def _activation_html(errors: FormErrors | None) -> str:
    form = {k: request.form.get(k, "") for k in ACTIVATION_LABELS}
    return render_template("accounts/activation.html", form=form, errors=errors or FormErrors())


@bp.route("/activation-codes", methods=["GET", "POST"])
@page("activation.create")
def activation_page():
    """An admin or department makes an activation code and prints the letter."""
    if request.method == "GET":
        return _activation_html(None)
    typed = {k: request.form.get(k, "") for k in ACTIVATION_LABELS}

    def done(letter: activation.Letter):
        # Post/redirect/get: reloading the letter never makes a new code (which would void this one).
        session[LETTER] = {"id": letter.row.id, "code": letter.code}
        return redirect(url_for("accounts.activation_letter_page"))

    return submit(
        lambda: activation.create_activation_code(
            current_actor(), typed["id_number"], typed["name"]
        ),
        done=done,
        again=_activation_html,
        place=ACTIVATION_LABELS,
    )


@bp.get("/activation-codes/letter")
@page("activation.create")
def activation_letter_page():
    """The letter just made, to print; its code lives only in this browser's session."""
    kept = session.get(LETTER) or {}
    row = db.session.get(ActivationCode, kept.get("id", 0))
    person = db.session.get(Person, row.person_id) if row is not None else None
    if row is None or row.used_at is not None or person is None:
        flash("没有待打印的激活通知书，请重新生成", "error")
        return redirect(url_for("accounts.activation_page"))
    letter = activation.Letter(person=person, code=kept["code"], expires_at=row.expires_at, row=row)
    resp = make_response(letter_page(letter))
    resp.headers["Cache-Control"] = "no-store"
    return resp
