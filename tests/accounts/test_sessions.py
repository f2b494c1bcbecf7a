"""Sessions end on the server: logout, password change, reset and disable (CONTRACT §12)."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.accounts.models import Account
from jxjd.audit.models import AuditEvent
from jxjd.extensions import db
from tests.accounts.conftest import ZHANG, person
from tests.conftest import assert_problem
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _signed_in(client, make_account, login, role="person", username="zhangsan", **scope):
    if role == "person":
        scope = {"name": ZHANG["name"], "id_number": ZHANG["id_number"], **scope}
    account = make_account(role, username=username, **scope)
    assert login(client, username).status_code == 302
    return account


def _logout(client):
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    return client.post("/logout", data={"csrf_token": token})


def test_a_cookie_captured_before_logout_no_longer_works(app, client, make_account, login):
    _signed_in(client, make_account, login)
    assert client.get("/me").status_code == 200
    captured = _session_cookie(client)
    assert _logout(client).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", captured)
    resp = thief.get("/me")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_signing_in_again_after_logout_works(client, make_account, login):
    _signed_in(client, make_account, login)
    _logout(client)
    assert login(client, "zhangsan").status_code == 302
    assert client.get("/me").status_code == 200


def test_the_csrf_token_changes_at_login(client, make_account, login):
    make_account("admin", username="admin1")
    before = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert login(client, "admin1").status_code == 302
    after = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    assert before != after
    # A token seen (or planted) before sign-in is refused afterwards.
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_changing_the_password_ends_every_session(app, client, make_account, login):
    _signed_in(client, make_account, login)
    other_device = app.test_client()
    assert login(other_device, "zhangsan").status_code == 302
    html = client.get("/account/password").get_data(as_text=True)
    wrong = client.post(
        "/account/password",
        data={"csrf_token": csrf_token_from(html), "current": "nope", "new": "x", "new2": "x"},
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    new = "Xin-mima-2026-ok"
    resp = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token_from(html),
            "current": TEST_PASSWORD,
            "new": new,
            "new2": new,
        },
    )
    assert resp.status_code == 302
    assert other_device.get("/me").status_code == 302
    assert client.get("/me").status_code == 302
    assert login(client, "zhangsan").status_code == 401
    assert login(client, "zhangsan", new).status_code == 302
    assert db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "account.password_change")
    )


def test_admin_resets_a_person_account_and_the_person_activates_again(
    client, app, make_account, login, admin_headers, letter, register, trained
):
    trained(ZHANG)
    account = _signed_in(client, make_account, login)
    pid = person(ZHANG).id
    resp = client.post(f"/api/v1/people/{pid}/account/reset", headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["reset_at"]
    assert client.get("/me").status_code == 302  # the session ended at once
    assert login(app.test_client(), "zhangsan").status_code == 401  # and the login is cleared
    again = register(ZHANG, letter(ZHANG), username="zhangsan", password="Xin-mima-2026-ok")
    assert again.status_code == 201 and again.get_json()["id"] == account.id
    assert login(client, "zhangsan", "Xin-mima-2026-ok").status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.reset"))
    assert event.actor_role == "admin" and event.target_id == str(account.id)


def test_reset_voids_codes_issued_before_it(client, admin_headers, letter, register, trained):
    trained(ZHANG)
    assert register(ZHANG, letter(ZHANG)).status_code == 201
    pid = person(ZHANG).id
    assert (
        client.post(f"/api/v1/people/{pid}/account/reset", headers=admin_headers).status_code == 200
    )
    code = letter(ZHANG)  # issued, then the account is reset again before it is used
    assert (
        client.post(f"/api/v1/people/{pid}/account/reset", headers=admin_headers).status_code == 200
    )
    assert_problem(register(ZHANG, code), 422, "registration_refused")
    assert register(ZHANG, letter(ZHANG)).status_code == 201


def test_reset_of_a_person_without_an_account_is_404_and_needs_admin(
    client, admin_headers, make_headers, trained
):
    trained(ZHANG)
    pid = person(ZHANG).id
    assert_problem(
        client.post(f"/api/v1/people/{pid}/account/reset", headers=admin_headers), 404, "no_account"
    )
    dept = make_headers("dept", department="湖南省教育厅")
    assert_problem(client.post(f"/api/v1/people/{pid}/account/reset", headers=dept), 403)
    assert_problem(client.post(f"/api/v1/people/{pid}/account/reset"), 401)


def test_disabling_an_account_ends_its_sessions_and_enabling_restores_the_login(
    client, app, make_account, login, admin_headers, create_base
):
    base_id = create_base().id
    account = _signed_in(client, make_account, login, role="base", username="jidi", base_id=base_id)
    assert client.get("/sessions").status_code == 200
    resp = client.post(f"/api/v1/accounts/{account.id}/disable", headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["disabled_at"]
    assert client.get("/sessions").status_code == 302
    assert login(app.test_client(), "jidi").status_code == 401
    assert (
        client.post(f"/api/v1/accounts/{account.id}/enable", headers=admin_headers).status_code
        == 200
    )
    assert login(client, "jidi").status_code == 302
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_type == "account")
    ).all()
    assert {"account.disable", "account.enable"} <= set(actions)
    assert_problem(client.post("/api/v1/accounts/99999/disable", headers=admin_headers), 404)


def test_admin_lists_accounts_by_page(client, make_account, admin_headers):
    for i in range(3):
        make_account("admin", username=f"a{i}")
    resp = client.get("/api/v1/accounts?per_page=2", headers=admin_headers)
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in resp.headers["Link"] and "page=2" in resp.headers["Link"]
    names = [a["username"] for a in resp.get_json()["accounts"]]
    assert names == ["a0", "a1"]
    for row in resp.get_json()["accounts"]:
        assert "password_hash" not in row and "session_token" not in row
    last = client.get("/api/v1/accounts?per_page=2&page=2", headers=admin_headers)
    assert [a["username"] for a in last.get_json()["accounts"]] == ["a2"]
    assert "Link" not in last.headers


def test_personal_pages_and_authenticated_answers_are_not_cached(
    client, make_account, login, make_headers
):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    _signed_in(client, make_account, login)
    for path in ("/me", "/me/archive", "/me/grants", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    headers = make_headers("person", name=ZHANG["name"], id_number=ZHANG["id_number"])
    assert client.get("/api/v1/me/archive", headers=headers).headers["Cache-Control"] == "no-store"


def test_a_cookie_from_before_session_tokens_is_refused(app, client, make_account):
    account = make_account("admin", username="old")
    with client.session_transaction() as sess:
        sess["_user_id"] = str(account.id)  # what the old cookies held: the bare account id
        sess["_fresh"] = True
    assert client.get("/bases").status_code == 302
    assert db.session.get(Account, account.id).session_token
