"""The optional 手机号 roster column: checked, stored encrypted, shown masked, latest upload wins."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.common.crypto import FieldCipher, app_keystore
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import find_person, phone_of
from tests.conftest import assert_problem
from tests.fixtures.attendance import roster_csv, roster_xlsx, trainee

HEADERS = ("姓名", "身份证号", "学时", "考核结果", "手机号")
KEYS = ("name", "id_number", "hours", "result", "phone")


def test_a_phone_column_is_stored_encrypted_and_shown_masked(open_session, upload_roster):
    target = open_session()
    people = [trainee(phone="138 1234 1234"), trainee(phone=13900001111), trainee()]
    resp = upload_roster(target, roster_xlsx(people, HEADERS, KEYS))
    assert resp.status_code == 200, resp.get_json()
    first, second, third = (find_person(p["id_number"]) for p in people)
    assert first.phone_masked == "138****1234" and phone_of(first) == "13812341234"
    assert second.phone_masked == "139****1111"  # a number cell works too
    assert third.phone_encrypted is None and third.phone_masked is None
    assert b"13812341234" not in first.phone_encrypted
    cipher = FieldCipher(app_keystore().secret("field-encryption"))
    # Bound to its own column: the ID number's context does not open it.
    try:
        cipher.decrypt(first.phone_encrypted, context="id_number")
    except Exception as exc:  # noqa: BLE001 - InvalidTag
        assert exc.__class__.__name__ == "InvalidTag"
    else:
        raise AssertionError("the phone decrypted under the ID number's context")


def test_an_invalid_phone_is_a_row_error(open_session, upload_roster):
    target = open_session()
    people = [
        trainee(phone="12812341234"),
        trainee(phone="1381234"),
        trainee(phone="+86 13812341234"),
    ]
    body = assert_problem(
        upload_roster(target, roster_csv(people, HEADERS, KEYS), "名单.csv"), 422, "invalid_phone"
    )
    errors = [(e["row"], e["field"], e["code"]) for e in body["errors"]]
    assert errors == [(2, "phone", "invalid_phone"), (3, "phone", "invalid_phone")]
    assert "手机号" in body["errors"][0]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_the_latest_upload_wins_and_a_blank_keeps_the_number(open_session, upload_json):
    who = trainee(phone="13812341234")
    assert upload_json(open_session(), [who]).status_code == 200
    # Sessions on other days: the same day twice would pass the daily cap (overlapping_attendance).
    april = open_session(start_date="2026-04-01", end_date="2026-04-03")
    may = open_session(start_date="2026-05-01", end_date="2026-05-03")
    assert upload_json(april, [{**who, "phone": "+8613900001111"}]).status_code == 200
    assert phone_of(find_person(who["id_number"])) == "13900001111"
    assert upload_json(may, [{**who, "phone": ""}]).status_code == 200
    db.session.expire_all()
    assert phone_of(find_person(who["id_number"])) == "13900001111"


def test_a_re_upload_of_the_same_roster_updates_the_phone(open_session, upload_json):
    target = open_session()
    who = trainee(phone="13812341234")
    assert upload_json(target, [who]).status_code == 200
    again = upload_json(target, [{**who, "phone": "13700001234"}])
    assert again.status_code == 200 and again.get_json()["already_recorded"] == 1
    db.session.expire_all()
    assert find_person(who["id_number"]).phone_masked == "137****1234"
