"""A credit: hours a person earned outside the provincial bases, and its review."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import Hours, UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.people.models import Person

CREDIT_STATUSES = {
    "pending": "待审核",
    "approved": "已认定",
    "rejected": "不予认定",
    "revoked": "已撤销",
}
SOURCES = {
    "admin": "省人社厅录入",
    "dept": "主管部门录入",
    "employer": "用人单位录入",
    "person": "本人申报",
}


class Credit(Model):
    """One recognised (or to-be-recognised) activity of a person, converted to hours."""

    __tablename__ = "credits"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    year: so.Mapped[int] = so.mapped_column()
    form: so.Mapped[str] = so.mapped_column(sa.String(40))
    category: so.Mapped[str] = so.mapped_column(sa.String(16))
    quantity: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(8, 1))
    hours: so.Mapped[Decimal] = so.mapped_column(Hours)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    provider: so.Mapped[str] = so.mapped_column(sa.String(200))
    start_date: so.Mapped[date] = so.mapped_column()
    end_date: so.Mapped[date] = so.mapped_column()
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    # The conversion used: the year's table version (0: the defaults), its rate and cap.
    rule_version: so.Mapped[int] = so.mapped_column()
    hours_per_unit: so.Mapped[Decimal] = so.mapped_column(Hours)
    yearly_cap: so.Mapped[Decimal | None] = so.mapped_column(Hours)
    # Who entered it: admin, dept, employer or person (a claim), and the unit for employers.
    source: so.Mapped[str] = so.mapped_column(sa.String(16))
    entered_by_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    entered_by_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    entered_by_unit: so.Mapped[str | None] = so.mapped_column(sa.String(18), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    opinion: so.Mapped[str | None] = so.mapped_column(sa.String(1000))
    # Evidence (a claim's PDF or photo): its checked type and digest; the bytes in credit_evidence.
    evidence_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    evidence_type: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    evidence_size: so.Mapped[int | None] = so.mapped_column()
    # Set while the credit is live (pending or approved): the same activity twice is refused,
    # also when two requests or imports run at the same time. Cleared on reject and revoke.
    live_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    import_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("credit_imports.id"))

    person: so.Mapped[Person] = so.relationship()  # noqa: F821


class CreditImport(Model):
    """One bulk import of credits: the receipt of what came in and what was stored."""

    __tablename__ = "credit_imports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    mode: so.Mapped[str] = so.mapped_column(sa.String(8))
    filename: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    received: so.Mapped[int] = so.mapped_column()
    recorded: so.Mapped[int] = so.mapped_column()
    already_recorded: so.Mapped[int] = so.mapped_column()
    rejected: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


class CreditEvidence(Model):
    """A claim's evidence file, in the database (every instance serves it; backups hold it)."""

    __tablename__ = "credit_evidence"

    credit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("credits.id"), primary_key=True)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
