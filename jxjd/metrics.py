"""Prometheus metrics (CONTRACT §15): requests by endpoint, uploads, certificates, verifications.

`GET /metrics` (jxjd/main/views.py) answers in the Prometheus text format to the admin's bearer
token or to `JXJD_METRICS_TOKEN`. Requests are labelled by their Flask endpoint (`certificates.qr_png`), never
by their path, so serials and codes never become label values. Uploads and issued certificates
are counted from the `attendance.upload` audit events once their transaction has committed (a
check, a refused or a rolled-back upload counts nothing); verifications by their result.

Under gunicorn every worker counts in its own process: with `PROMETHEUS_MULTIPROC_DIR` set (by
gunicorn.conf.py unless the environment does) prometheus-client keeps the values in files there,
and `/metrics` adds up every worker's, the exited ones' included (gunicorn.conf.py's child_exit
hook tells prometheus-client when a worker has gone).
"""

from __future__ import annotations

import os
import time
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, Response, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)

from jxjd.audit.models import AuditEvent

REQUESTS = Counter(
    "jxjd_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "jxjd_http_request_duration_seconds",
    "Time from the first request hook to the response, by Flask endpoint and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPLOADS = Counter("jxjd_uploads", "Attendance uploads stored, by mode", ["mode"])
UPLOAD_ROWS = Counter(
    "jxjd_upload_rows",
    "Roster rows of stored uploads, by outcome (recorded, already_recorded, rejected)",
    ["outcome"],
)
CERTIFICATES = Counter("jxjd_certificates_issued", "Certificates issued")
VERIFICATIONS = Counter(
    "jxjd_verifications", "Certificate look-ups (API and QR page), by result", ["result"]
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STARTED = "jxjd.started"
_PENDING = "jxjd_metrics_pending"


# ---- one-line hooks for the services and views -------------------------------------------------


def verified(result: str) -> None:
    """Count one verification by its result (valid, revoked, invalid, not_found)."""
    VERIFICATIONS.labels(result=result).inc()


@sa.event.listens_for(AuditEvent, "after_insert")
def _audit_event_written(_mapper: Any, _connection: Any, event: AuditEvent) -> None:
    """Note what a committed upload will count (held until the transaction commits)."""
    if event.action != "attendance.upload":
        return
    session = so.object_session(event)
    if session is not None:
        session.info.setdefault(_PENDING, []).append(dict(event.summary or {}))


@sa.event.listens_for(so.Session, "after_commit")
def _count_committed(session: so.Session) -> None:
    for summary in session.info.pop(_PENDING, ()):
        UPLOADS.labels(mode=str(summary.get("mode") or "strict")).inc()
        for outcome in ("recorded", "already_recorded", "rejected"):
            UPLOAD_ROWS.labels(outcome=outcome).inc(int(summary.get(outcome) or 0))
        CERTIFICATES.inc(int(summary.get("certificates_issued") or 0))


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_rolled_back(session: so.Session) -> None:
    session.info.pop(_PENDING, None)


# ---- requests -----------------------------------------------------------------------------------


def _start_timer() -> None:
    request.environ.setdefault(_STARTED, time.perf_counter())


# The labelled children by (endpoint, method, status): labels() costs a few µs per call.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _count_request(resp: Response) -> Response:
    started = request.environ.get(_STARTED)
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    method = request.method if request.method in _METHODS else "other"
    key = (endpoint, method, resp.status_code)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (
            REQUESTS.labels(endpoint=endpoint, method=method, status=str(resp.status_code)),
            LATENCY.labels(endpoint=endpoint, method=method),
        )
    children[0].inc()
    if started is not None:
        children[1].observe(time.perf_counter() - started)
    return resp


def init_metrics(app: Flask) -> None:
    """Time and count every request (the main feature serves /metrics)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)  # before the guard
    app.after_request(_count_request)


# ---- the /metrics endpoint ----------------------------------------------------------------------


def registry() -> CollectorRegistry:
    """Every worker's values (multiprocess mode), or this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY
