"""Finding and creating people by ID number: the one place a person row is made.

`ensure_people` creates people set-based (ids reserved up front, then COPY on PostgreSQL or one
executemany elsewhere, nothing read back) and safely under concurrency: rows go in sorted by
look-up hash (concurrent callers take the unique-index locks in the same order) skipping
id_hash conflicts, and whoever lost a race reads the winner's row.
The roster upload, accounts and tokens for a person (`ensure_person`) all go through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa

from jxjd.common.crypto import FieldCipher, app_keystore, lookup_hash
from jxjd.common.db import bulk_insert, chunked, in_batches, reserve_ids
from jxjd.common.ids import id_number_problem, mask_id_number, normalize_id_number
from jxjd.common.phones import mask_phone
from jxjd.common.time import utcnow
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person

ID_CONTEXT = "id_number"  # the associated data of the encrypted ID number
PHONE_CONTEXT = "phone"  # the associated data of the phone column: its own, unlike the ID number's


class PersonRef(NamedTuple):
    """A stored person as the bulk paths need it: id and registered name."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class NewPerson:
    """What creating a person takes: the normalised ID number and the name to register."""

    id_number: str
    name: str


def checked_id_number(raw: str, field: str = "id_number") -> str:
    """Normalise an ID number or raise 422 invalid_id_number."""
    value = normalize_id_number(raw or "")
    problem = id_number_problem(value)
    if problem:
        raise ValidationFailed([field_error("invalid_id_number", problem, field=field)])
    return value


def id_hashes(id_numbers: Iterable[str]) -> list[str]:
    """The look-up hashes of normalised ID numbers, in order (the key is read once)."""
    key = app_keystore().secret("lookup-hmac")
    return [lookup_hash(key, value) for value in id_numbers]


def people_by_hash(digests: Iterable[str]) -> dict[str, PersonRef]:
    """The stored people among these look-up hashes (common.db.in_batches)."""
    found: dict[str, PersonRef] = {}
    for wanted in in_batches(Person.id_hash, sorted(set(digests))):
        for pid, digest, name in db.session.execute(
            sa.select(Person.id, Person.id_hash, Person.name).where(wanted)
        ):
            found[digest] = PersonRef(pid, name)
    return found


def ensure_people(
    wanted: Mapping[str, NewPerson], known: Mapping[str, PersonRef] | None = None
) -> dict[str, PersonRef]:
    """The people with these look-up hashes, the missing ones created (set-based, race-safe).

    `known` saves the look-up when the caller has just read the stored people itself.
    """
    found = dict(known) if known is not None else people_by_hash(wanted)
    missing = sorted(digest for digest in wanted if digest not in found)
    if missing:
        found.update(_insert_people({digest: wanted[digest] for digest in missing}))
    return {digest: found[digest] for digest in wanted}


def _insert_people(new: Mapping[str, NewPerson]) -> dict[str, PersonRef]:
    """Store new people with ids reserved up front, skipping id_hash conflicts; all of them.

    Nothing is read back unless a concurrent request stored some of the same people first:
    then the winners' rows are read.
    """
    cipher = FieldCipher(app_keystore().secret("field-encryption"))
    now = utcnow()
    # Sorted: concurrent callers take the unique-index locks in the same order (in any other
    # order, two rosters listing the same people differently deadlock).
    ordered = sorted(new.items())
    ids = reserve_ids(Person.__table__, len(ordered))
    rows: list[dict[str, Any]] = [
        {
            "id": pid,
            "id_hash": digest,
            "id_encrypted": cipher.encrypt(person.id_number, context=ID_CONTEXT),
            "id_masked": mask_id_number(person.id_number),
            "name": person.name,
            "created_at": now,
        }
        for pid, (digest, person) in zip(ids, ordered, strict=True)
    ]
    stored = bulk_insert(Person.__table__, rows, conflict_target=["id_hash"])
    if stored < len(rows):  # some were stored first by a concurrent request: read who won
        return people_by_hash(new)
    return {row["id_hash"]: PersonRef(row["id"], row["name"]) for row in rows}


def find_person(id_number: str) -> Person | None:
    """The person with this (normalised) ID number, if known."""
    (digest,) = id_hashes([id_number])
    return db.session.scalar(sa.select(Person).where(Person.id_hash == digest))


def ensure_person(id_number: str, name: str) -> Person:
    """The person with this (normalised) ID number, created with `name` when new."""
    (digest,) = id_hashes([id_number])
    ref = ensure_people({digest: NewPerson(id_number, name)})[digest]
    return db.session.get_one(Person, ref.id)


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


def store_phones(phones: Mapping[int, str]) -> None:
    """Mobile numbers onto people (person id → number), encrypted, in id order; latest wins."""
    if not phones:
        return
    cipher = phone_cipher()
    column = Person.__table__.c
    update = (
        sa.update(Person.__table__)
        .where(column.id == sa.bindparam("pid"))
        .values(phone_encrypted=sa.bindparam("enc"), phone_masked=sa.bindparam("masked"))
    )
    rows = []
    for pid, phone in sorted(phones.items()):
        stored = phone_columns(phone, cipher)
        rows.append(
            {"pid": pid, "enc": stored["phone_encrypted"], "masked": stored["phone_masked"]}
        )
    for batch in chunked(rows):
        db.session.execute(update, list(batch))


def phone_of(person: Person) -> str | None:
    """The person's mobile number on record, decrypted (for sending a code only)."""
    if person.phone_encrypted is None:
        return None
    return phone_cipher().decrypt(person.phone_encrypted, context=PHONE_CONTEXT)
