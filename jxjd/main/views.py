"""Home page, liveness and readiness."""

from __future__ import annotations

from flask import render_template

from jxjd.errors import render_problem
from jxjd.keys.services import not_ready, readiness
from jxjd.main import bp
from jxjd.openapi import doc
from jxjd.ratelimit import rate_limit_checks, rate_limit_readiness
from jxjd.web import page


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
    problems = readiness() + rate_limit_readiness()
    if problems:
        resp = render_problem(not_ready(problems))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return (
        {"status": "ready", "checks": ["database", "key_store", *rate_limit_checks()]},
        200,
        {"Cache-Control": "no-store"},
    )
