"""The hash-chained audit trail: every state change is recorded, and tampering is detected."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from jxjd.audit.models import AuditEvent, AuditHead
from jxjd.audit.services import events_for, verify_chain
from jxjd.extensions import db
from tests.fixtures.bases import base_payload


@pytest.fixture
def named_admin(make_headers):
    return make_headers("admin", name="省人社厅专技处王某")


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def history(client, named_admin):
    """Four API actions by one admin: a base created, its status and specialties changed, a token."""
    base_id = client.post("/api/v1/bases", json=base_payload(), headers=named_admin).json["id"]
    client.post(
        f"/api/v1/bases/{base_id}/status",
        json={"status": "rectifying", "reason": "年度评估不合格"},
        headers=named_admin,
    )
    client.put(
        f"/api/v1/bases/{base_id}/specialties",
        json={"specialties": [{"name": "土木建筑", "levels": ["junior"], "audiences": ["public"]}]},
        headers=named_admin,
    )
    client.post(
        "/api/v1/tokens",
        json={
            "role": "employer",
            "name": "某公司",
            "credit_code": "91430100MA4L00001J",
            "days": 30,
        },
        headers=named_admin,
    )
    return base_id


def test_base_creation_is_recorded_with_its_actor(history):
    (event,) = _events("base.create")
    assert (event.actor_role, event.actor_name) == ("admin", "省人社厅专技处王某")
    assert event.actor_ref.startswith("token:")
    assert (event.target_type, event.target_id) == ("base", str(history))
    assert event.summary["status"] == "recognized"


def test_status_change_is_recorded_with_from_to_and_reason(history):
    (event,) = _events("base.status")
    assert (event.actor_role, event.actor_name) == ("admin", "省人社厅专技处王某")
    assert (event.target_type, event.target_id) == ("base", str(history))
    assert event.summary == {
        "from_status": "recognized",
        "to_status": "rectifying",
        "reason": "年度评估不合格",
    }


def test_specialty_replacement_is_recorded_before_and_after(history):
    (event,) = _events("base.specialties")
    assert event.actor_name == "省人社厅专技处王某"
    assert (event.target_type, event.target_id) == ("base", str(history))
    assert event.summary == {"before": ["电子信息", "公需科目"], "after": ["土木建筑"]}


def test_token_creation_is_recorded_without_the_token(history):
    events = _events("token.create")
    by_api = [e for e in events if e.actor_name == "省人社厅专技处王某"]
    assert len(by_api) == 1
    assert by_api[0].target_type == "token"
    summary = by_api[0].summary
    assert {k: summary[k] for k in ("role", "name", "days")} == {
        "role": "employer",
        "name": "某公司",
        "days": 30,
    }
    assert summary["expires_at"].endswith("+08:00")  # the expiry set is part of the record


def test_events_for_lists_one_targets_events_in_order(history):
    actions = [e.action for e in events_for("base", history)]
    assert actions == ["base.create", "base.status", "base.specialties"]


def test_refused_actions_record_nothing(client, named_admin, create_base):
    base = create_base(status="applying")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    resp = client.post(
        f"/api/v1/bases/{base.id}/status",
        json={"status": "revoked", "reason": "不允许"},
        headers=named_admin,
    )
    assert resp.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_chain_of_real_actions_verifies(history):
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    report = verify_chain()
    assert report.reason is None and report.broken_at is None
    assert report.checked == total >= 5


def test_chain_links_each_event_to_its_predecessor(history):
    events = list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
    assert events[0].prev_hash == "0" * 64
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.prev_hash == earlier.hash


def test_verification_walks_the_chain_in_batches(history):
    assert verify_chain(batch=2).reason is None


def test_an_edited_summary_breaks_the_chain_at_that_event(history):
    target = _events("base.status")[0].id
    db.session.execute(
        sa.update(AuditEvent.__table__)
        .where(AuditEvent.__table__.c.id == target)
        .values(summary={"from_status": "recognized", "to_status": "rectifying", "reason": "无"})
    )
    db.session.commit()
    report = verify_chain()
    assert report.broken_at == target
    assert "hash" in report.reason


def test_an_edited_actor_breaks_the_chain_at_that_event(history):
    target = _events("base.create")[0].id
    db.session.execute(
        sa.update(AuditEvent.__table__)
        .where(AuditEvent.__table__.c.id == target)
        .values(actor_name="别人")
    )
    db.session.commit()
    assert verify_chain().broken_at == target


def test_a_deleted_middle_event_breaks_the_chain(history):
    ids = list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))
    middle = ids[len(ids) // 2]
    db.session.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id == middle))
    db.session.commit()
    report = verify_chain()
    assert report.broken_at == ids[ids.index(middle) + 1]
    assert "prev_hash" in report.reason


def test_a_deleted_last_event_is_caught_by_the_chain_head(history):
    last = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    db.session.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id == last))
    db.session.commit()
    report = verify_chain()
    assert report.reason == "chain head does not match the last event"


def test_deleting_every_event_is_caught_by_the_chain_head(history):
    db.session.execute(sa.delete(AuditEvent.__table__))
    db.session.commit()
    report = verify_chain()
    assert report.checked == 0
    assert report.reason == "chain head does not match the last event"


def test_verification_reads_what_is_stored_not_what_the_session_remembers(history):
    event = _events("base.create")[0]
    assert event.summary["status"] == "recognized"  # loaded into the session's identity map
    db.session.execute(
        sa.update(AuditEvent.__table__)
        .where(AuditEvent.__table__.c.id == event.id)
        .values(summary={"name": "改过的名字"})
    )
    assert verify_chain().broken_at == event.id
    db.session.rollback()


def test_cli_verify_exits_0_when_intact(app, history):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    assert "BROKEN" not in result.output


def test_cli_verify_exits_1_and_says_broken_when_tampered(app, history):
    target = _events("base.specialties")[0].id
    db.session.execute(
        sa.update(AuditEvent.__table__)
        .where(AuditEvent.__table__.c.id == target)
        .values(summary={"before": [], "after": []})
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert f"event {target}" in result.output


# ---- a keyed chain: rewriting, truncating and rolling back are detected -----------------------


def _rows() -> list:
    table = AuditEvent.__table__
    return db.session.execute(sa.select(table).order_by(table.c.id)).all()


def _set(event_id: int, **values) -> None:
    table = AuditEvent.__table__
    db.session.execute(sa.update(table).where(table.c.id == event_id).values(**values))


def _set_head(**values) -> None:
    db.session.execute(sa.update(AuditHead.__table__).values(**values))


def _rewrite_chain(digest) -> str:
    """Recompute every event's hash with `digest(prev, row)` and move the head: an attacker's
    whole-chain rewrite. Returns the new last hash."""
    prev = "0" * 64
    rows = _rows()
    # Unique constraints: park the old hashes out of the way first.
    for row in rows:
        _set(row.id, prev_hash=f"old-prev-{row.id}", hash=f"old-{row.id}")
    for row in rows:
        new = digest(prev, row)
        _set(row.id, prev_hash=prev, hash=new)
        prev = new
    _set_head(last_hash=prev, count=len(rows))
    db.session.commit()
    return prev


@pytest.fixture
def checkpoints(app, tmp_path, monkeypatch):
    """Checkpoints into a file of this test's own, one every 2 events (and the first keyed)."""
    path = tmp_path / "audit-checkpoints.jsonl"
    monkeypatch.setitem(app.config, "JXJD_AUDIT_CHECKPOINTS", str(path))
    monkeypatch.setitem(app.config, "JXJD_AUDIT_CHECKPOINT_EVERY", 2)
    return path


