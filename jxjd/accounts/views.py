"""Tokens, accounts and opening a person's account: the API (the pages are in pages.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, render_template, request

from jxjd.accounts import activation, bp
from jxjd.accounts.models import Account
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
from jxjd.auth import current_actor
from jxjd.common.crypto import id_lookup_hash
from jxjd.common.ids import normalize_id_number
from jxjd.common.paging import page_args, paginated
from jxjd.extensions import db
from jxjd.openapi import Body, doc
from jxjd.people.models import Person
from jxjd.throttle import Counter, client_key, refuse_if_over
from jxjd.transactions import after_commit

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
@doc(
    "创建访问令牌（令牌只显示这一次；days 为有效天数，默认 365；"
    "employer、applicant 须绑定 credit_code）",
    action="token.manage",
    body=TokenArgs,
    response=TokenSchema,
    status=201,
    tags=["tokens"],
    errors=(422,),
)
def create_token_view(args: Body):
    """Issue a token for a role and scope."""
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
    return TokenSchema().dump(body)


@bp.get("/api/v1/tokens")
@doc(
    "访问令牌列表（只显示前缀，不显示令牌本身；分页 page、per_page，X-Total-Count 与 Link）",
    action="token.manage",
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
@doc(
    "停用访问令牌",
    action="token.manage",
    response=TokenInfoSchema,
    tags=["tokens"],
    errors=(404,),
)
def revoke_token_view(token_id: int):
    """Revoke a token at once; requests with it get 401 from then on."""
    return revoke_token(current_actor(), token_id)


# ---- accounts ---------------------------------------------------------------------------------


@bp.get("/api/v1/accounts")
@doc(
    "网页登录账号列表（可按 role 筛选；分页 page、per_page）",
    action="account.manage",
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
@doc(
    "停用网页账号：不能再登录，所有已登录的会话立即失效（留痕）",
    action="account.manage",
    response=AccountSchema,
    tags=["accounts"],
    errors=(404,),
)
def disable_account_view(account_id: int):
    """Disable an account and end its sessions."""
    return disable_account(current_actor(), get_account(account_id))


@bp.post("/api/v1/accounts/<int:account_id>/enable")
@doc(
    "恢复已停用的网页账号（留痕）",
    action="account.manage",
    response=AccountSchema,
    tags=["accounts"],
    errors=(404,),
)
def enable_account_view(account_id: int):
    """Let a disabled account sign in again."""
    return enable_account(current_actor(), get_account(account_id))


@bp.post("/api/v1/people/<int:person_id>/account/reset")
@doc(
    "重置专业技术人员账号：所有会话立即失效，登录密码作废，未使用的激活码和验证码作废；"
    "本人须凭新的激活码或短信验证码重新注册（留痕）",
    action="account.manage",
    response=AccountSchema,
    tags=["accounts"],
    errors=(404,),
)
def reset_account_view(person_id: int):
    """Reset a person's account so that they activate it again."""
    return reset_person_account(current_actor(), person_id)


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
@doc(
    "生成激活码（14 天内有效、只能使用一次；主管部门仅限在本部门基地参加过培训的人员）。"
    "请求头 Accept: text/html 时返回可打印的激活通知书（A4）",
    action="activation.create",
    body=ActivationArgs,
    response=ActivationSchema,
    status=201,
    tags=["accounts"],
    errors=(404, 409, 422),
)
def create_activation_code_view(args: Body):
    """A single-use activation code for one person, as JSON or as the printable letter."""
    letter = activation.create_activation_code(current_actor(), args["id_number"], args["name"])
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        resp: Response = current_app.make_response((letter_page(letter), 201))
    else:
        body = {
            "code": letter.code,
            "expires_at": letter.expires_at,
            "person_id": letter.person.id,
            "name": letter.person.name,
            "id_masked": letter.person.id_masked,
        }
        resp = current_app.make_response((ActivationSchema().dump(body), 201))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def send_otp(id_number: str, name: str) -> None:
    """Apply the code-request limits, then maybe send a code; the caller answers the same."""
    id_key, client = _id_key(id_number), client_key()
    refuse_if_over((OTP_BY_ID, id_key), (OTP_BY_CLIENT, client))
    OTP_BY_ID.hit(id_key)
    OTP_BY_CLIENT.hit(client)
    outgoing = activation.request_otp(id_number, name)
    if outgoing is not None:  # sent once the code it carries is committed
        sender = sender_for(current_app)
        after_commit(lambda: deliver(sender, outgoing.to, outgoing.text))


@bp.post("/api/v1/register/otp")
@doc(
    "申请注册短信验证码（6 位，10 分钟内有效，发送至名单登记的手机号）。"
    "无论该人员是否在册、是否登记手机号，回答都是同一个 202",
    action="account.register",
    body=OtpArgs,
    response=OtpAcceptedSchema,
    status=202,
    tags=["accounts"],
    public=True,
    errors=(400, 422, 429),
)
def request_otp_view(args: Body):
    """Send a registration code to the mobile number on record, if any."""
    send_otp(args["id_number"], args["name"])
    return OtpAcceptedSchema().dump(activation.OTP_ACCEPTED)


def register(args: Mapping[str, Any]) -> Account:
    """Apply the attempt limits and open the account; a refusal uses up one attempt."""
    id_key, client = _id_key(args["id_number"]), client_key()
    refuse_if_over((REGISTER_BY_ID, id_key), (REGISTER_BY_CLIENT, client))
    try:
        account = activation.register_person(
            args["id_number"], args["name"], args["code"], args["username"], args["password"]
        )
    except activation.RegistrationRefused:
        REGISTER_BY_ID.hit(id_key)
        REGISTER_BY_CLIENT.hit(client)
        raise
    return account


@bp.post("/api/v1/register")
@doc(
    "专业技术人员注册（凭激活码或短信验证码）。任何不匹配（人员不存在、姓名不符、验证码错误、"
    "过期或已使用、已注册）都得到同一个 422 registration_refused；同一身份证号一小时内失败 5 次"
    "或同一客户端失败 20 次后 429",
    action="account.register",
    body=RegisterArgs,
    response=RegisteredSchema,
    status=201,
    tags=["accounts"],
    public=True,
    errors=(400, 409, 422, 429),
)
def register_view(args: Body):
    """Open a person's web account with a one-time code."""
    account = register(dict(args))
    person = db.session.get_one(Person, account.person_id)
    body = {
        "id": account.id,
        "username": account.username,
        "role": account.role,
        "name": account.name,
        "id_masked": person.id_masked,
    }
    return RegisteredSchema().dump(body)
