"""CONTRACT §6 through the HTTP API: roster files and JSON bodies, row and file errors, modes."""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests.conftest import assert_problem
from tests.fixtures.attendance import (
    STORED_TABLES,
    count_rows,
    new_id_number,
    roster_csv,
    roster_xlsx,
    trainee,
    trainees,
)


def _codes(body: dict) -> list[tuple[int | None, str]]:
    return [(e["row"], e["code"]) for e in body["errors"]]


def _nothing_stored() -> None:
    assert count_rows(*STORED_TABLES) == dict.fromkeys(STORED_TABLES, 0)


# ---- a good upload ---------------------------------------------------------------------------


def test_xlsx_roster_is_stored_with_one_certificate_per_pass(open_session, upload_roster):
    target = open_session()
    people = trainees(3)
    resp = upload_roster(target, roster_xlsx(people))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.json
    assert body["session_id"] == target.id
    assert (body["received"], body["recorded"], body["already_recorded"]) == (3, 3, 0)
    assert body["certificates_issued"] == 3
    assert body["rejected"] == []
    counts = count_rows(*STORED_TABLES)
    assert counts == {"people": 3, "attendance_records": 3, "certificates": 3,
                      "attendance_uploads": 1}  # fmt: skip


def test_template_download_has_the_contract_headers(client, open_session):
    from openpyxl import load_workbook

    target = open_session()
    resp = client.get(f"/api/v1/sessions/{target.id}/attendance/template", headers=target.headers)
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[1]] == [
        "姓名",
        "身份证号",
        "工作单位",
        "学时",
        "考核结果",
        "手机号",
    ]
    assert ws["B3"].number_format == "@"


def test_reuploading_the_same_file_records_nothing_new(open_session, upload_roster):
    target = open_session()
    data = roster_xlsx(trainees(4))
    assert upload_roster(target, data).json["recorded"] == 4
    again = upload_roster(target, data)
    assert again.status_code == 200
    body = again.json
    assert (body["recorded"], body["already_recorded"], body["certificates_issued"]) == (0, 4, 0)
    assert count_rows("attendance_records", "certificates") == {
        "attendance_records": 4,
        "certificates": 4,
    }


def test_fail_result_is_recorded_with_no_credit_and_no_certificate(
    client, open_session, upload_roster
):
    target = open_session()
    people = [trainee(result="不合格"), trainee(result="合格")]
    body = upload_roster(target, roster_xlsx(people)).json
    assert (body["recorded"], body["certificates_issued"]) == (2, 1)
    records = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers).json
    by_result = {r["result"]: r for r in records["records"]}
    assert by_result["fail"]["credited_hours"] == 0
    assert by_result["fail"]["certificate"] is None
    assert by_result["pass"]["credited_hours"] == 24
    assert by_result["pass"]["certificate"]


def test_blank_hours_and_result_default_to_session_hours_and_pass(
    client, open_session, upload_roster
):
    target = open_session()
    person = trainee(hours=None, result=None)
    body = upload_roster(target, roster_xlsx([person])).json
    assert body["certificates_issued"] == 1
    record = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers).json[
        "records"
    ][0]
    assert (record["hours"], record["result"]) == (24, "pass")


def test_json_rows_body_is_accepted(open_session, upload_json):
    target = open_session()
    rows = [
        {**trainee(), "result": "pass"},
        {**trainee(), "hours": 1.5, "result": "fail"},
    ]
    resp = upload_json(target, rows)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert (resp.json["recorded"], resp.json["certificates_issued"]) == (2, 1)


