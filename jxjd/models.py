"""Imports every model so the metadata is complete (migrations, create_all)."""

from jxjd.accounts.models import Account, ActivationCode, ApiToken  # noqa: F401
from jxjd.applications.models import Application, PlaqueSequence  # noqa: F401
from jxjd.archive.models import Grant, GrantAccess  # noqa: F401
from jxjd.attendance.models import (  # noqa: F401, E402
    AttendanceRecord,
    AttendanceUpload,
    BasePersonYearTally,
    BaseYearTally,
    PersonYearTally,
)
from jxjd.audit.models import AccessLogEntry, AuditEvent, AuditHead  # noqa: F401
from jxjd.bases.models import Base, BaseChange, BaseSpecialty, BaseStatusChange  # noqa: F401
from jxjd.certificates.models import Certificate  # noqa: F401, E402
from jxjd.credentials.models import CredentialStatus, StatusList  # noqa: F401
from jxjd.credits.models import Credit, CreditEvidence, CreditImport  # noqa: F401
from jxjd.departments.models import Department  # noqa: F401
from jxjd.evaluations.models import Evaluation, EvaluationRound, EvaluationScore  # noqa: F401, E402
from jxjd.feedback.models import SessionFeedback  # noqa: F401, E402
from jxjd.keys.models import KeyFingerprint  # noqa: F401
from jxjd.people.models import Person  # noqa: F401
from jxjd.plans.models import Plan, PlanItem  # noqa: F401, E402
from jxjd.rules.models import ConversionTable, YearRule  # noqa: F401, E402
from jxjd.sessions.models import TrainingSession  # noqa: F401, E402
from jxjd.spotchecks.models import SpotCheck, SpotCheckItem  # noqa: F401, E402
from jxjd.transcripts.models import Transcript  # noqa: F401
