"""Attendance records (one per person and session) and the uploads that brought them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from jxjd.common.types import Hours, UTCDateTime
from jxjd.extensions import Model

if TYPE_CHECKING:
    from jxjd.certificates.models import Certificate
    from jxjd.people.models import Person


class AttendanceUpload(Model):
    """One roster upload: a receipt of what came in and what was stored."""

    __tablename__ = "attendance_uploads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("training_sessions.id"), index=True)
    actor_ref: so.Mapped[str] = so.mapped_column(sa.String(64))
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    mode: so.Mapped[str] = so.mapped_column(sa.String(8))
    filename: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    received: so.Mapped[int] = so.mapped_column()
    recorded: so.Mapped[int] = so.mapped_column()
    already_recorded: so.Mapped[int] = so.mapped_column()
    rejected: so.Mapped[int] = so.mapped_column()
    certificates_issued: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


class AttendanceRecord(Model):
    """A person's attendance of a session, as uploaded; at most one per person and session."""

    __tablename__ = "attendance_records"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("training_sessions.id"))
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    upload_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("attendance_uploads.id"))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    employer: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    hours: so.Mapped[Decimal] = so.mapped_column(Hours)
    result: so.Mapped[str] = so.mapped_column(sa.String(8))
    # What the archive counts: the hours on a pass, 0 on a fail.
    credited_hours: so.Mapped[Decimal] = so.mapped_column(Hours)
    # False once the record's certificate is revoked (set in the revoking transaction), so the
    # counted-hours rule (attendance.counting) reads the record alone, never the certificates.
    counted: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    name_differs: so.Mapped[bool] = so.mapped_column(default=False)
    # A corrected category (科目类别) when the session's was wrong for this trainee; else null.
    category: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    person: so.Mapped[Person] = so.relationship()  # noqa: F821
    # The record's current certificate: the one no correction replaced (valid, or revoked
    # without a replacement); replaced ones stay in the register, linked to their successor.
    certificate: so.Mapped[Certificate | None] = so.relationship(  # noqa: F821
        primaryjoin="and_(AttendanceRecord.id == Certificate.record_id, "
        "Certificate.replaced_by_id.is_(None))",
        uselist=False,
        viewonly=True,
    )

    __table_args__ = (sa.UniqueConstraint("session_id", "person_id"),)


# Sums of hours over many records: wider than one record's Hours.
TallyHours = sa.Numeric(14, 1)


class BaseYearTally(Model):
    """A base's delivered training in one year (the §9 figures), kept in step with its records.

    Maintained in the transactions that store records and revoke certificates
    (attendance.tallies); reports read one row per base instead of scanning the records.
    """

    __tablename__ = "base_year_tallies"

    base_id: so.Mapped[int] = so.mapped_column(primary_key=True)  # no foreign key: derived
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    trainees: so.Mapped[int] = so.mapped_column(default=0)
    person_times: so.Mapped[int] = so.mapped_column(default=0)
    trainee_hours: so.Mapped[Decimal] = so.mapped_column(TallyHours, default=Decimal(0))


class BasePersonYearTally(Model):
    """One person's records and counted hours at one base in one year (distinct trainees)."""

    __tablename__ = "base_person_year_tallies"

    # No foreign keys on the tallies: each row is derived from records whose own keys are
    # checked, and the per-row key checks would double the cost of an upload's upserts.
    base_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_times: so.Mapped[int] = so.mapped_column(default=0)
    counted_hours: so.Mapped[Decimal] = so.mapped_column(TallyHours, default=Decimal(0))

    __table_args__ = (sa.Index("ix_base_person_year_tallies_person_year", "person_id", "year"),)


class PersonYearTally(Model):
    """One person's counted hours at every base in one year: the province's distinct trained
    people are the rows with hours (a count over one index, not a distinct over every base's
    tallies). Kept with the base tallies in attendance.tallies."""

    __tablename__ = "person_year_tallies"

    person_id: so.Mapped[int] = so.mapped_column(primary_key=True)  # no foreign key: derived
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    counted_hours: so.Mapped[Decimal] = so.mapped_column(TallyHours, default=Decimal(0))

    __table_args__ = (
        sa.Index(
            "ix_person_year_tallies_trained",
            "year",
            sqlite_where=sa.text("counted_hours > 0"),
            postgresql_where=sa.text("counted_hours > 0"),
        ),
    )