def test_gbk_csv_with_chinese_headers_is_read(open_session, upload_roster):
    target = open_session()
    people = trainees(2, employer="长沙市第一中学")
    resp = upload_roster(target, roster_csv(people, encoding="gbk"), "名单.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2


def test_utf8_bom_csv_with_chinese_headers_is_read(client, open_session, upload_roster):
    target = open_session()
    people = trainees(2)
    resp = upload_roster(target, roster_csv(people, encoding="utf-8-sig"), "名单.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2
    records = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers).json
    assert {r["name"] for r in records["records"]} == {p["name"] for p in people}


def test_full_width_digits_and_lowercase_x_are_normalised(client, open_session, upload_roster):
    target = open_session()
    id_number = new_id_number()
    while not id_number.endswith("X"):
        id_number = new_id_number()
    wide = id_number[:-1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + "ｘ"
    body = upload_roster(target, roster_xlsx([trainee(id_number=f" {wide} ", hours="２４")])).json
    assert body["recorded"] == 1, body
    # The same person in half-width form is the same record, not a second one.
    again = upload_roster(target, roster_xlsx([trainee(id_number=id_number, hours=24)])).json
    assert (again["recorded"], again["already_recorded"]) == (0, 1)
    record = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers).json[
        "records"
    ][0]
    assert record["id_masked"] == id_number[:6] + "********" + id_number[-4:]


def test_extra_columns_are_ignored(open_session, upload_roster):
    target = open_session()
    data = roster_xlsx(trainees(2), extra={"备注": "补考", "联系电话": "13800000000"})
    resp = upload_roster(target, data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2


def test_english_headers_in_any_order_are_read(open_session, upload_roster):
    target = open_session()
    keys = ("result", "id_number", "name")
    data = roster_xlsx(trainees(2), headers=keys, keys=keys)
    resp = upload_roster(target, data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2


# ---- row errors ----------------------------------------------------------------------------


def test_missing_name_is_a_row_error(open_session, upload_roster):
    target = open_session()
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(), trainee(name="  ")])), 422, "missing_name"
    )
    assert _codes(body) == [(3, "missing_name")]
    assert body["errors"][0]["field"] == "name"
    _nothing_stored()


def test_invalid_id_number_check_digit_is_a_row_error(open_session, upload_roster):
    target = open_session()
    good = new_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(id_number=bad)])), 422, "invalid_id_number"
    )
    assert _codes(body) == [(2, "invalid_id_number")]
    assert body["errors"][0]["field"] == "id_number"
    assert "校验位" in body["errors"][0]["message"]


def test_numeric_id_cell_in_xlsx_is_invalid_and_says_format_as_text(open_session, upload_roster):
    target = open_session()
    id_number = new_id_number()
    while id_number.endswith("X"):
        id_number = new_id_number()
    # What Excel keeps when the column is not text: a float with 15 significant digits.
    person = trainee(id_number=float(id_number))
    body = assert_problem(upload_roster(target, roster_xlsx([person])), 422, "invalid_id_number")
    assert _codes(body) == [(2, "invalid_id_number")]
    assert "文本" in body["errors"][0]["message"]
    _nothing_stored()


def test_duplicate_id_in_file_reports_the_later_row_as_the_user_sees_it(
    open_session, upload_roster
):
    target = open_session()
    first, other, repeat = trainee(), trainee(), trainee()
    repeat["id_number"] = first["id_number"]
    body = assert_problem(
        upload_roster(target, roster_xlsx([first, other, repeat])), 422, "duplicate_row"
    )
    assert _codes(body) == [(4, "duplicate_row")]  # header is row 1, so the third person is row 4
    assert "第2行" in body["errors"][0]["message"]


@pytest.mark.parametrize("hours", ["abc", 0, -3, 1.25, "十"])
def test_unreadable_hours_are_invalid_hours(open_session, upload_roster, hours):
    target = open_session()
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(hours=hours)])), 422, "invalid_hours"
    )
    assert _codes(body) == [(2, "invalid_hours")]
    assert body["errors"][0]["field"] == "hours"


def test_hours_above_the_session_are_refused(open_session, upload_roster):
    target = open_session()
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(hours=24.5)])), 422, "hours_exceed_session"
    )
    assert _codes(body) == [(2, "hours_exceed_session")]


