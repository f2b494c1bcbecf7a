"""Home page, liveness and readiness."""

from __future__ import annotations

from flask import render_template

from jxjd.errors import render_problem
from jxjd.keys.services import not_ready, readiness
from jxjd.main import bp
from jxjd.openapi import doc
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
@doc("就绪检查（数据库与密钥库）", action="meta.read", tags=["meta"], public=True, errors=(503,))
def ready():
    """Readiness: the database answers and the key store matches it; 503 with the reasons."""
    problems = readiness()
    if problems:
        resp = render_problem(not_ready(problems))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return (
        {"status": "ready", "checks": ["database", "key_store"]},
        200,
        {"Cache-Control": "no-store"},
    )
