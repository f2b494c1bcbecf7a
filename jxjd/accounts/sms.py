"""Sending text messages: an interface and two senders chosen by JXJD_SMS_BACKEND.

- `outbox` (default): one JSON object per line appended to JXJD_OUTBOX (`<instance>/outbox.jsonl`),
  `{"to": "138****1234", "text": ..., "at": ...}`; for development and the demo.
- `http`: POST `{"to", "text"}` as JSON to JXJD_SMS_URL (bearer JXJD_SMS_TOKEN when set) with a
  timeout; the gateway relays it to the operator.

Callers use `deliver`, which never raises and, for the gateway, does not wait for it: a public
answer must not change, in content or in time, with whether a message was sent.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from flask import Flask

from jxjd.common.phones import mask_phone
from jxjd.common.time import isoformat, utcnow

log = logging.getLogger(__name__)

BACKENDS = ("outbox", "http")


class SmsError(Exception):
    """The message could not be handed over (the reason carries no personal data)."""


class SmsSender(Protocol):
    """Something that hands one text message to a mobile number."""

    @property
    def blocking(self) -> bool:
        """True when `send` waits on the network (then `deliver` runs it aside)."""

    def send(self, to: str, text: str) -> None:
        """Send `text` to the mobile number `to`; raise SmsError on failure."""


@dataclass(frozen=True)
class OutboxSender:
    """Appends each message to a local JSON-lines file instead of sending it."""

    path: str
    blocking: bool = False

    def send(self, to: str, text: str) -> None:
        """Append one line; a single O_APPEND write, so concurrent workers never interleave."""
        line = json.dumps(
            {"to": mask_phone(to), "text": text, "at": isoformat(utcnow())}, ensure_ascii=False
        )
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        except OSError as exc:
            raise SmsError(f"outbox not writable ({exc.__class__.__name__})") from None


@dataclass(frozen=True)
class HttpSender:
    """Posts each message to an SMS gateway."""

    url: str
    token: str | None = None
    timeout: float = 5.0
    blocking: bool = True

    def send(self, to: str, text: str) -> None:
        """POST the message as JSON; any non-2xx answer or network error is an SmsError."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                status = resp.status
        except urllib.error.HTTPError as exc:
            exc.close()  # the error carries the open response
            raise SmsError(f"gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsError(f"gateway unreachable ({exc.__class__.__name__})") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


def sender_for(app: Flask) -> SmsSender:
    """The sender the app is configured with."""
    config = app.config
    backend = config.get("JXJD_SMS_BACKEND") or "outbox"
    if backend == "http":
        if not config.get("JXJD_SMS_URL"):
            raise RuntimeError("JXJD_SMS_BACKEND=http needs JXJD_SMS_URL")
        return HttpSender(
            url=config["JXJD_SMS_URL"],
            token=config.get("JXJD_SMS_TOKEN") or None,
            timeout=float(config.get("JXJD_SMS_TIMEOUT") or 5),
        )
    if backend != "outbox":
        raise RuntimeError(f"JXJD_SMS_BACKEND must be one of {', '.join(BACKENDS)}")
    return OutboxSender(outbox_path(app))


def outbox_path(app: Flask) -> str:
    """Where the outbox sender writes (JXJD_OUTBOX, default <instance>/outbox.jsonl)."""
    return app.config.get("JXJD_OUTBOX") or os.path.join(app.instance_path, "outbox.jsonl")


def _send_logged(sender: SmsSender, to: str, text: str) -> None:
    try:
        sender.send(to, text)
    except SmsError as exc:
        log.warning("text message not sent: %s", exc)
    except Exception:  # noqa: BLE001 - a sender bug must not take the request down
        log.exception("text message sender failed")


def deliver(sender: SmsSender, to: str, text: str) -> threading.Thread | None:
    """Send without raising; a network sender runs on its own thread (returned, for tests)."""
    if not sender.blocking:
        _send_logged(sender, to, text)
        return None
    thread = threading.Thread(target=_send_logged, args=(sender, to, text), daemon=True)
    thread.start()
    return thread