def test_unknown_result_is_invalid_result(open_session, upload_roster):
    target = open_session()
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(result="优秀")])), 422, "invalid_result"
    )
    assert _codes(body) == [(2, "invalid_result")]
    assert body["errors"][0]["field"] == "result"


def test_reupload_with_different_hours_is_a_conflicting_record(open_session, upload_roster):
    target = open_session()
    person = trainee(hours=24)
    assert upload_roster(target, roster_xlsx([person])).json["recorded"] == 1
    body = assert_problem(
        upload_roster(target, roster_xlsx([trainee(), {**person, "hours": 12}])),
        422,
        "conflicting_record",
    )
    assert _codes(body) == [(3, "conflicting_record")]
    assert count_rows("attendance_records", "certificates", "attendance_uploads") == {
        "attendance_records": 1,
        "certificates": 1,
        "attendance_uploads": 1,
    }


def test_reupload_with_a_different_result_is_a_conflicting_record(open_session, upload_json):
    target = open_session()
    person = trainee()
    assert upload_json(target, [person]).status_code == 200
    resp = upload_json(target, [{**person, "result": "不合格"}])
    body = assert_problem(resp, 422, "conflicting_record")
    assert body["errors"][0]["row"] is None  # JSON input has no sheet rows


def test_strict_upload_reports_every_error_and_stores_nothing(open_session, upload_roster):
    target = open_session()
    dup = trainee()
    people = [
        trainee(),
        trainee(name=""),
        trainee(id_number="430104199013320011"),
        dup,
        {**dup, "name": "重复者"},
        trainee(hours="x"),
        trainee(hours=48),
        trainee(result="良好"),
        trainee(),
    ]
    body = assert_problem(upload_roster(target, roster_xlsx(people)), 422, "missing_name")
    assert _codes(body) == [
        (3, "missing_name"),
        (4, "invalid_id_number"),
        (6, "duplicate_row"),
        (7, "invalid_hours"),
        (8, "hours_exceed_session"),
        (9, "invalid_result"),
    ]
    assert all(e["message"] for e in body["errors"])
    _nothing_stored()


def test_partial_upload_stores_good_rows_and_lists_the_rejected(open_session, upload_roster):
    target = open_session()
    people = [trainee(), trainee(name=""), trainee(), trainee(result="良好")]
    resp = upload_roster(target, roster_xlsx(people), mode="partial")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.json
    assert (body["received"], body["recorded"], body["certificates_issued"]) == (4, 2, 2)
    assert [(r["row"], r["code"]) for r in body["rejected"]] == [
        (3, "missing_name"),
        (5, "invalid_result"),
    ]
    assert set(body["rejected"][0]) == {"row", "field", "code", "message"}
    assert count_rows("attendance_records", "certificates")["attendance_records"] == 2


def test_unknown_mode_is_refused(open_session, upload_roster):
    target = open_session()
    resp = upload_roster(target, roster_xlsx(trainees(1)), mode="lenient")
    assert_problem(resp, 422, "invalid_mode")
    _nothing_stored()


def test_name_differing_from_the_known_person_is_stored_with_a_warning(
    client, open_session, upload_roster
):
    first = open_session()
    second = open_session(
        base=first.base,
        title="人工智能应用高级研修班（第二期）",
        start_date="2026-04-01",
        end_date="2026-04-03",
    )
    person = trainee(name="王伟")
    upload_roster(first, roster_xlsx([person]))
    resp = upload_roster(second, roster_xlsx([{**person, "name": "王玮"}]))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.json
    assert body["recorded"] == 1
    assert [(w["row"], w["code"]) for w in body["warnings"]] == [(2, "name_differs")]
    assert count_rows("people")["people"] == 1
    records = client.get(f"/api/v1/sessions/{second.id}/attendance", headers=second.headers).json
    assert records["records"][0]["name"] == "王玮"
    assert records["records"][0]["name_differs"] is True


