"""Status list entries: one per certificate, unique, spread over the list, rolled over when full."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.certificates.models import Certificate
from jxjd.credentials import status
from jxjd.credentials.models import CredentialStatus, StatusList
from jxjd.extensions import db


@pytest.mark.parametrize("size", [8, 16, 100, 4096])
def test_permute_is_a_bijection_of_the_list(size):
    seed = bytes(range(32))
    assert sorted(status.permute(seed, n, size) for n in range(size)) == list(range(size))


def test_permute_spreads_consecutive_entries_over_a_full_size_list():
    seed = b"\x01" * 32
    first = [status.permute(seed, n) for n in range(64)]
    assert len(set(first)) == 64
    assert first != sorted(first)
    gaps = [abs(a - b) for a, b in zip(first, first[1:], strict=False)]
    assert sum(gaps) / len(gaps) > 10_000  # neighbours in time are far apart in the list
    # Another seed, another order.
    assert [status.permute(b"\x02" * 32, n) for n in range(64)] != first


def test_permute_keeps_the_indices_it_has_always_given():
    """Lists already handed out entries: the same seed and n must give the same index for ever."""
    seed = bytes(range(32))
    assert [status.permute(seed, n) for n in range(8)] == [
        71349,
        100896,
        89473,
        62649,
        51952,
        126837,
        114833,
        64278,
    ]
    assert [status.permute(b"\x07" * 32, n, 100) for n in range(8)] == [
        77,
        27,
        81,
        75,
        56,
        92,
        62,
        82,
    ]


def test_permute_refuses_entries_outside_the_list():
    with pytest.raises(ValueError):
        status.permute(b"k", 8, 8)


def ids(issue_certificates, count):
    from tests.fixtures.attendance import trainees

    issue_certificates(trainees(count))
    return list(db.session.scalars(sa.select(Certificate.id).order_by(Certificate.id)))


def test_each_certificate_gets_one_entry_and_keeps_it(issue_certificates):
    cert_ids = ids(issue_certificates, 5)
    entries = [status.ensure_entry(cid) for cid in cert_ids]
    db.session.commit()
    assert len({(e.list_id, e.idx) for e in entries}) == 5
    assert len({e.salt for e in entries}) == 5
    again = status.ensure_entry(cert_ids[0])
    assert (again.list_id, again.idx, again.salt) == (
        entries[0].list_id,
        entries[0].idx,
        entries[0].salt,
    )
    lists = db.session.scalars(sa.select(StatusList)).all()
    assert len(lists) == 1 and lists[0].allocated == 5 and lists[0].size == 131_072


def _forget_entries() -> None:
    """Certificates as issued before entries were allocated at issue (lazy allocation)."""
    db.session.execute(sa.delete(CredentialStatus))
    db.session.execute(sa.delete(StatusList))
    db.session.commit()


def test_issuing_allocates_an_entry_for_every_certificate_at_once(issue_certificates):
    cert_ids = ids(issue_certificates, 5)
    rows = db.session.execute(
        sa.select(CredentialStatus.certificate_id, CredentialStatus.list_id, CredentialStatus.idx)
    ).all()
    assert sorted(r.certificate_id for r in rows) == cert_ids
    assert len({(r.list_id, r.idx) for r in rows}) == 5
    (only,) = db.session.scalars(sa.select(StatusList)).all()
    assert only.allocated == 5
    assert status.allocate_entries(cert_ids) == 0  # nothing left to allocate


def test_bulk_allocation_fills_a_list_then_opens_the_next(issue_certificates, monkeypatch):
    monkeypatch.setattr(status, "STATUS_LIST_SIZE", 8)
    cert_ids = ids(issue_certificates, 12)
    _forget_entries()
    status.ensure_entry(cert_ids[0])
    assert status.allocate_entries(cert_ids) == 11
    assert status.allocate_entries(cert_ids) == 0  # idempotent
    db.session.commit()
    rows = db.session.execute(sa.select(CredentialStatus.list_id, CredentialStatus.idx)).all()
    by_list: dict[int, list[int]] = {}
    for list_id, idx in rows:
        by_list.setdefault(list_id, []).append(idx)
    assert sorted(len(v) for v in by_list.values()) == [4, 8]
    full = max(by_list.values(), key=len)
    assert sorted(full) == list(range(8))  # every index of the full list used exactly once
    assert all(0 <= i < 8 for v in by_list.values() for i in v)


def test_an_index_cannot_be_given_twice(issue_certificates):
    cert_ids = ids(issue_certificates, 2)
    entry = status.ensure_entry(cert_ids[0])
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            CredentialStatus.__table__.insert().values(
                certificate_id=cert_ids[1],
                list_id=entry.list_id,
                idx=entry.idx,
                salt="x",
                created_at=entry.created_at,
            )
        )
    db.session.rollback()


def test_revoked_indices_and_the_revocation_stamp_follow_revocations(
    issue_certificates, client, admin_headers
):
    cert_ids = ids(issue_certificates, 3)
    entries = [status.ensure_entry(cid) for cid in cert_ids]
    db.session.commit()
    before = status.revocation_stamp()
    assert status.revoked_indices(entries[0].list_id) == []
    serial = db.session.get(Certificate, cert_ids[1]).serial
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke", json={"reason": "重复发证"}, headers=admin_headers
    )
    assert resp.status_code == 200
    assert status.revoked_indices(entries[0].list_id) == [entries[1].idx]
    assert status.revocation_stamp() != before


# ---- the keyed order of a list's entries -----------------------------------------------------


def test_permute_keeps_the_indexes_lists_already_hold():
    """The round values are tabulated once per list; the order must stay what the per-entry
    HMACs gave, or new entries could collide with indexes already handed out."""
    from jxjd.credentials.status import permute

    seed = bytes(range(32))
    assert [permute(seed, n) for n in (0, 1, 2, 1000, 65535, 131071)] == [
        71349, 100896, 89473, 62460, 22944, 26682
    ]  # fmt: skip
    assert permute(seed, 131071) != permute(bytes(32), 131071)  # keyed by the seed
