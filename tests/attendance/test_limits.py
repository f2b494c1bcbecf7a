"""CONTRACT §11 on rosters: names and employers within their limits, no control characters, caps."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from jxjd.attendance.importing import build_error_report_xlsx, rows_from_json, validate_rows
from jxjd.attendance.models import AttendanceUpload
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.attendance import (
    STORED_TABLES,
    count_rows,
    roster_csv,
    roster_xlsx,
    trainee,
    trainees,
)


def _nothing_stored() -> None:
    assert count_rows(*STORED_TABLES) == dict.fromkeys(STORED_TABLES, 0)


def _row_codes(body: dict) -> set[tuple[int | None, str, str]]:
    return {(e["row"], e["field"], e["code"]) for e in body["errors"]}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_100k_character_name_in_a_roster_file_is_too_long(open_session, upload_roster, kind):
    target = open_session()
    people = [trainee(), trainee(name="张" * 100_000)]
    data = roster_csv(people) if kind == "csv" else roster_xlsx(people)  # xlsx keeps 32767
    body = assert_problem(upload_roster(target, data, filename=f"名单.{kind}"), 422, "too_long")
    assert _row_codes(body) == {(3, "name", "too_long")}
    message = body["errors"][0]["message"]
    assert message.startswith("第3行：姓名不能超过 50 个字符")
    assert ("100000" if kind == "csv" else "32767") in message
    _nothing_stored()


def test_a_100k_character_name_in_json_rows_is_too_long(open_session, upload_json):
    target = open_session()
    body = assert_problem(upload_json(target, [trainee(name="张" * 100_000)]), 422, "too_long")
    assert _row_codes(body) == {(None, "name", "too_long")}
    _nothing_stored()


def test_a_too_long_employer_is_a_row_error_and_partial_mode_keeps_the_good_rows(
    open_session, upload_json
):
    target = open_session()
    rows = [trainee(), trainee(employer="湖南" * 51)]
    resp = upload_json(target, rows, mode="partial")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 1
    assert [(r["field"], r["code"]) for r in resp.json["rejected"]] == [("employer", "too_long")]


@pytest.mark.parametrize(
    ("name", "employer"),
    [
        ("张\u202e三", "某公司"),
        ("张\x07三", "某公司"),
        ("张\t三", "某公司"),
        ("张三", "某\x1b公司"),
    ],
)
def test_control_tab_and_bidi_characters_in_a_csv_roster_are_refused(
    open_session, upload_roster, name, employer
):
    target = open_session()
    people = [trainee(name=name, employer=employer)]
    resp = upload_roster(target, roster_csv(people), filename="名单.csv")
    body = assert_problem(resp, 422, "invalid_characters")
    assert {(e["row"], e["code"]) for e in body["errors"]} == {(2, "invalid_characters")}
    _nothing_stored()


def test_a_bidi_override_in_an_xlsx_name_is_never_signed_into_a_certificate(
    open_session, upload_roster
):
    target = open_session()
    resp = upload_roster(target, roster_xlsx([trainee(name="\u202e三张")]))
    assert_problem(resp, 422, "invalid_characters")
    _nothing_stored()


@pytest.mark.parametrize("value", ["张\x00三", "张\u2066三"])
def test_nul_and_isolates_in_json_rows_are_refused(open_session, upload_json, value):
    target = open_session()
    assert_problem(upload_json(target, [trainee(name=value)]), 422, "invalid_characters")
    assert_problem(upload_json(target, [trainee(employer=value)]), 422, "invalid_characters")
    _nothing_stored()


def test_names_are_trimmed_and_made_half_width_before_the_limit_is_counted():
    raw = rows_from_json([trainee(name="  ＡＢＣ" + "张" * 47 + "  ")])
    good, errors = validate_rows(raw, session_hours=24)
    assert errors == [] and good[0].name == "ABC" + "张" * 47


def test_json_rows_beyond_the_roster_cap_are_too_many_items(
    app, open_session, upload_json, monkeypatch
):
    monkeypatch.setitem(app.config, "JXJD_MAX_ROSTER_ROWS", 5)
    target = open_session()
    body = assert_problem(upload_json(target, trainees(6)), 422, "too_many_items")
    assert body["errors"][0]["field"] == "rows" and "5" in body["errors"][0]["message"]
    _nothing_stored()
    assert upload_json(target, trainees(5)).status_code == 200


def test_the_error_report_cuts_a_huge_cell():
    raw = rows_from_json([trainee(name="张" * 1_000_000)])
    _, errors = validate_rows(raw, session_hours=24)
    report = build_error_report_xlsx(raw, errors)
    assert len(report) < 50_000


def test_an_upload_file_name_is_stored_without_control_characters_and_bounded(client, open_session):
    target = open_session()
    filename = "名单\u202egpj" + "长" * 300 + ".xlsx"
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        data={"file": (io.BytesIO(roster_xlsx(trainees(1))), filename)},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    stored = db.session.scalar(sa.select(AttendanceUpload.filename))
    assert "\u202e" not in stored and len(stored) <= 255 and stored.startswith("名单gpj")