# ---- file errors ---------------------------------------------------------------------------


def test_txt_file_is_unsupported(open_session, upload_roster):
    target = open_session()
    assert_problem(upload_roster(target, b"name,id_number\n", "名单.txt"), 415, "unsupported_file")
    _nothing_stored()


def test_body_that_is_neither_multipart_nor_json_is_unsupported(client, open_session):
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        data="姓名,身份证号\n".encode(),
        headers={**target.headers, "Content-Type": "text/csv"},
    )
    assert_problem(resp, 415, "unsupported_file")


def test_xls_renamed_to_xlsx_is_unsupported(open_session, upload_roster):
    target = open_session()
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512  # an old binary .xls
    assert_problem(upload_roster(target, fake, "名单.xlsx"), 415, "unsupported_file")


def test_missing_id_column_names_the_column(open_session, upload_roster):
    target = open_session()
    data = roster_xlsx(trainees(2), headers=("姓名", "工作单位"), keys=("name", "employer"))
    body = assert_problem(upload_roster(target, data), 422, "missing_column")
    assert [(e["code"], e["field"]) for e in body["errors"]] == [("missing_column", "id_number")]
    _nothing_stored()


def test_missing_both_required_columns_lists_both(open_session, upload_roster):
    target = open_session()
    data = roster_xlsx(trainees(1), headers=("学时",), keys=("hours",))
    body = assert_problem(upload_roster(target, data), 422, "missing_column")
    assert sorted(e["field"] for e in body["errors"]) == ["id_number", "name"]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "empty.csv"),
        ("姓名,身份证号\n".encode(), "header-only.csv"),
        (None, "header-only.xlsx"),
    ],
)
def test_file_without_trainees_is_empty_file(open_session, upload_roster, data, filename):
    target = open_session()
    data = roster_xlsx([]) if data is None else data
    assert_problem(upload_roster(target, data, filename), 422, "empty_file")
    _nothing_stored()


def test_file_over_the_size_limit_is_413(app, client, open_session):
    target = open_session()
    saved = app.config["MAX_UPLOAD_MB"]
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        big = roster_csv(trainees(1)) + b"#" * (1024 * 1024 + 10)
        # A hand-made body: the test client's own multipart encoder spools big files to a
        # temporary file it never closes (a ResourceWarning under filterwarnings=error).
        boundary = "jxjd-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
                f"Content-Type: text/csv\r\n\r\n"
            ).encode()
            + big
            + f"\r\n--{boundary}--\r\n".encode()
        )
        resp = client.post(
            f"/api/v1/sessions/{target.id}/attendance",
            data=body,
            headers=target.headers,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    finally:
        app.config["MAX_UPLOAD_MB"] = saved
    assert_problem(resp, 413, "file_too_large")
    _nothing_stored()


def test_multipart_without_file_field_is_refused(client, open_session):
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        data={"other": "x"},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    assert_problem(resp, 422, "missing_file")


def test_json_rows_that_are_not_a_list_are_refused(open_session, client):
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        json={"rows": {"name": "王伟"}},
        headers=target.headers,
    )
    assert_problem(resp, 422, "bad_rows")


def test_malformed_json_is_a_bad_request(client, open_session):
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        data=b'{"rows": [',
        headers={**target.headers, "Content-Type": "application/json"},
    )
    assert_problem(resp, 400, "bad_request")


# ---- who and when ----------------------------------------------------------------------------


def test_upload_before_the_session_starts_is_refused(open_session, upload_roster, clock):
    target = open_session(year=2027)  # starts 2027-03-01
    clock.freeze(date(2027, 2, 28))
    body = assert_problem(
        upload_roster(target, roster_xlsx(trainees(1))), 422, "session_not_started"
    )
    assert "2027-03-01" in body["detail"]
    _nothing_stored()


