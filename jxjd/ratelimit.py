"""Rate-limit storage (CONTRACT §11): shared Redis across workers and instances, or per-process memory.

`JXJD_RATELIMIT_STORAGE` (Flask-Limiter's RATELIMIT_STORAGE_URI) names the store, e.g.
`redis://127.0.0.1:6379/0`. Every limit (sign-in, self-registration, share codes, failed
certificate look-ups) counts there, so N workers allow the limit once, not N times. The default
`memory://` counts per process: right for one worker, and gunicorn.conf.py warns at start-up when
several workers run on it.

A configured store that cannot be reached fails closed: the limited requests get 503
`rate_limit_unavailable` with Retry-After (nothing is counted in process memory meanwhile), every
other request is served as usual.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from limits.errors import StorageError

from jxjd.errors import Problem, render_problem
from jxjd.extensions import db, limiter

log = logging.getLogger(__name__)

# Seconds to connect to / wait for the store before the request gets 503 instead of hanging.
STORE_TIMEOUT = 2


class RateLimitUnavailable(Problem):
    status, code, title = 503, "rate_limit_unavailable", "访问频率控制服务暂时不可用，请稍后再试"
    retry_after = 30


def is_shared(storage_uri: str) -> bool:
    """Whether the store is shared between processes (anything but memory://)."""
    return not storage_uri.startswith("memory://")


def init_rate_limits(app: Flask) -> None:
    """Initialise the app's Flask-Limiter on the configured store; 503 when it is unreachable."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    options.setdefault("wrap_exceptions", True)  # any store failure surfaces as StorageError
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        options.setdefault("socket_connect_timeout", STORE_TIMEOUT)
        options.setdefault("socket_timeout", STORE_TIMEOUT)
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", False)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", False)
    limiter.init_app(app)
    _drop_the_per_request_check(app)

    @app.errorhandler(StorageError)
    def _store_unreachable(exc: StorageError):
        db.session.rollback()
        reason = type(exc.storage_error).__name__
        log.error("rate-limit store unreachable (%s): limited requests answer 503", reason)
        retry = RateLimitUnavailable.retry_after
        return render_problem(RateLimitUnavailable(headers={"Retry-After": str(retry)}))


def _drop_the_per_request_check(app: Flask) -> None:
    """Flask-Limiter checks every request in a before_request hook, for application-wide,
    default and blueprint limits. jxjd sets none: its limits are decorated (sign-in, checked by
    the decorator's own wrapper) or counted where they apply (throttle.py, verify). Left in, the
    hook only costs every request its look-ups (about a tenth of a cached QR image's CPU), so it
    is taken out; were such limits ever configured, it stays."""
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits:
        return
    if getattr(manager, "_blueprint_limits", None) or getattr(limiter, "_meta_limits", None):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def rate_limit_checks() -> list[str]:
    """The readiness checks for the rate-limit store: one when it is shared (Redis), else none."""
    return ["rate_limit_store"] if is_shared(current_app.config["RATELIMIT_STORAGE_URI"]) else []


def rate_limit_store_answers() -> bool:
    """Whether the shared rate-limit store answers (True when limits are counted in memory)."""
    if not rate_limit_checks():
        return True
    try:
        return bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 - any failure of the store means it cannot count
        return False


def unshared_warning(app: object, workers: int) -> str | None:
    """The start-up warning when `workers` processes would each keep their own counts."""
    config = getattr(app, "config", None)
    if workers <= 1 or config is None:
        return None
    uri = config.get("RATELIMIT_STORAGE_URI", "memory://")
    if is_shared(uri):
        return None
    return (
        f"rate limits are kept in each worker's memory ({uri}) but {workers} workers run: "
        f"each allows the full limit, {workers}× in all. Set JXJD_RATELIMIT_STORAGE to a shared "
        "store, e.g. redis://127.0.0.1:6379/0"
    )
