"""The employer's credit entry page: one credit in a form, or a workbook (template, strict or
partial, the per-row error report), reaching only the staff its rosters name."""

from __future__ import annotations

import base64
import io
import re

from openpyxl import load_workbook

from jxjd.credits.models import Credit
from jxjd.extensions import db
from tests.credits.test_import import HEADER, row
from tests.credits.test_pages import _sign_in
from tests.fixtures.attendance import trainee
from tests.fixtures.auth import csrf_token_from

UNIT = "长沙某某医院"


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Credit.id)))


def _employer(client, make_account, trained):
    staff, _ = trained(employer=UNIT)
    make_account("employer", username="hr", name=UNIT)
    _sign_in(client, "hr")
    return staff


def _one(staff, **change) -> dict:
    return {
        "what": "one",
        "id_number": staff["id_number"],
        "name": staff["name"],
        "year": "2026",
        "form": "employer_training",
        "quantity": "6",
        "title": "院内继续医学教育",
        "provider": UNIT,
        "start_date": "2026-05-11",
        "end_date": "2026-05-11",
    } | change


def _post(client, data, files=None):
    token = csrf_token_from(client.get("/credits/enter").text)
    payload = {**data, "csrf_token": token, **(files or {})}
    return client.post("/credits/enter", data=payload, content_type="multipart/form-data")


def test_the_employer_enters_one_credit_for_its_staff(client, make_account, trained):
    staff = _employer(client, make_account, trained)
    page = client.get("/credits/enter")
    assert page.status_code == 200 and "学时认定录入" in page.text
    assert "/credits/enter" in client.get("/").text  # in the menu
    resp = _post(client, _one(staff))
    assert resp.status_code == 302, resp.text
    credit = db.session.scalar(db.select(Credit))
    assert (credit.source, credit.status, credit.hours) == ("employer", "pending", 6)
    assert "院内继续医学教育" in client.get("/credits/enter").text  # its recent entries


def test_someone_not_on_its_rosters_is_refused_and_the_form_keeps_its_values(
    client, make_account, trained
):
    _employer(client, make_account, trained)
    stranger = trainee()
    resp = _post(client, _one(stranger, title="外单位人员的培训"))
    assert resp.status_code == 404
    assert "未找到该身份证号对应的人员" in resp.text
    assert 'value="外单位人员的培训"' in resp.text and stranger["id_number"] in resp.text
    assert _count() == 0


def test_the_template_holds_no_person_and_reads_back(client, make_account, trained):
    _employer(client, make_account, trained)
    resp = client.get("/credits/template.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb["学时认定"]
    assert [c.value for c in ws[1]] == HEADER
    assert ws.max_row > 1 and all(c.value is None for c in ws[2])  # formatted, empty
    assert ws["B2"].number_format == "@"
    assert "填写说明" in wb.sheetnames
    help_text = " ".join(str(c.value) for r in wb["填写说明"].iter_rows() for c in r if c.value)
    assert "网络公需科目" in help_text and "online_general" in help_text


def _filled_template(client, rows) -> bytes:
    wb = load_workbook(io.BytesIO(client.get("/credits/template.xlsx").data))
    ws = wb["学时认定"]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _report(html: str) -> bytes:
    match = re.search(r'href="data:[^;]+;base64,([^"]+)"', html)
    assert match, "no error report link"
    return base64.b64decode(match.group(1))


def test_a_workbook_strict_then_partial_with_the_error_report(client, make_account, trained):
    staff = _employer(client, make_account, trained)
    stranger = trainee()
    data = _filled_template(client, [row(staff), row(stranger)])
    strict = _post(
        client,
        {"what": "workbook", "mode": "strict"},
        {"file": (io.BytesIO(data), "职工学时.xlsx")},
    )
    assert strict.status_code == 422 and "全部未保存" in strict.text
    assert "未找到该人员" in strict.text and _count() == 0
    report = load_workbook(io.BytesIO(_report(strict.text))).active
    rows = [list(r) for r in report.iter_rows(values_only=True)]
    header = rows[1]
    assert header[0] == "原行号" and header[-1] == "错误说明"
    by_row = {r[0]: r for r in rows[2:]}
    assert by_row[2][-1] in ("", None) and "未找到该人员" in by_row[3][-1]
    assert by_row[3][header.index("身份证号")] == stranger["id_number"]  # kept as text
    partial = _post(
        client,
        {"what": "workbook", "mode": "partial"},
        {"file": (io.BytesIO(data), "职工学时.xlsx")},
    )
    assert partial.status_code == 200 and _count() == 1
    assert "新录入 <strong>1</strong>" in partial.text
    # The error report itself uploads again: the stored row is already recorded.
    again = _post(
        client,
        {"what": "workbook", "mode": "partial"},
        {"file": (io.BytesIO(_report(strict.text)), "错误报告.xlsx")},
    )
    assert "已录入过 <strong>1</strong>" in again.text and _count() == 1


def test_a_bad_file_is_shown_not_raised(client, make_account, trained):
    _employer(client, make_account, trained)
    resp = _post(
        client, {"what": "workbook"}, {"file": (io.BytesIO(b"\xd0\xcf\x11\xe0"), "old.xls")}
    )
    assert resp.status_code == 415 and "另存为 .xlsx" in resp.text


def test_a_person_or_a_base_cannot_open_the_entry_page(client, make_account, trained, create_base):
    person, _ = trained()
    make_account("person", username="me", id_number=person["id_number"], name=person["name"])
    _sign_in(client, "me")
    assert client.get("/credits/enter").status_code == 403
    assert client.get("/credits/template.xlsx").status_code == 403


def test_the_api_hands_out_the_template_to_those_who_enter(client, make_headers):
    employer = make_headers("employer", name=UNIT)
    resp = client.get("/api/v1/credits/import/template?year=2026", headers=employer)
    assert resp.status_code == 200
    assert load_workbook(io.BytesIO(resp.data)).sheetnames == ["学时认定", "填写说明"]
    person = make_headers("person", id_number=trainee()["id_number"], name="张三")
    assert client.get("/api/v1/credits/import/template", headers=person).status_code == 403


def test_a_claim_with_another_persons_id_number_is_shown_not_a_500(client, make_account, trained):
    me, _ = trained()
    someone, _ = trained()
    make_account("person", username="me", id_number=me["id_number"], name=me["name"])
    _sign_in(client, "me")
    page = client.get("/me/credits")
    form = {
        "csrf_token": csrf_token_from(page.text),
        "id_number": someone["id_number"],
        "form": "paper",
        "year": "2026",
        "quantity": "1",
        "title": "别人的论文",
        "provider": "湖南医学杂志",
        "start_date": "2026-05-01",
        "end_date": "2026-05-01",
        "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf"),
    }
    resp = client.post("/me/credits", data=form, content_type="multipart/form-data")
    assert resp.status_code == 403 and "只能申报本人的学时" in resp.text
    assert _count() == 0


def test_a_workbook_post_without_a_file_says_to_choose_one(client, make_account, trained):
    _employer(client, make_account, trained)
    resp = _post(client, {"what": "workbook"}, {"file": (io.BytesIO(b""), "")})
    assert resp.status_code == 422
    assert "请选择要上传的文件" in resp.text and "字段 file" not in resp.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Credit)) == 0
