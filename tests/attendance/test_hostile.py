"""Hostile roster files (CONTRACT §11): every one gets its 4xx problem, through every door.

The corpus is built by tests/attendance/hostile.py; scripts/bench_hostile.py measures the time and
server memory each costs (timing is never asserted here).
"""

from __future__ import annotations

import functools
import io
import re
import uuid
from datetime import date, datetime, time

import pytest
from markupsafe import escape
from openpyxl import load_workbook

from jxjd.attendance import importing
from jxjd.attendance.importing import read_roster_file, validate_rows
from jxjd.errors import PayloadTooLarge, Problem, UnsupportedMediaType
from tests.attendance import hostile
from tests.attendance.test_importing import SESSION, ZH_HEADER, codes, csv_bytes, xlsx
from tests.conftest import assert_problem
from tests.fixtures.attendance import STORED_TABLES, count_rows, roster_xlsx, trainee
from tests.fixtures.auth import csrf_token_from

FILE_PROBLEMS = [h for h in hostile.CORPUS if h.code not in ("invalid_id_number",)]
ROW_PROBLEMS = [h for h in hostile.CORPUS if h not in FILE_PROBLEMS]


def _ids(entries):
    return [h.name for h in entries]


def _nothing_stored() -> None:
    assert count_rows(*STORED_TABLES) == dict.fromkeys(STORED_TABLES, 0)


def post_file(client, url: str, data: bytes, filename: str, *, headers=None, form=None):
    """POST a multipart upload encoded here (the test client would spool big bodies to a
    temporary file it never closes)."""
    boundary = uuid.uuid4().hex
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in (form or {}).items()
    ]
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        url,
        data=b"".join(chunks),
        headers=headers or {},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


# ---- the reader --------------------------------------------------------------------------


@functools.cache
def refusal(name: str) -> Problem:
    """The Problem the reader raises for a corpus entry."""
    entry = next(h for h in hostile.CORPUS if h.name == name)
    with pytest.raises(Problem) as caught:
        read_roster_file(hostile.build(name), entry.filename)
    return caught.value


@pytest.mark.parametrize("entry", FILE_PROBLEMS, ids=_ids(FILE_PROBLEMS))
def test_each_hostile_file_is_refused_by_the_reader(entry):
    problem = refusal(entry.name)
    assert (problem.status, problem.code) == (entry.status, entry.code)
    assert re.search(r"[\u4e00-\u9fff]", problem.detail)  # a Chinese message


def test_a_far_cell_is_refused_by_its_reference_before_any_grid_is_built():
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(hostile.far_cell("XFD1048576"), "a.xlsx")
    assert caught.value.code == "sheet_too_large"
    assert "XFD1048576" in caught.value.detail
    body = caught.value.to_dict()
    assert (body["max_rows"], body["max_columns"]) == (importing.MAX_ROWS, 64)


def test_the_last_allowed_column_and_row_are_read():
    # Column 64 (BL) and the last row the extent allows are fine; one more is not.
    last_row = 5 + importing.HEADER_ALLOWANCE
    body = (
        hostile.HEADER_ROW + f'<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{hostile.ID_A}</t></is></c><c r="BL2"><v>1</v></c></row>'
        f'<row r="{last_row}"><c r="A{last_row}"><v>1</v></c></row>'
    )
    rows = read_roster_file(hostile.workbook(hostile.sheet_xml(body)), "a.xlsx", max_rows=5)
    assert [r.row for r in rows] == [2, last_row]
    beyond = body.replace(f"{last_row}", f"{last_row + 1}")
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(hostile.workbook(hostile.sheet_xml(beyond)), "a.xlsx", max_rows=5)
    assert caught.value.code == "sheet_too_large"
    wider = body.replace('r="BL2"', 'r="BM2"')
    with pytest.raises(PayloadTooLarge):
        read_roster_file(hostile.workbook(hostile.sheet_xml(wider)), "a.xlsx", max_rows=5)


def test_a_dimension_within_the_caps_is_fine():
    sheet = hostile.sheet_xml(
        hostile.HEADER_ROW + hostile.DATA_ROW, before='<dimension ref="A1:BL20010"/>'
    )
    assert len(read_roster_file(hostile.workbook(sheet), "a.xlsx")) == 1


def test_inflation_is_counted_whatever_the_zip_directory_says(monkeypatch):
    from jxjd.common import workbook

    data = hostile.workbook(hostile.sheet_xml(hostile.HEADER_ROW + hostile.DATA_ROW))
    forged = hostile.forge_size(data, hostile.SHEET, 10)  # claims 10 bytes
    monkeypatch.setattr(workbook, "MAX_UNZIPPED_BYTES", 400)
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(forged, "a.xlsx")
    assert caught.value.code == "file_too_large"


