"""Home page, liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

import hmac

from flask import Response, current_app, jsonify, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from jxjd.access import authorize
from jxjd.accounts.services import actor_for_token
from jxjd.errors import Problem, Unauthorized, render_problem
from jxjd.keys.services import KeyProblem, not_ready, readiness
from jxjd.main import bp
from jxjd.metrics import registry
from jxjd.openapi import doc
from jxjd.ratelimit import rate_limit_checks, rate_limit_store_answers
from jxjd.web import names_action, page


@bp.get("/")
@page("meta.read")
def home():
    """The landing page: verify a certificate, sign in, read the API document."""
    return render_template("main/home.html")


@bp.get("/api/v1/health")
@doc("健康检查", action="meta.read", tags=["meta"], public=True)
def health():
    """Liveness: a bare JSON endpoint (also the baseline of the verify benchmark)."""
    return {"status": "ok"}


def _rate_limit_readiness() -> list[KeyProblem]:
    """Why the shared rate-limit store makes the instance unready (empty when it answers)."""
    if rate_limit_store_answers():
        return []
    return [
        KeyProblem(
            "rate_limit_unavailable",
            None,
            "共享的访问频率控制存储（JXJD_RATELIMIT_STORAGE）暂时无法连接。",
            "the shared rate-limit store does not answer",
        )
    ]


@bp.get("/api/v1/ready")
@doc(
    "就绪检查（数据库、密钥库与共享限流存储）",
    action="meta.read",
    tags=["meta"],
    public=True,
    errors=(503,),
)
def ready():
    """Readiness: database, key store and a shared rate-limit store answer; 503 with reasons."""
    problems = readiness() + _rate_limit_readiness()
    if problems:
        resp = render_problem(not_ready(problems))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return (
        {"status": "ready", "checks": ["database", "key_store", *rate_limit_checks()]},
        200,
        {"Cache-Control": "no-store"},
    )


# ---- /metrics (CONTRACT §15) --------------------------------------------------------------------


def _refusal(problem: Problem) -> Response:
    """problem+json whatever the scraper accepts (the path is not under /api/)."""
    resp = jsonify(problem.to_dict())
    resp.mimetype = "application/problem+json"
    resp.status_code = problem.status
    resp.headers.update(problem.headers)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _metrics_refusal() -> Problem | None:
    """None for the metrics token or a token the policy lets read metrics; the refusal otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Unauthorized(
            "请使用管理员访问令牌或 JXJD_METRICS_TOKEN（Authorization: Bearer …）",
            headers={"WWW-Authenticate": "Bearer"},
        )
    configured = current_app.config.get("JXJD_METRICS_TOKEN")
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return None
    try:
        actor = actor_for_token(token)
        if actor is None:
            return Unauthorized("访问令牌无效或已停用", headers={"WWW-Authenticate": "Bearer"})
        authorize(actor, "metrics.read")
    except Problem as exc:  # an expired token, a role that may not read metrics
        return exc
    return None


@bp.get("/metrics")
@names_action("metrics.read")
def metrics():
    """The Prometheus text exposition of every metric."""
    refusal = _metrics_refusal()
    if refusal is not None:
        return _refusal(refusal)
    return Response(
        generate_latest(registry()),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
