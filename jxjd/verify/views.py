"""CONTRACT §7 (verifying half): the public verify API, the phone page, the serial form."""

from __future__ import annotations

import functools
import math
import time

from flask import current_app, g, redirect, render_template, request, url_for
from limits import RateLimitItem, parse
from werkzeug.exceptions import TooManyRequests as HTTPTooManyRequests

from jxjd import metrics
from jxjd.errors import BadRequest, TooManyRequests, render_problem, wants_json
from jxjd.extensions import limiter
from jxjd.openapi import doc
from jxjd.verify import bp, services
from jxjd.verify.schemas import VerificationSchema, dump_verification
from jxjd.web import page

# Each step as people read it: (what was checked, passed, failed).
CHECK_LABELS = {
    "well_formed": ("二维码内容", "格式正确", "格式不正确"),
    "key_known": ("签名密钥", "为本系统发布的密钥", "不是本系统发布的密钥"),
    "signature": ("电子签名", "校验通过，内容未被篡改", "校验未通过"),
    "key_window": ("密钥有效期", "签发时在密钥有效期内", "不在密钥有效期内或密钥已宣布泄露"),
    "payload_matches": ("登记信息", "与签名内容一致", "与签名内容不一致或未登记"),
    "status": ("证书状态", "未撤销", "已撤销"),
}


# Failed look-ups per client, shared by the API and the page. The check runs on the strategy of
# the app's Flask-Limiter (same storage, reset and configuration) but without its per-route
# decorator machinery, which cost more than the verification itself on this hot public path:
# every look-up tests the client's allowance; only invalid and not-found ones use it up. Using it
# up is one atomic increment in the shared store, and a failure that finds the allowance already
# spent (a concurrent look-up on another worker took the last one) is refused too, so the
# clients' failed look-ups answered are exactly the limit, however many workers serve them.
_SCOPE = "verify-failures"


@functools.lru_cache(maxsize=8)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


def _allowance() -> tuple[RateLimitItem, str]:
    return _parsed(current_app.config["JXJD_VERIFY_FAIL_LIMIT"]), request.remote_addr or "-"


def _refuse(item: RateLimitItem, client: str) -> None:
    """429 (via the handler below): the client has used up its failed look-ups."""
    reset_at = limiter.limiter.get_window_stats(item, _SCOPE, client).reset_time
    g.verify_retry_after = max(1, math.ceil(reset_at - time.time()))
    raise HTTPTooManyRequests()


def _verify(token: str | None, serial: str | None) -> services.Verification:
    item, client = _allowance()
    if not limiter.limiter.test(item, _SCOPE, client):
        _refuse(item, client)
    outcome = services.verify_certificate(token=token, serial=serial)
    metrics.verified(outcome.result)
    if outcome.failed and not limiter.limiter.hit(item, _SCOPE, client):
        _refuse(item, client)
    return outcome


def _no_store(resp):
    # A certificate can be revoked at any moment: never serve a cached verdict.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/v1/verify")
@doc(
    "验证电子证书（扫码令牌 t 或证书编号 serial）",
    action="certificate.verify",
    response=VerificationSchema,
    public=True,
    query={
        "t": "二维码中的签名令牌（compact JWS）",
        "serial": "证书编号；与 t 同时提供时须与令牌中的编号一致",
    },
    errors=(400, 429),
)
def verify_api():
    """Verify a certificate: valid, revoked, invalid or not_found, with every step that ran."""
    token = request.args.get("t", "").strip() or None
    serial = request.args.get("serial", "").strip() or None
    if token is None and serial is None:
        raise BadRequest("请提供二维码令牌 t 或证书编号 serial", code="missing_parameter")
    outcome = _verify(token, serial)
    return _no_store(current_app.json.response(dump_verification(outcome)))


@bp.get("/v/<serial>")
@page("certificate.verify")
def verify_page(serial: str):
    """The page a phone opens after scanning a certificate's QR code."""
    token = request.args.get("t", "").strip() or None
    outcome = _verify(token, serial)
    html = render_template(
        "verify/result.html", v=outcome, check_labels=CHECK_LABELS, serial_value=serial
    )
    return _no_store(current_app.make_response(html))


@bp.get("/verify")
@page("certificate.verify")
def verify_form():
    """Verify by serial (the home page form): go to the certificate's page."""
    serial = request.args.get("serial", "").strip()
    if serial:
        return redirect(url_for("verify.verify_page", serial=serial))
    return render_template("verify/form.html")


def _retry_after() -> int:
    """Seconds until the client's failed look-up window resets."""
    return g.get("verify_retry_after") or 60


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
