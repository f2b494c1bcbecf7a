"""Approved credits in the daily cap (CONTRACT §11 with §14): no double counting across sources.

A credit of a form measured in time (unit `hour`, `day` or `month`: training, online courses,
conferences, visiting posts) credits its hours evenly over its calendar days, like a session.
A form counted per item (papers, books, projects) is not attendance on a day: its dates are a
publication or project date, and its hours are outside the daily cap.

Both directions hold the same per-day advisory locks (attendance.overlap.lock_days): a roster
upload sees approved credits through the provider registered here, and approving a credit that
would pass the cap on some day, with the person's sessions and other approved credits, is 409
`overlapping_attendance`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import sqlalchemy as sa

from jxjd.attendance.overlap import (
    Credited,
    credited_between,
    days_of,
    excess_message,
    first_excess,
    lock_days,
    register_credited,
    spread,
)
from jxjd.common.db import begin_immediate_on_sqlite
from jxjd.credits.models import Credit
from jxjd.errors import Conflict
from jxjd.extensions import db
from jxjd.rules.conversions import ConversionRules, conversions_for
from jxjd.rules.services import rules_for

UNDATED_UNITS = frozenset({"item"})


class CreditOverlaps(Conflict):
    code, title = "overlapping_attendance", "同一天学时超过每日上限"


def _dated(tables: dict[int, ConversionRules], year: int, form: str) -> bool:
    """Whether a form's hours are time spent on its calendar days (not per item)."""
    if year not in tables:
        tables[year] = conversions_for(year)
    conversion = tables[year].get(form)
    return conversion is None or conversion.unit not in UNDATED_UNITS


def label_of(credit_id: int, title: str) -> str:
    """How an overlap error names a credit."""
    return f"学时认定“{title}”（编号 {credit_id}）"


def approved_on_days(
    person_ids: Sequence[int], start: date, end: date
) -> Iterator[tuple[int, Credited]]:
    """The overlap provider: approved dated credits of the people on days from start to end."""
    c = Credit.__table__.c
    rows = db.session.execute(
        sa.select(c.id, c.person_id, c.title, c.hours, c.year, c.form, c.start_date, c.end_date)
        .where(
            c.person_id.in_(list(person_ids)),
            c.status == "approved",
            c.start_date <= end,
            c.end_date >= start,
        )
        .order_by(c.id)
    )
    tables: dict[int, ConversionRules] = {}
    for row in rows:
        if _dated(tables, row.year, row.form):
            label = label_of(row.id, row.title)
            yield row.person_id, spread(label, row.hours, row.start_date, row.end_date)


def register() -> None:
    """Join approved credits to the roster overlap check (called when the app starts)."""
    register_credited("credits", approved_on_days)


def check_daily_cap(credit: Credit) -> None:
    """Before approving: 409 when the credit would pass the daily cap on one of its days.

    Takes the credit's day locks first (the same as roster uploads; on SQLite the write lock),
    so a concurrent upload or approval touching those days waits and then sees this one.
    """
    if not _dated({}, credit.year, credit.form):
        return
    begin_immediate_on_sqlite()  # SQLite: writers queue here, before the check reads
    lock_days(credit.start_date, credit.end_date)
    days = days_of(credit.start_date, credit.end_date)
    # Everything else on those days: the credit itself is left out, so approving it a second
    # time (or twice at once) is the state machine's 409 invalid_transition, not an overlap.
    found = credited_between([credit.person_id], credit.start_date, credit.end_date)
    itself = label_of(credit.id, credit.title)
    others = [o for o in found.get(credit.person_id, []) if o.label != itself]
    cap = rules_for(credit.start_date.year).daily_hour_cap
    per_day = credit.hours / len(days)
    if per_day > cap:
        raise CreditOverlaps(
            f"该学时认定{len(days)}天共 {credit.hours.normalize():f} 学时，"
            f"超过每日 {cap.normalize():f} 学时上限；请核对起止日期"
        )
    excess = first_excess(others, days, per_day, cap)
    if excess is not None:
        raise CreditOverlaps(excess_message(*excess, cap) + "，不能认定")
