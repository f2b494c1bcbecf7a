"""API tokens (stored only as hashes), web accounts (strong password hashes), activation codes."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from jxjd.auth import Actor, actor_from_scope
from jxjd.common.enums import ROLES as ROLE_LABELS
from jxjd.common.types import UTCDateTime
from jxjd.extensions import Model

ROLES = tuple(ROLE_LABELS)  # admin, dept, base, employer, person, applicant (labels: common.enums)


class ScopeMixin:
    """The role and the one thing it is bound to (a base, a department, a person, a unit)."""

    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    base_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("bases.id"), index=True)
    department: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    person_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    credit_code: so.Mapped[str | None] = so.mapped_column(sa.String(18))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


class ApiToken(ScopeMixin, Model):
    """A bearer token; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    # Written at most once a minute per token (see accounts.services.note_token_use).
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class Account(UserMixin, ScopeMixin, Model):
    """A web login (username + password) for the pages."""

    __tablename__ = "accounts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    disabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # Reset by an admin: no login until the person registers again with a new code.
    reset_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The server side of every session cookie of this account: a cookie names the account and
    # this value, and stops working once it changes (logout, password change, reset, disable).
    session_token: so.Mapped[str] = so.mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(16)
    )
    # Person accounts: one per person at most.
    __table_args__ = (sa.UniqueConstraint("person_id", name="uq_accounts_person_id"),)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.reset_at is None

    def get_id(self) -> str:
        """What the session cookie holds: the account id and its current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def actor(self) -> Actor:
        """The Actor this account acts as."""
        return actor_from_scope(self, f"account:{self.id}")


CODE_CHANNELS = ("letter", "sms")


class ActivationCode(Model):
    """A one-time code that opens a person's account: a printed letter or an SMS.

    Only a keyed hash is kept (HMAC over channel, person and code: a 6-digit SMS code would
    otherwise be read back from its plain SHA-256 in moments).
    """

    __tablename__ = "activation_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(8))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_by: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # Superseded by a newer code of the same channel, or voided when the account was opened.
    voided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