def test_events_are_keyed_macs_not_plain_digests(history):
    from jxjd.audit.services import _digest

    rows = _rows()
    assert {row.version for row in rows} == {2}
    for row in rows:
        assert row.hash != _digest(row.prev_hash, row)  # not computable without the key
    head = db.session.get(AuditHead, 1)
    assert head.mac and head.count == len(rows)


def test_editing_an_event_and_recomputing_every_hash_is_detected(history):
    from jxjd.audit.services import _digest, _mac

    target = _events("base.status")[0].id
    _set(target, summary={"from_status": "recognized", "to_status": "rectifying", "reason": "无"})
    db.session.commit()
    # Without the key an attacker can only guess: a key of their own, or plain SHA-256.
    _rewrite_chain(lambda prev, row: _mac(b"k" * 32, prev, row))
    report = verify_chain()
    assert report.broken_at == _rows()[0].id and "MAC" in report.reason

    _rewrite_chain(_digest)  # plain SHA-256 where the chain says HMAC
    report = verify_chain()
    assert report.broken_at == _rows()[0].id and "MAC" in report.reason


def test_cutting_events_off_the_end_and_moving_the_head_is_detected(history):
    rows = _rows()
    db.session.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.id == rows[-1].id))
    _set_head(last_hash=rows[-2].hash, count=len(rows) - 1)  # the mac cannot be recomputed
    db.session.commit()
    assert verify_chain().reason == "chain head MAC does not verify (head moved or forged)"

    _set_head(mac=None)  # pretending the chain was never keyed
    db.session.commit()
    assert verify_chain().reason == "chain head has no MAC although the chain is keyed"


def test_a_head_count_that_disagrees_is_detected(history):
    head = db.session.get(AuditHead, 1)
    _set_head(count=head.count + 3)
    db.session.commit()
    assert "counts" in verify_chain().reason


