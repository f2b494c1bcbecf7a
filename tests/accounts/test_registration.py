"""Opening a person account (CONTRACT §12): only with a code that reached the person."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from jxjd.accounts.models import Account, ActivationCode
from jxjd.audit.models import AuditEvent
from jxjd.certificates.models import Certificate
from jxjd.common.ids import id_check_char, mask_id_number
from jxjd.common.time import utcnow
from jxjd.extensions import db
from tests.accounts.conftest import LI, UNKNOWN, WANG, ZHANG, count, person
from tests.conftest import assert_problem
from tests.fixtures.attendance import new_id_number


def test_an_activation_letter_code_opens_the_account_once(client, trained, letter, register, login):
    trained(ZHANG)
    code = letter(ZHANG)
    assert len(code) == 19 and code.count("-") == 3  # XXXX-XXXX-XXXX-XXXX
    resp = register(ZHANG, code, username="zhangsan")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["role"] == "person" and body["id_masked"] == "430104********0015"
    assert ZHANG["id_number"] not in resp.get_data(as_text=True)
    assert login(client, "zhangsan").status_code == 302
    assert client.get("/me").status_code == 200
    again = register(ZHANG, code, username="zhangsan2")
    assert_problem(again, 422, "registration_refused")
    assert count(Account) == 1


def test_an_sms_code_from_the_outbox_opens_the_account(client, trained, outbox, register):
    trained(ZHANG)
    resp = client.post(
        "/api/v1/register/otp", json={"id_number": ZHANG["id_number"], "name": ZHANG["name"]}
    )
    assert resp.status_code == 202
    (message,) = outbox.messages()
    assert message["to"] == "138****1234" and message["at"].endswith("+08:00")
    code = outbox.last_code()
    assert register(ZHANG, code).status_code == 201
    assert db.session.scalar(sa.select(Account.person_id)) == person(ZHANG).id


def test_the_code_request_answers_the_same_whoever_is_asked_about(client, trained, outbox):
    trained(ZHANG, LI)
    asks = [
        ZHANG,  # on record with a mobile: the only one that sends
        LI,  # on record, no mobile
        UNKNOWN,  # never trained
        {**ZHANG, "name": "张叁"},  # wrong name
        {**ZHANG, "id_number": "12345"},  # not an ID number at all
    ]
    answers = [
        client.post(
            "/api/v1/register/otp",
            json={"id_number": who["id_number"], "name": who["name"]},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )
        for i, who in enumerate(asks)
    ]
    assert {r.status_code for r in answers} == {202}
    assert len({r.get_data() for r in answers}) == 1
    assert len(outbox.messages()) == 1
    requested = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "activation.otp_request")
    ).all()
    assert [e.summary["sent"] for e in requested] == [True, False, False, False, False]
    assert all("code" not in e.summary for e in requested)  # the code itself is never audited
    stored = db.session.scalar(sa.select(ActivationCode))
    assert outbox.last_code() not in stored.code_hash


def test_the_refusal_is_byte_identical_for_every_mismatch(
    client, trained, letter, register, outbox
):
    trained(ZHANG, LI, WANG)
    zhang_code = letter(ZHANG)
    li_code = letter(LI)
    expired = letter(WANG)
    db.session.execute(
        sa.update(ActivationCode)
        .where(ActivationCode.person_id == person(WANG).id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert register(LI, li_code, username="lisi").status_code == 201
    cases = [
        register(UNKNOWN, zhang_code),  # unknown person
        register({**ZHANG, "name": "王五"}, zhang_code),  # wrong name
        register(ZHANG, li_code),  # another person's code
        register(ZHANG, "ABCD-EFGH-JKMN-PQRS"),  # wrong code
        register(ZHANG, "123456"),  # wrong SMS code
        register(WANG, expired),  # expired code
        register(LI, li_code, username="lisi2"),  # used code, already registered
        register(LI, letter_after := "0000-0000-0000-0000"),  # registered, any code
        register({**ZHANG, "id_number": "12345"}, zhang_code),  # not an ID number
    ]
    assert letter_after
    bodies = {resp.get_data() for resp in cases}
    assert len(bodies) == 1, bodies
    body = assert_problem(cases[0], 422, "registration_refused")
    assert "errors" not in body and "姓名" in body["detail"]
    assert count(Account) == 1


def test_username_and_password_are_checked_before_the_person(client, trained, letter, register):
    trained(ZHANG)
    code = letter(ZHANG)
    weak = register(ZHANG, code, password="short")
    assert_problem(weak, 422, "weak_password")
    # Same answer for a stranger: these checks say nothing about who is on record.
    assert register(UNKNOWN, code, password="short").get_data() == weak.get_data()
    assert register(ZHANG, code).status_code == 201  # the code was not used up by that
    taken = register(LI, "x", username=f"user{ZHANG['id_number'][-6:]}")
    assert_problem(taken, 422, "username_taken")


def test_brute_forcing_a_registration_from_public_data_fails(client, trained, register):
    """Everything on a certificate (name, masked ID, serial) is public; none of it is a code."""
    trained(ZHANG)
    serial = db.session.scalar(
        sa.select(Certificate.serial).where(Certificate.person_id == person(ZHANG).id)
    )
    masked = mask_id_number(ZHANG["id_number"])
    region, tail = masked[:6], masked[-4:]
    # The attacker completes the masked ID over birth dates and offers the serial as the code.
    candidates = []
    day = 0
    while len(candidates) < 25:
        born = f"1990{1 + day // 28:02d}{1 + day % 28:02d}"
        day += 1
        first17 = region + born + tail[:3]
        if id_check_char(first17) == tail[3]:
            candidates.append(first17 + tail[3])
    candidates.insert(3, ZHANG["id_number"])
    answers = [
        register({**ZHANG, "id_number": candidate}, serial).status_code
        for candidate in candidates[:25]
    ]
    assert answers[:20] == [422] * 20 and set(answers[20:]) == {429}
    assert count(Account) == 0


def test_five_failures_lock_an_id_number_for_an_hour_even_from_new_clients(
    client, trained, letter, register
):
    trained(ZHANG)
    code = letter(ZHANG)
    for i in range(5):
        assert register(ZHANG, f"{i:06d}", addr=f"10.1.0.{i}").status_code == 422
    locked = register(ZHANG, code, addr="10.1.0.99")  # even the right code, from a new client
    body = assert_problem(locked, 429, "too_many_requests")
    assert 3000 < int(locked.headers["Retry-After"]) <= 3600 and body["retry_after"]
    assert count(Account) == 0
    assert register(LI, "x", addr="10.1.0.99").status_code == 422  # other people are not locked


def test_twenty_failures_lock_a_client_but_not_the_others(client, trained, letter, register):
    trained(ZHANG)
    code = letter(ZHANG)
    for _ in range(20):
        who = {**UNKNOWN, "id_number": new_id_number()}
        assert register(who, "000000", addr="10.2.0.1").status_code == 422
    assert_problem(register(ZHANG, code, addr="10.2.0.1"), 429)
    assert register(ZHANG, code, addr="10.2.0.2").status_code == 201


def test_code_requests_are_limited_per_id_number_and_per_client(client, trained, outbox):
    trained(ZHANG)

    def ask(who, addr):
        body = {"id_number": who["id_number"], "name": who["name"]}
        return client.post(
            "/api/v1/register/otp", json=body, environ_base={"REMOTE_ADDR": addr}
        ).status_code

    assert [ask(ZHANG, f"10.3.0.{i}") for i in range(6)] == [202] * 5 + [429]
    assert len(outbox.messages()) == 5
    strangers = [{**UNKNOWN, "id_number": new_id_number()} for _ in range(21)]
    assert [ask(who, "10.3.1.1") for who in strangers][-2:] == [202, 429]


def test_a_new_code_replaces_the_older_ones_of_its_kind(client, trained, letter, register):
    trained(ZHANG)
    first, second = letter(ZHANG), letter(ZHANG)
    assert_problem(register(ZHANG, first), 422, "registration_refused")
    assert register(ZHANG, second).status_code == 201


def test_typed_codes_ignore_case_hyphens_and_look_alike_letters(client, trained, letter, register):
    trained(ZHANG)
    code = letter(ZHANG)
    stored = db.session.scalar(sa.select(ActivationCode))
    assert code.replace("-", "") not in stored.code_hash
    # lower case, no hyphens, spaces, and O/I/L for 0/1 (none of which Crockford prints)
    typed = " ".join(code.lower().replace("-", "")[i : i + 2] for i in range(0, 16, 2))
    typed = typed.replace("0", "o").replace("1", "l")
    assert register(ZHANG, typed).status_code == 201


def test_an_sms_code_expires_after_ten_minutes(client, trained, outbox, register):
    trained(ZHANG)
    client.post(
        "/api/v1/register/otp", json={"id_number": ZHANG["id_number"], "name": ZHANG["name"]}
    )
    row = db.session.scalar(sa.select(ActivationCode))
    assert timedelta(minutes=9) < row.expires_at - row.created_at <= timedelta(minutes=10)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(register(ZHANG, outbox.last_code()), 422, "registration_refused")


def test_every_step_is_audited(client, trained, letter, register, outbox):
    trained(ZHANG)
    register(ZHANG, letter(ZHANG))
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    for action in ("activation.letter_create", "activation.use", "account.register"):
        assert action in actions
    summaries = db.session.scalars(sa.select(AuditEvent.summary)).all()
    assert not any(ZHANG["id_number"] in str(s) for s in summaries)


def test_malformed_requests_are_problems(client):
    assert_problem(client.post("/api/v1/register", data="{", content_type="application/json"), 400)
    body = assert_problem(client.post("/api/v1/register", json={"name": "x"}), 422)
    assert {e["field"] for e in body["errors"]} >= {"id_number", "code", "username", "password"}
    assert_problem(client.post("/api/v1/register/otp", json={"id_number": 1}), 422)


def test_overlong_fields_are_too_long(client):
    body = assert_problem(
        client.post(
            "/api/v1/register",
            json={
                "id_number": "4" * 33,
                "name": "张" * 51,
                "code": "x",
                "username": "u" * 65,
                "password": "p",
            },
        ),
        422,
        "too_long",
    )
    assert {e["field"] for e in body["errors"] if e["code"] == "too_long"} == {
        "id_number",
        "name",
        "username",
    }
