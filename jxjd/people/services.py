"""Finding and creating people by ID number."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.common.crypto import FieldCipher, app_keystore, id_lookup_hash, protect_id_number
from jxjd.common.db import insert_ignoring_conflicts
from jxjd.common.ids import id_number_problem, mask_id_number, normalize_id_number
from jxjd.common.phones import mask_phone
from jxjd.common.time import utcnow
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person


def checked_id_number(raw: str, field: str = "id_number") -> str:
    """Normalise an ID number or raise 422 invalid_id_number."""
    value = normalize_id_number(raw or "")
    problem = id_number_problem(value)
    if problem:
        raise ValidationFailed([field_error("invalid_id_number", problem, field=field)])
    return value


def find_person(id_number: str) -> Person | None:
    """The person with this (normalised) ID number, if known."""
    return db.session.scalar(sa.select(Person).where(Person.id_hash == id_lookup_hash(id_number)))


def ensure_person(id_number: str, name: str) -> Person:
    """The person with this ID number, created with `name` when new."""
    person = find_person(id_number)
    if person is None:
        encrypted, digest = protect_id_number(id_number)
        # ON CONFLICT DO NOTHING: two requests creating the same person both end with one row.
        db.session.execute(
            insert_ignoring_conflicts(Person.__table__).values(
                id_hash=digest,
                id_encrypted=encrypted,
                id_masked=mask_id_number(id_number),
                name=name,
                created_at=utcnow(),
            )
        )
        person = find_person(id_number)
    return person


PHONE_CONTEXT = "phone"  # the associated data of the phone column: its own, unlike the ID number's


def phone_cipher() -> FieldCipher:
    """The field cipher for stored phone numbers."""
    return FieldCipher(app_keystore().secret("field-encryption"))


def phone_columns(phone: str, cipher: FieldCipher | None = None) -> dict[str, object]:
    """The stored form of a normalised mobile number: encrypted, and masked for display."""
    cipher = cipher or phone_cipher()
    return {
        "phone_encrypted": cipher.encrypt(phone, context=PHONE_CONTEXT),
        "phone_masked": mask_phone(phone),
    }


def phone_of(person: Person) -> str | None:
    """The person's mobile number on record, decrypted (for sending a code only)."""
    if person.phone_encrypted is None:
        return None
    return phone_cipher().decrypt(person.phone_encrypted, context=PHONE_CONTEXT)
