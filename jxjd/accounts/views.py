"""Tokens, accounts and opening a person's account: the API (the pages are in pages.py)."""

from __future__ import annotations

from flask import current_app, render_template, request

from jxjd.accounts import activation, bp
from jxjd.accounts.schemas import (
    AccountListSchema,
    AccountSchema,
    ActivationArgs,
    ActivationSchema,
    OtpAcceptedSchema,
    OtpArgs,
    RegisterArgs,
    RegisteredSchema,
    TokenArgs,
    TokenInfoSchema,
    TokenListSchema,
    TokenSchema,
)
from jxjd.accounts.services import (
    create_token,
    disable_account,
    enable_account,
    get_account,
    list_accounts,
    list_tokens,
    reset_person_account,
    resolve_scope,
    revoke_token,
    token_days,
)
from jxjd.accounts.sms import deliver, sender_for
from jxjd.accounts.throttle import Counter, client_key, refuse_if_over
from jxjd.auth import current_actor, forget_request_identity, require
from jxjd.common.crypto import id_lookup_hash
from jxjd.common.ids import normalize_id_number
from jxjd.common.paging import page_args, paginated
from jxjd.common.schema import json_body, load
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.people.models import Person

bp.before_app_request(forget_request_identity)

# Registration attempts (CONTRACT §12): failures per ID number and per client; code requests per
# ID number and per client. Keys for ID numbers are their keyed hashes: the rate-limit store
# (Redis) never holds an ID number.
REGISTER_BY_ID = Counter("register-id", "JXJD_REGISTER_ID_LIMIT")
REGISTER_BY_CLIENT = Counter("register-client", "JXJD_REGISTER_CLIENT_LIMIT")
OTP_BY_ID = Counter("otp-id", "JXJD_OTP_ID_LIMIT")
OTP_BY_CLIENT = Counter("otp-client", "JXJD_OTP_CLIENT_LIMIT")


def _id_key(id_number: str) -> str:
    return id_lookup_hash(normalize_id_number(id_number or ""))


# ---- tokens -----------------------------------------------------------------------------------


@bp.post("/api/v1/tokens")
@require(roles={"admin"})
@doc(
    "创建访问令牌（令牌只显示这一次；days 为有效天数，默认 365；"
    "employer、applicant 须绑定 credit_code）",
    body=TokenArgs,
    response=TokenSchema,
    status=201,
    tags=["tokens"],
    errors=(422,),
)
def create_token_view():
    """Issue a token for a role and scope."""
    args = load(TokenArgs(), json_body())
    days = token_days(args["days"])
    scope = resolve_scope(
        args["role"],
        args["name"],
        base_id=args["base_id"],
        department=args["department"],
        id_number=args["id_number"],
        credit_code=args["credit_code"],
    )
    token, plain = create_token(current_actor(), scope, days=days)
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
        "expires_at": token.expires_at,
    }
    return TokenSchema().dump(body), 201


@bp.get("/api/v1/tokens")
@require(roles={"admin"})
@doc(
    "访问令牌列表（只显示前缀，不显示令牌本身；分页 page、per_page，X-Total-Count 与 Link）",
    response=TokenListSchema,
    tags=["tokens"],
    query={"page": "页码（默认 1）", "per_page": "每页条数（默认 50，最多 500）"},
    errors=(422,),
)
def list_tokens_view():
    """Tokens, newest first, with their scope, expiry, last use and state."""
    page, per_page = page_args()
    tokens, total = list_tokens(offset=(page - 1) * per_page, limit=per_page)
    return paginated(TokenListSchema().dump({"tokens": tokens}), total, page, per_page)


@bp.delete("/api/v1/tokens/<int:token_id>")
@require(roles={"admin"})
@doc("停用访问令牌", response=TokenInfoSchema, tags=["tokens"], errors=(404,))
def revoke_token_view(token_id: int):
    """Revoke a token at once; requests with it get 401 from then on."""
    token = revoke_token(current_actor(), token_id)
    db.session.commit()
    return TokenInfoSchema().dump(token)


# ---- accounts ---------------------------------------------------------------------------------


@bp.get("/api/v1/accounts")
@require(roles={"admin"})
@doc(
    "网页登录账号列表（可按 role 筛选；分页 page、per_page）",
    response=AccountListSchema,
    tags=["accounts"],
    query={"role": "角色", "page": "页码", "per_page": "每页条数（最多 500）"},
    errors=(422,),
)
def list_accounts_view():
    """Accounts, oldest first, with their state (disabled, reset)."""
    page, per_page = page_args()
    role = request.args.get("role") or None
    accounts, total = list_accounts(role, offset=(page - 1) * per_page, limit=per_page)
    return paginated(AccountListSchema().dump({"accounts": accounts}), total, page, per_page)


@bp.post("/api/v1/accounts/<int:account_id>/disable")
@require(roles={"admin"})
@doc(
    "停用网页账号：不能再登录，所有已登录的会话立即失效（留痕）",
    response=AccountSchema,
    tags=["accounts"],
    errors=(404,),
)
def disable_account_view(account_id: int):
    """Disable an account and end its sessions."""
    account = disable_account(current_actor(), get_account(account_id))
    db.session.commit()
    return AccountSchema().dump(account)


