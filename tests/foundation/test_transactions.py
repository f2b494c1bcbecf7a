"""One unit of work per request (jxjd/transactions.py): what a view wrote is committed once it
returns, whatever failed is rolled back, and nothing is sent before its data is committed.

Checked through a separate connection: the suite shares one app context, so the test's own
session would see a request's uncommitted work.
"""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.accounts.models import Account
from jxjd.bases.models import Base
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.auth import csrf_token_from


def _committed(statement, **params):
    """What another connection sees: only committed data."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(statement), params).scalar()


def test_a_view_that_changes_a_loaded_row_is_committed(client, make_account, login):
    account = make_account("admin", username="admin1")
    before = account.session_token
    assert login(client, "admin1").status_code == 302
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    # Logout only sets the account's session token; no service flushes it.
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    stored = _committed("SELECT session_token FROM accounts WHERE id = :i", i=account.id)
    assert stored != before
    assert db.session.get(Account, account.id) is not None


def test_a_write_request_is_committed_before_the_response(client, admin_headers, create_base):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/status",
        json={"status": "rectifying", "reason": "检查"},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    assert _committed("SELECT status FROM bases WHERE id = :i", i=base.id) == "rectifying"


def test_a_refused_request_leaves_nothing_behind(client, admin_headers, create_base):
    base = create_base(status="recognized")
    resp = client.post(
        f"/api/v1/bases/{base.id}/status",
        json={"status": "applying", "reason": "回退"},
        headers=admin_headers,
    )
    assert_problem(resp, 409, "invalid_transition")
    assert _committed("SELECT status FROM bases WHERE id = :i", i=base.id) == "recognized"
    changes = _committed("SELECT count(*) FROM base_status_changes WHERE base_id = :i", i=base.id)
    assert changes == 1
    db.session.expire_all()
    assert db.session.get(Base, base.id).status == "recognized"


# ---- Flask's ensure_sync, remembered ---------------------------------------------------------


def test_ensure_sync_remembers_synchronous_hooks_but_keeps_no_one_off_function(app):
    import gc
    import weakref

    from flask import after_this_request

    def hook():
        return None

    assert app.ensure_sync(hook) is hook
    assert hook in app._synchronous
    refs = []

    with app.test_request_context("/"):

        def one_off(response):
            return response

        refs.append(weakref.ref(one_off))
        after_this_request(one_off)
        app.process_response(app.response_class("ok"))
        del one_off
    gc.collect()
    assert refs[0]() is None  # not held by the remembered set