def test_a_forged_size_that_stays_within_the_budget_is_still_read_in_full():
    data = hostile.workbook(hostile.sheet_xml(hostile.HEADER_ROW + hostile.DATA_ROW))
    rows = read_roster_file(hostile.forge_size(data, hostile.SHEET, 10), "a.xlsx")
    assert [(r.row, r.values["name"]) for r in rows] == [(2, "张三")]


def test_entities_are_never_expanded_or_fetched():
    for make in (hostile.xxe, hostile.xxe_parameter_entity, hostile.billion_laughs):
        with pytest.raises(UnsupportedMediaType) as caught:
            read_roster_file(make(), "a.xlsx")
        assert "root:" not in caught.value.detail and "lol" not in caught.value.detail
        assert "DTD" in caught.value.detail


def test_predefined_entities_and_character_references_are_read():
    body = (
        hostile.HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>张&amp;三&#x4E09;</t>'
        f'</is></c><c r="B2" t="inlineStr"><is><t>{hostile.ID_A}</t></is></c></row>'
    )
    rows = read_roster_file(hostile.workbook(hostile.sheet_xml(body)), "a.xlsx")
    assert rows[0].values["name"] == "张&三三"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('<c r="A2" t="s"><v>' + "9" * 5000 + "</v></c>", UnsupportedMediaType),
        ('<c r="A2"><v>1e999</v></c>', "1e999"),
        ('<c r="A2"><v>' + "9" * 400 + "</v></c>", "9" * 400),
        ('<c r="A2" t="b"><v>1</v></c>', True),
        ('<c r="A2" t="e"><v>#N/A</v></c>', "#N/A"),
        ('<c r="A2" t="d"><v>2026-03-01T08:30:00</v></c>', datetime(2026, 3, 1, 8, 30)),
        ('<c r="A2" s="1"><v>46082</v></c>', date(2026, 3, 1)),
        ('<c r="A2" s="1"><v>0.5</v></c>', time(12, 0)),
        ('<c r="A2" s="2"><v>46082.25</v></c>', datetime(2026, 3, 1, 6, 0)),
        ('<c r="A2" s="1"><v>1e300</v></c>', 1e300),
        ('<c r="A2" s="3"><v>1.5</v></c>', 1.5),
    ],
)
def test_cells_of_every_kind_read_as_openpyxl_would_or_refuse(cell, expected):
    styles = (
        f'<styleSheet xmlns="{hostile.MAIN}"><numFmts count="2">'
        '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="165" formatCode="0.0&quot;学时&quot;"/></numFmts>'
        '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
        '<xf numFmtId="165"/></cellXfs></styleSheet>'
    )
    sheet = hostile.sheet_xml(hostile.HEADER_ROW + f'<row r="2">{cell}<c r="B2"><v>1</v></c></row>')
    data = hostile.workbook(sheet, styles=styles)
    if isinstance(expected, type):
        with pytest.raises(expected):
            read_roster_file(data, "a.xlsx")
    else:
        value = read_roster_file(data, "a.xlsx")[0].values["name"]
        assert (type(value), value) == (type(expected), expected)


def test_formula_cells_are_read_as_their_cached_values_never_evaluated():
    rows = read_roster_file(hostile.formula_cells(), "a.xlsx")
    assert rows[0].values == {"name": "李四", "id_number": 4.3010419900307e17}
    assert rows[1].values == {"name": None, "id_number": hostile.ID_A}  # no cached value
    _good, errors = validate_rows(rows, session_hours=SESSION)
    assert [(e["row"], e["code"]) for e in errors] == [
        (2, "invalid_id_number"),
        (3, "missing_name"),
    ]


def test_legacy_xls_says_to_save_as_xlsx_whatever_the_name():
    for name in ("a.xls", "a.xlsx", "a.csv", "a.XLS"):
        with pytest.raises(UnsupportedMediaType) as caught:
            read_roster_file(hostile.legacy_xls(), name)
        assert "请用Excel另存为.xlsx" in caught.value.detail


def test_utf16_tab_separated_csv_is_decoded():
    rows = read_roster_file(hostile.utf16_csv(), "a.csv")
    assert [(r.row, r.values["name"], r.values["id_number"]) for r in rows] == [
        (2, "张三", hostile.ID_A)
    ]
    big_endian = f"姓名,身份证号\r\n张三,{hostile.ID_A}\r\n".encode("utf-16-be")
    rows = read_roster_file(b"\xfe\xff" + big_endian, "a.csv")
    assert rows[0].values["id_number"] == hostile.ID_A


