"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware timestamp stored as UTC; SQLite's naive values come back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Hours (学时): at most one decimal place, e.g. 24 or 1.5.
Hours = sa.Numeric(5, 1)


def hours_json(value: Decimal | None) -> int | float | None:
    """Hours as a JSON number: 24 for 24.0, 1.5 for 1.5."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)