def test_a_rolled_back_chain_is_caught_by_a_later_checkpoint(client, named_admin, checkpoints):
    client.post("/api/v1/bases", json=base_payload(), headers=named_admin)
    saved = db.session.execute(sa.select(AuditHead.__table__)).one()  # an old copy of the head
    saved_count = saved.count
    for _ in range(3):
        client.post(
            "/api/v1/tokens",
            json={"role": "employer", "name": "甲", "credit_code": "91430100MA4L00001J"},
            headers=named_admin,
        )
    result = client.application.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert verify_chain().reason is None
    assert verify_chain().checkpoints >= 2

    # Replaying the old head row (from a backup) after deleting the newer events: the database
    # is consistent in itself, but the checkpoint file remembers more.
    table = AuditEvent.__table__
    newer = [row.id for row in _rows()[saved_count:]]
    db.session.execute(sa.delete(table).where(table.c.id.in_(newer)))
    _set_head(last_hash=saved.last_hash, count=saved.count, mac=saved.mac)
    db.session.commit()
    report = verify_chain()
    assert "were removed from the end, or the database was rolled back" in report.reason


def test_a_chain_rewritten_in_the_unkeyed_form_is_caught_by_the_checkpoint(
    client, named_admin, checkpoints
):
    from jxjd.audit.services import _digest

    client.post("/api/v1/bases", json=base_payload(), headers=named_admin)
    assert checkpoints.read_text().count("\n") >= 1  # the first keyed event is checkpointed
    _set(_rows()[0].id, summary={"name": "改过的名字"})
    db.session.execute(sa.update(AuditEvent.__table__).values(version=1))
    db.session.commit()
    _rewrite_chain(_digest)
    _set_head(mac=None)
    db.session.commit()
    report = verify_chain()
    assert "checkpoint" in report.reason


def test_checkpoints_are_written_every_n_events_after_commit(client, checkpoints, named_admin):
    for _ in range(5):
        client.post(
            "/api/v1/tokens",
            json={"role": "employer", "name": "乙", "credit_code": "91430100MA4L00001J"},
            headers=named_admin,
        )
    lines = [json.loads(line) for line in checkpoints.read_text().splitlines()]
    counts = [line["count"] for line in lines]
    assert counts == [1, 2, 4, 6]  # the first keyed event (the token above), then every 2nd
    assert all(set(line) == {"count", "last", "at", "mac"} for line in lines)
    assert verify_chain().reason is None


def test_an_edited_checkpoint_line_is_reported(client, named_admin, checkpoints):
    for _ in range(2):
        client.post(
            "/api/v1/tokens",
            json={"role": "employer", "name": "丙", "credit_code": "91430100MA4L00001J"},
            headers=named_admin,
        )
    lines = checkpoints.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["count"] = 1
    checkpoints.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    assert "not authentic" in verify_chain().reason


def test_no_checkpoint_for_a_rolled_back_transaction(app, checkpoints):
    from jxjd.audit.services import record_event
    from jxjd.auth import CLI

    record_event(CLI, "test.rolled_back", "nothing", 1)
    db.session.rollback()
    assert not checkpoints.exists()


def test_older_unkeyed_events_stay_verifiable_and_are_vouched_for_by_the_keyed_ones(
    history, client, named_admin
):
    from jxjd.audit.services import _digest

    # As after the upgrade: the events so far were written with SHA-256 digests (version 1).
    table = AuditEvent.__table__
    db.session.execute(sa.update(table).values(version=1))
    last = _rewrite_chain(_digest)
    _set_head(mac=None)
    db.session.commit()
    old = len(_rows())
    client.post(
        "/api/v1/tokens",
        json={"role": "employer", "name": "丁", "credit_code": "91430100MA4L00001J"},
        headers=named_admin,
    )
    report = verify_chain()
    assert report.reason is None and report.unkeyed == old and report.checked == old + 1
    assert _rows()[-1].prev_hash == last

    # Editing an old event and recomputing the old digests no longer fits the first keyed event.
    _set(_rows()[0].id, actor_name="别人")
    rows = _rows()
    prev = "0" * 64
    for row in rows[:old]:
        _set(row.id, prev_hash=f"x{row.id}", hash=f"y{row.id}")
    for row in rows[:old]:
        new = _digest(prev, row)
        _set(row.id, prev_hash=prev, hash=new)
        prev = new
    _set(rows[old].id, prev_hash=prev)
    db.session.commit()
    assert verify_chain().broken_at == rows[old].id


def test_cli_checkpoint_and_verify_report(app, history, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "JXJD_AUDIT_CHECKPOINTS", str(tmp_path / "cp.jsonl"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "no checkpoints yet" in result.output
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "appended to" in result.output
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "matches 1 checkpoints" in result.output

    _set_head(mac="0" * 64)
    db.session.commit()
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1  # a forged head is never remembered as good
