"""CONTRACT §7 (verifying half): the public verify API, the phone page, the serial form."""

from __future__ import annotations

import math
import time

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import TooManyRequests as HTTPTooManyRequests

from jxjd.errors import BadRequest, TooManyRequests, render_problem, wants_json
from jxjd.extensions import limiter
from jxjd.openapi import doc
from jxjd.verify import bp, services
from jxjd.verify.schemas import VerificationSchema, dump_verification

# Each step as people read it: (what was checked, passed, failed).
CHECK_LABELS = {
    "well_formed": ("二维码内容", "格式正确", "格式不正确"),
    "key_known": ("签名密钥", "为本系统发布的密钥", "不是本系统发布的密钥"),
    "signature": ("电子签名", "校验通过，内容未被篡改", "校验未通过"),
    "payload_matches": ("登记信息", "与签名内容一致", "与签名内容不一致或未登记"),
    "status": ("证书状态", "未撤销", "已撤销"),
}


def _fail_limit() -> str:
    return current_app.config["JXJD_VERIFY_FAIL_LIMIT"]


def _lookup_failed(_response) -> bool:
    """Only invalid and not-found look-ups use up the client's allowance."""
    return bool(g.get("verify_failed"))


# One bucket per client for the API and the page; valid look-ups are tested, never deducted.
failed_lookups = limiter.shared_limit(
    _fail_limit, scope="verify-failures", deduct_when=_lookup_failed
)


def _verify(token: str | None, serial: str | None) -> services.Verification:
    outcome = services.verify_certificate(token=token, serial=serial)
    g.verify_failed = outcome.failed
    return outcome


def _no_store(resp):
    # A certificate can be revoked at any moment: never serve a cached verdict.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/v1/verify")
@doc(
    "验证电子证书（扫码令牌 t 或证书编号 serial）",
    response=VerificationSchema,
    tags=["verify"],
    public=True,
    query={
        "t": "二维码中的签名令牌（compact JWS）",
        "serial": "证书编号；与 t 同时提供时须与令牌中的编号一致",
    },
    errors=(400, 429),
)
@failed_lookups
def verify_api():
    """Verify a certificate: valid, revoked, invalid or not_found, with every step that ran."""
    token = request.args.get("t", "").strip() or None
    serial = request.args.get("serial", "").strip() or None
    if token is None and serial is None:
        raise BadRequest("请提供二维码令牌 t 或证书编号 serial", code="missing_parameter")
    outcome = _verify(token, serial)
    return _no_store(current_app.json.response(dump_verification(outcome)))


@bp.get("/v/<serial>")
@failed_lookups
def verify_page(serial: str):
    """The page a phone opens after scanning a certificate's QR code."""
    token = request.args.get("t", "").strip() or None
    outcome = _verify(token, serial)
    html = render_template("verify/result.html", v=outcome, check_labels=CHECK_LABELS)
    return _no_store(current_app.make_response(html))


@bp.get("/verify")
def verify_form():
    """Verify by serial (the home page form): go to the certificate's page."""
    serial = request.args.get("serial", "").strip()
    if serial:
        return redirect(url_for("verify.verify_page", serial=serial))
    return render_template("verify/form.html")


def _retry_after() -> int:
    """Seconds until the client's failed look-up window resets."""
    current = limiter.current_limit
    if current is not None:
        return max(1, math.ceil(current.reset_at - time.time()))
    return 60


@bp.errorhandler(429)
def _too_many(exc: HTTPTooManyRequests):
    """429 with Retry-After: problem+json for the API, a Chinese page for people."""
    retry = _retry_after()
    headers = {"Retry-After": str(retry)}
    problem = TooManyRequests(
        f"查询失败次数过多，请 {retry} 秒后再试", headers=headers, retry_after=retry
    )
    if wants_json():
        return render_problem(problem)
    html = render_template("verify/limited.html", retry=retry)
    return html, 429, headers