@bp.post("/api/v1/accounts/<int:account_id>/enable")
@require(roles={"admin"})
@doc("恢复已停用的网页账号（留痕）", response=AccountSchema, tags=["accounts"], errors=(404,))
def enable_account_view(account_id: int):
    """Let a disabled account sign in again."""
    account = enable_account(current_actor(), get_account(account_id))
    db.session.commit()
    return AccountSchema().dump(account)


@bp.post("/api/v1/people/<int:person_id>/account/reset")
@require(roles={"admin"})
@doc(
    "重置专业技术人员账号：所有会话立即失效，登录密码作废，未使用的激活码和验证码作废；"
    "本人须凭新的激活码或短信验证码重新注册（留痕）",
    response=AccountSchema,
    tags=["accounts"],
    errors=(404,),
)
def reset_account_view(person_id: int):
    """Reset a person's account so that they activate it again."""
    account = reset_person_account(current_actor(), person_id)
    db.session.commit()
    return AccountSchema().dump(account)


# ---- opening a person's account (CONTRACT §12) -------------------------------------------------


def letter_page(letter: activation.Letter) -> str:
    """The printable activation letter (A4)."""
    return render_template(
        "accounts/activation_letter.html",
        letter=letter,
        register_url=current_app.config["JXJD_PUBLIC_URL"] + "/register",
        days=activation.LETTER_DAYS,
        issuer=current_actor().name,
    )


@bp.post("/api/v1/people/activation-codes")
@require(roles={"admin", "dept"})
@doc(
    "生成激活码（14 天内有效、只能使用一次；主管部门仅限在本部门基地参加过培训的人员）。"
    "请求头 Accept: text/html 时返回可打印的激活通知书（A4）",
    body=ActivationArgs,
    response=ActivationSchema,
    status=201,
    tags=["accounts"],
    errors=(404, 409, 422),
)
def create_activation_code_view():
    """A single-use activation code for one person, as JSON or as the printable letter."""
    args = load(ActivationArgs(), json_body())
    letter = activation.create_activation_code(current_actor(), args["id_number"], args["name"])
    db.session.commit()
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        resp = current_app.make_response((letter_page(letter), 201))
    else:
        body = {
            "code": letter.code,
            "expires_at": letter.expires_at,
            "person_id": letter.person.id,
            "name": letter.person.name,
            "id_masked": letter.person.id_masked,
        }
        resp = current_app.json.response(ActivationSchema().dump(body))
        resp.status_code = 201
    resp.headers["Cache-Control"] = "no-store"
    return resp


def send_otp(id_number: str, name: str) -> None:
    """Apply the code-request limits, then maybe send a code; the caller answers the same."""
    id_key, client = _id_key(id_number), client_key()
    refuse_if_over((OTP_BY_ID, id_key), (OTP_BY_CLIENT, client))
    OTP_BY_ID.hit(id_key)
    OTP_BY_CLIENT.hit(client)
    outgoing = activation.request_otp(id_number, name)
    db.session.commit()
    if outgoing is not None:
        deliver(sender_for(current_app), outgoing.to, outgoing.text)


@bp.post("/api/v1/register/otp")
@doc(
    "申请注册短信验证码（6 位，10 分钟内有效，发送至名单登记的手机号）。"
    "无论该人员是否在册、是否登记手机号，回答都是同一个 202",
    body=OtpArgs,
    response=OtpAcceptedSchema,
    status=202,
    tags=["accounts"],
    public=True,
    errors=(400, 422, 429),
)
def request_otp_view():
    """Send a registration code to the mobile number on record, if any."""
    args = load(OtpArgs(), json_body())
    send_otp(args["id_number"], args["name"])
    return OtpAcceptedSchema().dump(activation.OTP_ACCEPTED), 202


def register(args: dict):
    """Apply the attempt limits and open the account; a refusal uses up one attempt."""
    id_key, client = _id_key(args["id_number"]), client_key()
    refuse_if_over((REGISTER_BY_ID, id_key), (REGISTER_BY_CLIENT, client))
    try:
        account = activation.register_person(
            args["id_number"], args["name"], args["code"], args["username"], args["password"]
        )
    except activation.RegistrationRefused:
        db.session.rollback()
        REGISTER_BY_ID.hit(id_key)
        REGISTER_BY_CLIENT.hit(client)
        raise
    db.session.commit()
    return account


@bp.post("/api/v1/register")
@doc(
    "专业技术人员注册（凭激活码或短信验证码）。任何不匹配（人员不存在、姓名不符、验证码错误、"
    "过期或已使用、已注册）都得到同一个 422 registration_refused；同一身份证号一小时内失败 5 次"
    "或同一客户端失败 20 次后 429",
    body=RegisterArgs,
    response=RegisteredSchema,
    status=201,
    tags=["accounts"],
    public=True,
    errors=(400, 409, 422, 429),
)
def register_view():
    """Open a person's web account with a one-time code."""
    account = register(load(RegisterArgs(), json_body()))
    person = db.session.get(Person, account.person_id)
    body = {
        "id": account.id,
        "username": account.username,
        "role": account.role,
        "name": account.name,
        "id_masked": person.id_masked,
    }
    return RegisteredSchema().dump(body), 201


from jxjd.accounts import pages  # noqa: E402, F401  (registers the HTML pages on `bp`)
