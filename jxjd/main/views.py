"""Home page and health check."""

from __future__ import annotations

from flask import render_template

from jxjd.main import bp
from jxjd.openapi import doc


@bp.get("/")
def home():
    """The landing page: verify a certificate, sign in, read the API document."""
    return render_template("main/home.html")


@bp.get("/api/v1/health")
@doc("健康检查", tags=["meta"], public=True)
def health():
    """A bare JSON endpoint (also the baseline of the verify benchmark)."""
    return {"status": "ok"}
