"""Time helpers: UTC-aware instants for storage, China Standard Time for dates people see."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Hunan (Asia/Shanghai)."""
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    """An aware instant in Asia/Shanghai, for display."""
    return value.astimezone(LOCAL_TZ)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in local time (e.g. 2027-03-01T09:00:00+08:00)."""
    return None if value is None else to_local(value).isoformat(timespec="seconds")