def test_upload_on_the_first_day_of_the_session_is_accepted(open_session, upload_roster, clock):
    target = open_session(year=2027)
    clock.freeze(date(2027, 3, 1))
    resp = upload_roster(target, roster_xlsx(trainees(2)))
    assert resp.status_code == 200, resp.json
    assert resp.json["recorded"] == 2


def test_a_base_cannot_upload_to_another_bases_session(
    open_session, upload_roster, create_base, base_headers
):
    target = open_session()
    other = create_base(name="湖南另一所继续教育基地")
    resp = upload_roster(target, roster_xlsx(trainees(1)), headers=base_headers(other))
    assert_problem(resp, 403, "forbidden")
    _nothing_stored()


@pytest.mark.parametrize("role", ["employer", "dept"])
def test_other_roles_cannot_upload(open_session, upload_roster, make_headers, role):
    target = open_session()
    scope = {"department": "湖南省教育厅"} if role == "dept" else {}
    resp = upload_roster(target, roster_xlsx(trainees(1)), headers=make_headers(role, **scope))
    assert_problem(resp, 403, "forbidden")


def test_upload_without_token_is_401(open_session, upload_roster):
    target = open_session()
    assert_problem(upload_roster(target, roster_xlsx(trainees(1)), headers={}), 401, "unauthorized")


def test_upload_to_unknown_session_is_404(client, open_session):
    target = open_session()
    resp = client.post(
        "/api/v1/sessions/999999/attendance", json={"rows": [trainee()]}, headers=target.headers
    )
    assert_problem(resp, 404, "not_found")


def test_admin_can_upload_for_a_base(open_session, upload_roster, admin_headers):
    target = open_session()
    resp = upload_roster(target, roster_xlsx(trainees(2)), headers=admin_headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2


def test_error_report_lists_each_rows_problem_and_stores_nothing(client, open_session):
    from openpyxl import load_workbook

    target = open_session()
    people = [trainee(), trainee(hours="abc")]
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance/error-report",
        data={"file": (io.BytesIO(roster_xlsx(people)), "名单.xlsx")},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误说明"
    assert rows[1][-1] in (None, "")
    assert "学时" in rows[2][-1]
    _nothing_stored()


def test_error_report_of_a_good_roster_has_no_errors_and_issues_nothing(
    client, open_session, monkeypatch
):
    from openpyxl import load_workbook

    from jxjd.attendance import services

    def no_signing(*_args, **_kw):
        raise AssertionError("a check must not sign certificates")

    monkeypatch.setattr(services, "Signing", no_signing)
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance/error-report",
        data={"file": (io.BytesIO(roster_xlsx(trainees(3))), "名单.xlsx")},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert all(row[-1] in (None, "") for row in rows[1:])
    _nothing_stored()


def test_error_report_includes_conflicts_with_stored_records(client, open_session, upload_roster):
    from openpyxl import load_workbook

    target = open_session()
    person = trainee()
    upload_roster(target, roster_xlsx([person]))
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance/error-report",
        data={"file": (io.BytesIO(roster_xlsx([{**person, "hours": 8}])), "名单.xlsx")},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert "已有本班次记录" in rows[1][-1]


# ---- a large upload gives its memory back, after the answer ---------------------------------


def test_large_upload_releases_memory_only_once_the_response_is_closed(
    client, open_session, monkeypatch
):
    import jxjd.attendance.views as views
    import jxjd.common.memory as memory

    released: list[str] = []
    monkeypatch.setattr(views, "LARGE_UPLOAD_ROWS", 2)
    monkeypatch.setattr(memory, "release_memory", lambda response: released.append("gc"))
    target = open_session()
    resp = client.post(
        f"/api/v1/sessions/{target.id}/attendance",
        json={"rows": trainees(2)},
        headers=target.headers,
        buffered=False,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 2
    assert released == []  # the answer is out before the collection
    resp.close()
    assert released == ["gc"]
