"""One clock: every now and today of the app comes from the Clock the app holds."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import has_app_context

from jxjd.common.time import (
    CLOCK_KEY,
    LOCAL_TZ,
    SYSTEM_CLOCK,
    Clock,
    app_clock,
    local_today,
    utcnow,
)

JXJD = Path(__file__).resolve().parents[2] / "jxjd"


def test_a_frozen_date_is_nine_in_the_morning_china_time():
    clock = Clock()
    clock.freeze(date(2027, 3, 1))
    assert clock.now() == datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    assert clock.today() == date(2027, 3, 1)


def test_the_local_date_differs_from_the_utc_date_in_the_evening():
    clock = Clock()
    clock.freeze(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 01:00 on 1 January in Changsha
    assert clock.today() == date(2027, 1, 1)


def test_a_frozen_clock_advances_and_resets_to_the_system_clock():
    clock = Clock()
    clock.freeze(datetime(2026, 6, 1, 8, 0, tzinfo=LOCAL_TZ))
    clock.advance(timedelta(days=7))
    assert clock.today() == date(2026, 6, 8)
    assert clock.frozen
    clock.reset()
    assert not clock.frozen
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_naive_instants_and_advancing_the_system_clock_are_refused():
    clock = Clock()
    with pytest.raises(ValueError):
        clock.freeze(datetime(2026, 6, 1, 9, 0))
    with pytest.raises(RuntimeError):
        clock.advance(timedelta(days=1))


def test_the_app_reads_its_own_clock(app, clock):
    assert app.extensions[CLOCK_KEY] is clock is app_clock(app)
    clock.freeze(date(2030, 5, 4))
    assert local_today() == date(2030, 5, 4)
    assert utcnow() == datetime(2030, 5, 4, 1, 0, tzinfo=UTC)


def test_outside_an_app_the_system_clock_answers(clock):
    clock.freeze(date(2030, 5, 4))  # the app's clock; a thread without an app context ignores it
    seen = {}

    def read() -> None:
        seen["has_app"] = has_app_context()
        seen["now"], seen["today"] = utcnow(), local_today()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen["has_app"] is False
    assert abs(seen["now"] - datetime.now(UTC)) < timedelta(seconds=5)
    assert seen["today"] == datetime.now(LOCAL_TZ).date()
    assert not SYSTEM_CLOCK.frozen


# The key files record real instants (a key's window is checked by verifiers everywhere), and
# rate limits count on their storage's clock: those two read the system time on purpose.
_SYSTEM_TIME_ALLOWED = {"common/time.py", "certificates/signing.py"}
_SYSTEM_TIME = re.compile(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(")


def test_no_module_reads_the_system_time_around_the_clock():
    offenders = [
        f"{path.relative_to(JXJD)}:{n}"
        for path in sorted(JXJD.rglob("*.py"))
        if str(path.relative_to(JXJD)) not in _SYSTEM_TIME_ALLOWED
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _SYSTEM_TIME.search(line)
    ]
    assert offenders == []
