"""The Problem hierarchy (RFC 9457) and the handlers that render it as JSON or a Chinese page."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

TYPE_BASE = "https://jxjd.hrss.hunan.gov.cn/problems/"


def field_error(
    code: str, message: str, *, field: str | None = None, row: int | None = None
) -> dict[str, Any]:
    """One entry of a problem's `errors` list, in the shape CONTRACT §1 fixes."""
    return {"code": code, "field": field, "row": row, "message": message}


class Problem(Exception):
    """An error a client can act on; rendered as application/problem+json."""

    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)

    @property
    def type(self) -> str:
        return TYPE_BASE + self.code.replace("_", "-")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status, code, title = 400, "bad_request", "请求格式有误"


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "需要登录或有效的访问令牌"


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "无权执行此操作"


class NotFound(Problem):
    status, code, title = 404, "not_found", "资源不存在"


class Conflict(Problem):
    status, code, title = 409, "conflict", "与现有数据冲突"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "当前状态不允许此操作"


class Gone(Problem):
    status, code, title = 410, "gone", "资源已失效"


class PayloadTooLarge(Problem):
    status, code, title = 413, "file_too_large", "上传文件过大"


class UnsupportedMediaType(Problem):
    status, code, title = 415, "unsupported_file", "不支持的文件类型"


class ValidationFailed(Problem):
    """422: the input broke one or more rules; `errors` lists every one, nothing was stored."""

    status, code, title = 422, "validation_failed", "数据校验未通过"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None, **kw: Any):
        if detail is None:
            detail = "；".join(e["message"] for e in errors[:3]) + ("……" if len(errors) > 3 else "")
        super().__init__(detail, errors=errors, **kw)


class TooManyRequests(Problem):
    status, code, title = 429, "too_many_requests", "请求过于频繁，请稍后再试"


class DatabaseUnavailable(Problem):
    status, code, title = 503, "database_unavailable", "数据库暂时无法连接，请稍后再试"
    retry_after = 30


class DatabaseBusy(DatabaseUnavailable):
    code, title = "database_busy", "系统繁忙（数据正被其他操作占用），请稍后再试"
    retry_after = 5


# PostgreSQL SQLSTATEs that mean "try again": lock_timeout, statement_timeout / cancel,
# deadlock, serialization failure.
BUSY_SQLSTATES = {"55P03", "57014", "40P01", "40001"}


def database_problem(exc: Exception) -> DatabaseUnavailable | None:
    """The 503 for a database that cannot be reached or is locked; None for other errors."""
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return DatabaseBusy(headers={"Retry-After": str(DatabaseBusy.retry_after)})
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
    busy = getattr(exc.orig, "sqlstate", None) in BUSY_SQLSTATES or "is locked" in reason
    if busy:
        problem: DatabaseUnavailable = DatabaseBusy()
    elif isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) or (
        exc.connection_invalidated
    ):
        problem = DatabaseUnavailable()
    else:
        return None
    problem.headers["Retry-After"] = str(problem.retry_after)
    # The driver's first line only: SQLAlchemy's own text would carry the statement's parameters.
    log.warning("%s: %s: %s", problem.code, type(exc.orig).__name__, reason)
    return problem


HTTP_TITLES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "需要登录或有效的访问令牌"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("file_too_large", "上传文件过大"),
    414: ("uri_too_long", "请求地址过长"),
    415: ("unsupported_file", "不支持的文件类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    431: ("headers_too_large", "请求头过大"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
}


def wants_json() -> bool:
    """API paths and clients that prefer JSON get problem+json; browsers get a page."""
    if request.path.startswith(("/api/", "/.well-known/", "/status/")):  # status: machines
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and "text/html" not in request.accept_mimetypes.values()


def render_problem(problem: Problem) -> Response:
    """Render a Problem for the client that asked: JSON for APIs, a Chinese page for browsers."""
    if wants_json():
        resp = jsonify(problem.to_dict())
        resp.mimetype = "application/problem+json"
    else:
        html = render_template("errors/problem.html", problem=problem)
        resp = Response(html, mimetype="text/html")
    resp.status_code = problem.status
    for key, value in problem.headers.items():
        resp.headers[key] = value
    return resp


def _discard_session(db: Any) -> None:
    """Roll the request's session back; a connection that is already gone is simply dropped."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.remove()


def register_error_handlers(app: Flask) -> None:
    """Turn every error into a Problem rendering; never leak a stack trace."""
    from jxjd.extensions import db

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        db.session.rollback()
        return render_problem(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        code, title = HTTP_TITLES.get(status, ("http_error", exc.name))
        headers = {}
        if status == 429:
            retry = getattr(exc, "retry_after", None) or 60
            headers["Retry-After"] = str(int(retry))
        if status == 405 and exc.get_response().headers.get("Allow"):
            headers["Allow"] = exc.get_response().headers["Allow"]
        return render_problem(
            Problem(title, code=code, title=title, status=status, headers=headers)
        )

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database(exc: Exception):
        problem = database_problem(exc)
        if problem is None:
            return _unexpected(exc)
        _discard_session(db)
        try:
            return render_problem(problem)
        except Exception:  # the page itself needed the database (e.g. the signed-in account)
            _discard_session(db)
            html = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><p>{problem.title}</p>'
            return Response(html, problem.status, problem.headers, mimetype="text/html")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        code, title = HTTP_TITLES[500]
        return render_problem(Problem(title, code=code, title=title, status=500))
