"""Imports every model so the metadata is complete (migrations, create_all)."""

from jxjd.accounts.models import Account, ApiToken  # noqa: F401
from jxjd.audit.models import AuditEvent, AuditHead  # noqa: F401
from jxjd.bases.models import Base, BaseSpecialty, BaseStatusChange  # noqa: F401
from jxjd.people.models import Person  # noqa: F401
