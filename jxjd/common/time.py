"""Time helpers: UTC-aware instants for storage, China Standard Time for dates people see.

Every "now" and "today" the app uses comes from one `Clock`, held by the app
(`app.extensions["jxjd_clock"]`, see `app_clock`). In production it reads the system
clock; a test freezes or advances it (the `clock` fixture) instead of patching module attributes.
Outside an app context (scripts, the offline verifier's helpers) the system clock answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CLOCK_KEY = "jxjd_clock"


class Clock:
    """Where the app reads the time: the system clock, or a frozen instant in tests."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def today(self) -> date:
        """Today's date in Hunan (Asia/Shanghai)."""
        return self.now().astimezone(LOCAL_TZ).date()

    def freeze(self, when: datetime | date) -> None:
        """Stop the clock at `when` (a date: 09:00 China Standard Time that day)."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(9), tzinfo=LOCAL_TZ)
        if when.tzinfo is None:
            raise ValueError("a frozen instant must be timezone-aware")
        self._frozen = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move a frozen clock forward by `delta` (it stays frozen)."""
        if self._frozen is None:
            raise RuntimeError("only a frozen clock can be advanced")
        self._frozen += delta

    def reset(self) -> None:
        """Back to the system clock."""
        self._frozen = None

    @property
    def frozen(self) -> bool:
        """True while the clock is stopped."""
        return self._frozen is not None


SYSTEM_CLOCK = Clock()  # never frozen: what code outside an app reads


def app_clock(app: Flask) -> Clock:
    """The clock `app` holds (created with the app's first reading of the time)."""
    clock = app.extensions.get(CLOCK_KEY)
    if clock is None:
        clock = app.extensions.setdefault(CLOCK_KEY, Clock())
    return clock


def current_clock() -> Clock:
    """The running app's clock (the system clock outside an app context)."""
    if has_app_context():
        return app_clock(current_app)
    return SYSTEM_CLOCK


def utcnow() -> datetime:
    """The current instant, UTC-aware."""
    return current_clock().now()


def local_today() -> date:
    """Today's date in Hunan (Asia/Shanghai)."""
    return current_clock().today()


def to_local(value: datetime) -> datetime:
    """An aware instant in Asia/Shanghai, for display."""
    return value.astimezone(LOCAL_TZ)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in local time (e.g. 2027-03-01T09:00:00+08:00)."""
    return None if value is None else to_local(value).isoformat(timespec="seconds")