def test_a_csv_field_past_the_csv_limit_is_unsupported():
    data = csv_bytes([ZH_HEADER, ['"' + "x" * 200_000 + '"', hostile.ID_A]])
    with pytest.raises(UnsupportedMediaType):
        read_roster_file(data, "a.csv")


def test_a_row_of_text_repeated_past_the_text_budget_is_refused(monkeypatch):
    monkeypatch.setattr(importing, "_TEXT_CHARS_PER_ROW", 10)
    data = csv_bytes([ZH_HEADER] + [["张三" * 30, hostile.ID_A]] * 5)
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(data, "a.csv", max_rows=5)
    assert caught.value.code == "file_too_large"


def test_a_strict_ooxml_workbook_with_prefixed_elements_is_read():
    main = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    sheet = (
        f'<x:worksheet xmlns:x="{main}"><x:sheetData><x:row r="1">'
        '<x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>身份证号</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>张三</x:t></x:is></x:c>'
        f'<x:c r="B2" t="inlineStr"><x:is><x:t>{hostile.ID_A}</x:t></x:is></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    rows = read_roster_file(hostile.workbook(sheet), "a.xlsx")
    assert rows[0].values == {"name": "张三", "id_number": hostile.ID_A}


# ---- row errors name the trainee ---------------------------------------------------------


def test_row_errors_name_the_trainee_and_keep_row_field_and_code():
    data = xlsx([ZH_HEADER, ["李四", "430104199003070016"], ["", "430104199003070016"]])
    _good, errors = validate_rows(read_roster_file(data, "a.xlsx"), session_hours=SESSION)
    first = errors[0]
    assert (first["row"], first["field"], first["code"]) == (2, "id_number", "invalid_id_number")
    assert first["message"].startswith("第2行（李四）：身份证号")
    assert all(e["message"].startswith("第3行：") for e in errors[1:])  # no name to show
    assert codes(errors[1:]) == ["missing_name", "invalid_id_number"]


def test_json_row_errors_name_the_trainee_by_record():
    rows = importing.rows_from_json([{"name": "王五", "id_number": "123"}])
    _good, errors = validate_rows(rows, session_hours=SESSION)
    assert errors[0]["message"].startswith("第1条（王五）：")


def test_a_long_or_bidi_name_is_shortened_and_cleaned_in_the_message():
    data = csv_bytes([ZH_HEADER, ["\u202e张" + "三" * 40, "123"]])
    _good, errors = validate_rows(read_roster_file(data, "a.csv"), session_hours=SESSION)
    assert errors[0]["message"].startswith("第2行（张" + "三" * 19 + "…）：")
    assert "\u202e" not in errors[0]["message"]


def test_the_error_report_strips_the_row_and_name_prefix():
    data = xlsx([ZH_HEADER, ["李四", "430104199003070016"]])
    rows = read_roster_file(data, "a.xlsx")
    _good, errors = validate_rows(rows, session_hours=SESSION)
    ws = load_workbook(io.BytesIO(importing.build_error_report_xlsx(rows, errors))).active
    column = [c.value for c in ws[1]].index(importing.ERROR_COLUMN) + 1
    assert ws.cell(row=2, column=column).value.startswith("身份证号")


# ---- through the API, the page and the error report ---------------------------------------


@pytest.mark.parametrize("entry", FILE_PROBLEMS, ids=_ids(FILE_PROBLEMS))
def test_each_hostile_file_gets_its_problem_from_the_api(entry, client, open_session):
    target = open_session()
    url = f"/api/v1/sessions/{target.id}/attendance"
    resp = post_file(client, url, hostile.build(entry.name), entry.filename, headers=target.headers)
    assert_problem(resp, entry.status, entry.code)
    _nothing_stored()


@pytest.mark.parametrize("entry", FILE_PROBLEMS, ids=_ids(FILE_PROBLEMS))
def test_each_hostile_file_gets_its_problem_from_the_error_report(entry, client, open_session):
    target = open_session()
    url = f"/api/v1/sessions/{target.id}/attendance/error-report"
    resp = post_file(client, url, hostile.build(entry.name), entry.filename, headers=target.headers)
    assert_problem(resp, entry.status, entry.code)


@pytest.fixture
def page_upload(client, make_account, login, open_session):
    """page_upload(data, filename) → the session page's response to a form upload."""
    target = open_session()
    make_account("base", username="hostile-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "hostile-base").status_code == 302

    def post(data: bytes, filename: str):
        page = client.get(f"/sessions/{target.id}")
        token = csrf_token_from(page.get_data(as_text=True))
        form = {"csrf_token": token, "mode": "strict"}
        return post_file(client, f"/sessions/{target.id}", data, filename, form=form)

    return post


@pytest.mark.parametrize("entry", FILE_PROBLEMS, ids=_ids(FILE_PROBLEMS))
def test_each_hostile_file_is_refused_by_the_page_with_its_message(entry, page_upload):
    resp = page_upload(hostile.build(entry.name), entry.filename)
    assert resp.status_code == entry.status
    html = resp.get_data(as_text=True)
    assert str(escape(refusal(entry.name).detail)) in html
    assert "上传结果" not in html
    _nothing_stored()


@pytest.mark.parametrize("entry", ROW_PROBLEMS, ids=_ids(ROW_PROBLEMS))
def test_formula_cells_are_row_errors_everywhere(entry, client, open_session, upload_roster):
    target = open_session()
    data = hostile.build(entry.name)
    body = assert_problem(upload_roster(target, data), entry.status, entry.code)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (2, "invalid_id_number"),
        (3, "missing_name"),
    ]
    assert body["errors"][0]["message"].startswith("第2行（李四）：")
    _nothing_stored()
    report = client.post(
        f"/api/v1/sessions/{target.id}/attendance/error-report",
        data={"file": (io.BytesIO(data), entry.filename)},
        headers=target.headers,
        content_type="multipart/form-data",
    )
    assert report.status_code == 200  # the report is the answer: the rows and their errors
    ws = load_workbook(io.BytesIO(report.data)).active
    column = [c.value for c in ws[1]].index(importing.ERROR_COLUMN) + 1
    assert ws["B2"].value == "李四" and "文本" in ws.cell(row=2, column=column).value
    assert ws["B3"].data_type != "f"


def test_utf16_csv_uploads_through_the_api(open_session, upload_roster):
    target = open_session()
    resp = upload_roster(target, hostile.utf16_csv(), filename="名单.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["recorded"] == 1


def test_the_unchanged_template_issues_no_certificate(client, open_session, upload_roster):
    target = open_session()
    template = client.get(
        f"/api/v1/sessions/{target.id}/attendance/template", headers=target.headers
    )
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.data))
    assert wb.sheetnames == ["学员名单", "填写说明"]
    assert wb["学员名单"]["A2"].value.startswith("示例")
    assert wb["学员名单"]["D2"].value == 24  # the session's hours
    body = assert_problem(upload_roster(target, template.data), 422, "empty_file")
    assert "示例行" in body["detail"]
    _nothing_stored()


