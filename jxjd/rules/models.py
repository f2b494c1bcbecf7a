"""A per-year override of the default rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import Hours, UTCDateTime
from jxjd.extensions import Model


class YearRule(Model):
    """The rules in force for one calendar year, where they differ from the defaults."""

    __tablename__ = "year_rules"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    required_total: so.Mapped[Decimal] = so.mapped_column(Hours)
    required_general: so.Mapped[Decimal] = so.mapped_column(Hours)
    required_professional: so.Mapped[Decimal] = so.mapped_column(Hours)
    daily_hour_cap: so.Mapped[Decimal] = so.mapped_column(Hours)
    min_trainees: so.Mapped[int] = so.mapped_column()
    span_senior: so.Mapped[int] = so.mapped_column()
    span_intermediate: so.Mapped[int] = so.mapped_column()
    span_junior: so.Mapped[int] = so.mapped_column()
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(200))


class ConversionTable(Model):
    """A year's conversion table for credits from other sources (学时认定), where it differs."""

    __tablename__ = "conversion_tables"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    # Each save of the year's table is a new version; credits keep the version they used.
    version: so.Mapped[int] = so.mapped_column()
    # [{"form", "label", "category", "unit", "hours_per_unit", "yearly_cap"}], hours as strings.
    forms: so.Mapped[list] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(200))
