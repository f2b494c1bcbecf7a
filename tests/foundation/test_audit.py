"""The hash-chained audit trail: every state change is recorded, and tampering is detected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
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