def test_the_template_example_row_is_not_counted_as_received(client, open_session, upload_roster):
    target = open_session()
    template = client.get(
        f"/api/v1/sessions/{target.id}/attendance/template", headers=target.headers
    )
    wb = load_workbook(io.BytesIO(template.data))
    person = trainee()
    for col, key in enumerate(("name", "id_number", "employer", "hours", "result"), start=1):
        wb["学员名单"].cell(row=3, column=col, value=person[key])
    buffer = io.BytesIO()
    wb.save(buffer)
    body = upload_roster(target, buffer.getvalue()).json
    assert (body["received"], body["recorded"], body["rejected"]) == (1, 1, [])


def test_the_row_cap_comes_from_the_configuration(app, open_session, upload_roster, upload_json):
    target = open_session()
    people = [trainee() for _ in range(4)]
    old = app.config["JXJD_MAX_ROSTER_ROWS"]
    app.config["JXJD_MAX_ROSTER_ROWS"] = 3
    try:
        body = assert_problem(upload_roster(target, roster_xlsx(people)), 413, "sheet_too_large")
        assert body["max_rows"] == 3 and "3行" in body["detail"]
        assert_problem(upload_json(target, people), 422, "too_many_items")
        assert upload_roster(target, roster_xlsx(people[:3])).status_code == 200
    finally:
        app.config["JXJD_MAX_ROSTER_ROWS"] = old


def test_a_conflicting_record_names_the_trainee(open_session, upload_roster):
    target = open_session()
    person = trainee()
    assert upload_roster(target, roster_xlsx([person])).status_code == 200
    changed = roster_xlsx([{**person, "hours": 20}])
    body = assert_problem(upload_roster(target, changed), 422, "conflicting_record")
    assert body["errors"][0]["message"].startswith(f"第2行（{person['name']}）：")
