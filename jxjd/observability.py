"""Request ids and structured logs that hold no personal data or secrets (CONTRACT §15).

- Every request has an id: the client's `X-Request-ID` when it is short and safe (letters,
  digits, `.`, `_`, `:`, `-`; at most 64 characters), a new random one otherwise. It is echoed on
  every response (errors included) and put on every log line written while the request runs.
- Logs: with `JXJD_LOG_FORMAT=json` (the default) one JSON object per line on stderr (`ts`,
  `level`, `logger`, `message`, `request_id`, `exc`); `text` for people reading a terminal; `off`
  leaves logging as the host set it up (the test suite: pytest captures the records).
- Whatever the format, every log record in the process is scrubbed when it is made (a log
  record factory, so pytest's, gunicorn's and any other handler see the scrubbed text too), and
  the formatters scrub their output once more (tracebacks included): 18-character ID numbers,
  bearer tokens (`jx_…`, `Bearer …`), share and activation codes (`XXXX-XXXX-…`), and values
  of `password=`/`"password": …` become `***`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_REQUEST_ID = "jxjd.request_id"
MASK = "***"

# What must never reach a log line; each pattern's match becomes MASK (groups before it kept).
_ALNUM_AROUND = r"(?<![0-9A-Za-z]){}(?![0-9A-Za-z])"
_PASSWORD = r"(?i)((?:\b|_)(?:password|passwd|pwd)[\"']?\s*[:=]\s*)"
_SECRETS = (
    # GB 11643 ID numbers: 17 digits and a check character, standing alone.
    (re.compile(_ALNUM_AROUND.format(r"[0-9]{17}[0-9Xx]")), MASK),
    # API bearer tokens (jxjd.common.crypto.new_token) and whatever follows "Bearer".
    (re.compile(r"(?<![0-9A-Za-z])jx_[A-Za-z0-9_-]{8,}"), "jx_" + MASK),
    (re.compile(r"(?i)(\bbearer\s+)[^\s\"',;]+"), r"\g<1>" + MASK),
    # Share codes (20 Crockford characters) and activation codes (16): grouped by four with
    # hyphens as printed (any case), or typed without separators (upper case, letters and digits).
    (
        re.compile(
            _ALNUM_AROUND.format(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3,4}"),
            re.IGNORECASE,
        ),
        MASK,
    ),
    (
        re.compile(
            _ALNUM_AROUND.format(
                r"(?=[0-9A-HJKMNP-TV-Z]*[0-9])(?=[0-9A-HJKMNP-TV-Z]*[A-Z])"
                r"(?:[0-9A-HJKMNP-TV-Z]{20}|[0-9A-HJKMNP-TV-Z]{16})"
            )
        ),
        MASK,
    ),
    # password=…, "password": "…" (also passwd, pwd, new_password…): quoted values whole.
    (
        re.compile(_PASSWORD + r"([\"'])(?:\\.|(?!\2).)*\2"),
        r"\g<1>\g<2>" + MASK + r"\g<2>",
    ),
    (re.compile(_PASSWORD + r"(?![\"'])[^\s&,;]+"), r"\g<1>" + MASK),
)


def scrub(text: str) -> str:
    """`text` with ID numbers, tokens, share codes and passwords replaced by ***."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


# ---- request ids --------------------------------------------------------------------------------


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    environ = request.environ
    rid = environ.get(_REQUEST_ID)
    if rid is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        rid = given if _SAFE_REQUEST_ID.fullmatch(given) else os.urandom(16).hex()
        environ[_REQUEST_ID] = rid
    return rid


def _echo_request_id(resp: Response) -> Response:
    resp.headers[REQUEST_ID_HEADER] = request_id() or ""
    return resp


# ---- log records and formats -------------------------------------------------------------------


class ScrubFilter(logging.Filter):
    """Scrub a record's message and traceback, add the request id; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "jxjd_scrubbed", False):
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken format string: logging reports it later
                return True
            record.msg, record.args = scrub(message), None
            if record.exc_info and not record.exc_text:  # formatters reuse the cached text
                record.exc_text = scrub(_PLAIN.formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = scrub(record.stack_info)
            record.jxjd_scrubbed = True
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


_SCRUB = ScrubFilter()
_PLAIN = logging.Formatter()


def _install_record_factory() -> None:
    """Scrub every log record of the process when it is made (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "jxjd_scrubbing", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _SCRUB.filter(record)
        return record

    factory.jxjd_scrubbing = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, exc (all scrubbed)."""

    def format(self, record: logging.LogRecord) -> str:
        _SCRUB.filter(record)
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_text:
            entry["exc"] = scrub(record.exc_text)
        elif record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL [request id] logger: message` for people, scrubbed like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        _SCRUB.filter(record)
        return scrub(super().format(record))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (it may be replaced, e.g. by pytest)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def log_handler(fmt: str, stream: Any = None) -> logging.Handler:
    """A handler writing `fmt` ("json" or "text") lines to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_SCRUB)
    return handler


def configure_logging(app: Flask) -> None:
    """Scrub every record; with JXJD_LOG_FORMAT json/text, one root handler on stderr."""
    _install_record_factory()
    fmt = str(app.config.get("JXJD_LOG_FORMAT") or "json").lower()
    if fmt == "off":
        return
    if fmt not in ("json", "text"):
        raise ValueError(f"JXJD_LOG_FORMAT must be json, text or off, not {fmt!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "jxjd_handler", False)]:
        root.removeHandler(old)  # a second app in the same process replaces the first's
    handler = log_handler(fmt)
    handler.jxjd_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(str(app.config.get("JXJD_LOG_LEVEL") or "INFO").upper())


def init_observability(app: Flask) -> None:
    """Logs, request ids and metrics for this app."""
    from jxjd.metrics import init_metrics

    configure_logging(app)
    app.after_request(_echo_request_id)
    init_metrics(app)
