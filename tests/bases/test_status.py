"""POST /api/v1/bases/{id}/status: the transition table over every pair, and the kept history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import assert_problem

STATUSES = ("applying", "recognized", "rectifying", "revoked", "barred")

# CONTRACT §3, written out independently of the code under test.
ALLOWED = {
    ("applying", "recognized"),
    ("recognized", "rectifying"),
    ("rectifying", "recognized"),
    ("recognized", "revoked"),
    ("rectifying", "revoked"),
    *((s, "barred") for s in STATUSES if s != "barred"),
}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


def _move(client, headers, base_id, status, reason="依据第二十二条"):
    return client.post(
        f"/api/v1/bases/{base_id}/status",
        json={"status": status, "reason": reason},
        headers=headers,
    )


def test_the_table_covers_every_pair():
    assert len(PAIRS) == 25
    assert len(ALLOWED) == 9


@pytest.mark.parametrize(("start", "target"), [p for p in PAIRS if p in ALLOWED])
def test_allowed_move_is_applied_and_kept_in_the_history(
    client, make_headers, create_base_in, start, target
):
    base = create_base_in(start)
    headers = make_headers("admin", name="专技处赵某")
    before = datetime.now().astimezone()
    resp = _move(client, headers, base.id, target, reason=f"{start}→{target} 的理由")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.json
    assert body["status"] == target
    last = body["status_history"][-1]
    assert (last["from_status"], last["to_status"]) == (start, target)
    assert last["reason"] == f"{start}→{target} 的理由"
    assert (last["actor_role"], last["actor_name"]) == ("admin", "专技处赵某")
    at = datetime.fromisoformat(last["at"])
    assert at.utcoffset() == timedelta(hours=8)
    assert before - timedelta(seconds=5) <= at <= datetime.now().astimezone() + timedelta(seconds=5)
    # The detail endpoint shows the same history.
    detail = client.get(f"/api/v1/bases/{base.id}", headers=headers).json
    assert detail["status"] == target
    assert detail["status_history"] == body["status_history"]


@pytest.mark.parametrize(("start", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_disallowed_move_is_a_conflict_and_changes_nothing(
    client, admin_headers, create_base_in, start, target
):
    base = create_base_in(start)
    history_before = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json[
        "status_history"
    ]
    body = assert_problem(_move(client, admin_headers, base.id, target), 409, "invalid_transition")
    assert body["type"].endswith("/invalid-transition")
    after = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json
    assert after["status"] == start
    assert after["status_history"] == history_before


def test_a_base_keeps_every_move_in_order(client, admin_headers, create_base):
    base = create_base(status="applying")
    for target in ("recognized", "rectifying", "recognized", "rectifying", "revoked", "barred"):
        assert _move(client, admin_headers, base.id, target).status_code == 200
    history = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json["status_history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "applying"),
        ("applying", "recognized"),
        ("recognized", "rectifying"),
        ("rectifying", "recognized"),
        ("recognized", "rectifying"),
        ("rectifying", "revoked"),
        ("revoked", "barred"),
    ]


def test_recognition_sets_the_recognition_date(client, admin_headers, create_base):
    base = create_base(status="applying")
    assert (
        client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json["recognized_on"] is None
    )
    body = _move(client, admin_headers, base.id, "recognized").json
    assert body["recognized_on"] is not None


def test_a_move_needs_a_reason(client, admin_headers, create_base):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/status", json={"status": "rectifying"}, headers=admin_headers
    )
    body = assert_problem(resp, 422, "required")
    assert body["errors"][0]["field"] == "reason"
    for blank in ("", "   "):
        resp = _move(client, admin_headers, base.id, "rectifying", reason=blank)
        assert_problem(resp, 422, "missing_reason")
    assert client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json["status"] == (
        "recognized"
    )


def test_an_unknown_status_is_refused(client, admin_headers, create_base):
    base = create_base()
    body = assert_problem(_move(client, admin_headers, base.id, "closed"), 422, "invalid_choice")
    assert body["errors"][0]["field"] == "status"


def test_moving_an_unknown_base_is_404(client, admin_headers):
    assert_problem(_move(client, admin_headers, 999999, "revoked"), 404, "not_found")
