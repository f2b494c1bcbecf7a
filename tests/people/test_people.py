"""people.services: the one way a person row is made, set-based and race-safe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.common.db import insert_ignoring_conflicts
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import (
    NewPerson,
    ensure_people,
    ensure_person,
    find_person,
    id_hashes,
    people_by_hash,
)
from tests.fixtures.attendance import new_id_number


def _wanted(count: int) -> dict[str, NewPerson]:
    numbers = [new_id_number() for _ in range(count)]
    people = [NewPerson(n, f"学员{i}") for i, n in enumerate(numbers)]
    return dict(zip(id_hashes(numbers), people, strict=True))


def test_ensure_people_creates_the_missing_and_keeps_the_known(app):
    first = _wanted(3)
    created = ensure_people(first)
    assert sorted(ref.name for ref in created.values()) == ["学员0", "学员1", "学员2"]
    more = {**first, **_wanted(2)}
    renamed = {digest: NewPerson(p.id_number, "别名") for digest, p in more.items()}
    again = ensure_people(renamed)
    assert {d: again[d] for d in first} == created  # known people keep their id and name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 5
    stored = db.session.get(Person, again[next(iter(first))].id)
    assert stored.id_masked == stored.mask(first[stored.id_hash].id_number)


def test_ensure_people_reads_rows_another_request_stored_first(app):
    wanted = _wanted(4)
    raced = dict(list(wanted.items())[:2])
    ensure_people(raced)  # the other request
    # This caller read the register before the other request stored its rows.
    result = ensure_people(wanted, known={})
    assert {d: result[d] for d in raced} == people_by_hash(raced)
    assert len(set(result.values())) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 4


def test_ensure_person_and_find_person_agree(app):
    number = new_id_number()
    assert find_person(number) is None
    person = ensure_person(number, "王伟")
    assert ensure_person(number, "李芳").id == person.id
    assert find_person(number).name == "王伟"


def test_a_collision_outside_the_conflict_target_is_an_error_not_a_skipped_row(app):
    # A bare ON CONFLICT DO NOTHING skipped a row whose id was taken (a sequence behind its
    # table), and the upload then failed looking for it; with the target named it is an error.
    (digest,) = id_hashes([new_id_number()])
    taken = ensure_person(new_id_number(), "王伟").id
    row = {
        "id": taken,
        "id_hash": digest,
        "id_encrypted": b"x",
        "id_masked": "430104********0015",
        "name": "李芳",
        "created_at": sa.func.now(),
    }
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            insert_ignoring_conflicts(Person.__table__, conflict_target=["id_hash"]).values(row)
        )
    db.session.rollback()


def test_the_conflict_target_must_be_named(app):
    with pytest.raises(TypeError):
        insert_ignoring_conflicts(Person.__table__)


def test_people_stored_past_the_orm_are_committed_with_the_request(app):
    """The bulk insert bypasses the ORM; the unit of work still knows to commit it."""
    from jxjd.transactions import begin_request, commit_request

    db.session.commit()
    begin_request()
    ensure_people(_wanted(2))
    commit_request()
    db.session.rollback()  # what was not committed would vanish here
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2
