"""A reviewer's queue and turnaround (issue #14 item 7): what waits, and how long decisions take.

Pending credits in the caller's scope (admin all, a department the people trained at its
bases): how many, per form, how long the oldest has waited and how many waited past a week and
a month. Decisions (approved or rejected) taken in a year: median and 90th percentile of the
days from submission to decision, per month of the decision or per form. A revoked credit's
decision time is its revocation's, so revoked credits are left out of the turnaround.
Percentiles interpolate linearly between the two nearest decisions (pandas' default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jxjd.access import scoped
from jxjd.auth import Actor
from jxjd.common.params import invalid_parameter
from jxjd.common.time import LOCAL_TZ, to_local, utcnow
from jxjd.credits.models import Credit
from jxjd.extensions import db
from jxjd.rules.conversions import conversions_for

GROUPINGS = {"month": "按决定月份", "form": "按认定形式"}
DAY_SECONDS = 86400
WAITS = ((7, "over_week"), (30, "over_month"))


def grouping(raw: str | None) -> str:
    """?by=: month (the default) or form; 422 invalid_parameter otherwise."""
    by = raw or "month"
    if by not in GROUPINGS:
        raise invalid_parameter("by", "by 须为 month（按月份）或 form（按认定形式）")
    return by


def _number(days: float) -> int | float:
    """Days as a JSON number with one decimal: 3 for 3.0."""
    rounded = round(days, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _days(seconds: float) -> int | float:
    return _number(seconds / DAY_SECONDS)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in local time, as UTC instants."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, end


def _labels(year: int) -> dict[str, str]:
    return {c.form: c.label for c in conversions_for(year).forms}


def pending_summary(actor: Actor, year: int) -> dict[str, Any]:
    """What waits in the caller's queue now (every year), and for how long."""
    c = Credit.__table__.c
    query = scoped(actor, "credit.turnaround", sa.select(Credit.id, c.form, c.created_at))
    rows = db.session.execute(query.where(c.status == "pending")).all()
    now = utcnow()
    ages = [(now - row.created_at).total_seconds() for row in rows]
    labels = _labels(year)
    by_form: dict[str, int] = {}
    for row in rows:
        by_form[row.form] = by_form.get(row.form, 0) + 1
    out: dict[str, Any] = {
        "count": len(rows),
        "oldest_days": _days(max(ages)) if ages else None,
        "by_form": [
            {"form": form, "label": labels.get(form, form), "count": count}
            for form, count in sorted(by_form.items(), key=lambda item: -item[1])
        ],
    }
    for days, key in WAITS:
        out[key] = sum(age > days * DAY_SECONDS for age in ages)
    return out


def _decisions(actor: Actor, year: int) -> pd.DataFrame:
    """The year's decisions in scope: form, outcome, month (local) and days taken."""
    c = Credit.__table__.c
    start, end = _year_bounds(year)
    query = scoped(
        actor,
        "credit.turnaround",
        sa.select(Credit.id, c.form, c.status, c.created_at, c.decided_at),
    ).where(
        c.status.in_(("approved", "rejected")),
        c.decided_at >= start,
        c.decided_at < end,
    )
    rows = db.session.execute(query).all()
    return pd.DataFrame(
        {
            "form": [r.form for r in rows],
            "status": [r.status for r in rows],
            "month": [to_local(r.decided_at).strftime("%Y-%m") for r in rows],
            "days": [(r.decided_at - r.created_at).total_seconds() / DAY_SECONDS for r in rows],
        },
        columns=["form", "status", "month", "days"],
    )


def _figures(frame: pd.DataFrame) -> dict[str, Any]:
    if frame.empty:
        return {"decided": 0, "approved": 0, "rejected": 0, "median_days": None, "p90_days": None}
    return {
        "decided": len(frame),
        "approved": int((frame["status"] == "approved").sum()),
        "rejected": int((frame["status"] == "rejected").sum()),
        "median_days": _number(float(frame["days"].median())),
        "p90_days": _number(float(frame["days"].quantile(0.9))),
    }


def turnaround(actor: Actor, year: int, by: str = "month") -> dict[str, Any]:
    """The caller's pending queue and the year's turnaround, per month or per form."""
    frame = _decisions(actor, year)
    labels = _labels(year)
    if by == "month":
        keys = [(f"{year}-{m:02d}", f"{m}月") for m in range(1, 13)]
    else:
        stored = sorted(set(frame["form"]) - set(labels))
        keys = [*labels.items(), *((form, form) for form in stored)]
    groups = {key: part for key, part in frame.groupby(by)} if not frame.empty else {}
    return {
        "year": year,
        "by": by,
        "pending": pending_summary(actor, year),
        "overall": _figures(frame),
        "groups": [
            {"key": key, "label": label, **_figures(groups.get(key, frame.iloc[0:0]))}
            for key, label in keys
        ],
    }
