"""POST /api/v1/credits/import: bulk credits from other platforms, strict/partial, idempotent."""

from __future__ import annotations

import io

from openpyxl import Workbook

from jxjd.credits.models import Credit
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.attendance import trainee

HEADER = [
    "姓名",
    "身份证号",
    "年度",
    "形式",
    "数量",
    "学时",
    "名称",
    "主办单位",
    "开始日期",
    "结束日期",
]


def row(person=None, **change):
    person = person or trainee()
    values = {
        "姓名": person["name"],
        "身份证号": person["id_number"],
        "年度": 2026,
        "形式": "网络公需科目",
        "数量": 10,
        "学时": None,
        "名称": "2026年公需科目网络培训",
        "主办单位": "湖南省专业技术人员继续教育网",
        "开始日期": "2026-04-01",
        "结束日期": "2026-04-30",
    }
    values.update(change)
    return [values[h] for h in HEADER]


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "学时认定"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    lines = [",".join(HEADER)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def _import(client, headers, data, filename="学时.xlsx", mode=None):
    query = f"?mode={mode}" if mode else ""
    return client.post(
        f"/api/v1/credits/import{query}",
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Credit.id)))


def test_an_import_stores_pending_credits_and_a_re_upload_changes_nothing(client, admin_headers):
    data = xlsx([row(), row(), row(形式="paper", 数量=1, 名称="论文")])
    first = _import(client, admin_headers, data)
    assert first.status_code == 200, first.json
    assert (first.json["received"], first.json["recorded"], first.json["rejected"]) == (3, 3, [])
    again = _import(client, admin_headers, data).json
    assert (again["recorded"], again["already_recorded"]) == (0, 3)
    assert _count() == 3
    credits = db.session.scalars(db.select(Credit).order_by(Credit.id)).all()
    assert {c.status for c in credits} == {"pending"}
    assert sorted(c.hours for c in credits) == [10, 10, 20]


def test_strict_refuses_the_whole_file_partial_stores_the_good_rows(client, admin_headers):
    person = trainee()
    rows = [
        row(person),
        row(身份证号="360426199101010072"),
        row(形式="讲座"),
        row(person),  # the same activity twice in the file
        row(形式="paper", 数量=None, 学时=50, 名称="论文"),
    ]
    body = assert_problem(_import(client, admin_headers, xlsx(rows)), 422)
    codes = sorted((e["row"], e["code"]) for e in body["errors"])
    assert codes == [
        (3, "invalid_id_number"),
        (4, "invalid_form"),
        (5, "duplicate_row"),
        (6, "hours_exceed_cap"),
    ]
    assert _count() == 0
    partial = _import(client, admin_headers, xlsx(rows), mode="partial").json
    assert (partial["recorded"], len(partial["rejected"])) == (1, 4)


def test_csv_in_gbk_and_the_form_code_are_read(client, admin_headers):
    data = csv_bytes([row(形式="conference", 数量=2, 名称="学术年会")], encoding="gb18030")
    resp = _import(client, admin_headers, data, filename="学时.csv")
    assert resp.status_code == 200 and resp.json["recorded"] == 1
    assert db.session.scalar(db.select(Credit.hours)) == 16


def test_a_bad_file_is_refused(client, admin_headers):
    assert_problem(_import(client, admin_headers, b"\xd0\xcf\x11\xe0", "a.xls"), 415)
    no_id = csv_bytes([]).replace("身份证号".encode(), "证件".encode())
    assert_problem(_import(client, admin_headers, no_id, "a.csv"), 422, "missing_column")
    assert_problem(_import(client, admin_headers, csv_bytes([]), "a.csv"), 422, "empty_file")


def test_a_department_imports_only_for_people_trained_at_its_bases(client, make_headers, trained):
    person, _ = trained(department="湖南省教育厅")
    dept = make_headers("dept", department="湖南省教育厅")
    resp = _import(client, dept, xlsx([row(person), row()]), mode="partial").json
    assert resp["recorded"] == 1
    assert [e["code"] for e in resp["rejected"]] == ["unknown_person"]


def test_a_row_duplicating_a_base_record_is_refused(client, admin_headers, trained):
    person, target = trained()
    dup = row(
        person,
        形式="employer_training",
        数量=8,
        名称=target.session.title,
        开始日期="2026-03-02",
        结束日期="2026-03-02",
    )
    body = assert_problem(_import(client, admin_headers, xlsx([dup])), 422)
    assert [e["code"] for e in body["errors"]] == ["duplicate_credit"]


def test_a_re_import_with_other_values_is_a_conflicting_row_not_already_recorded(
    client, admin_headers
):
    same, changed, other_provider, new = trainee(), trainee(), trainee(), trainee()
    first = [row(same), row(changed), row(other_provider)]
    assert _import(client, admin_headers, xlsx(first)).json["recorded"] == 3
    second = [
        row(same),
        row(changed, 数量=12),
        row(other_provider, 主办单位="另一个平台"),
        row(new),
    ]
    body = assert_problem(_import(client, admin_headers, xlsx(second)), 422, "conflicting_record")
    assert sorted((e["row"], e["code"]) for e in body["errors"]) == [
        (3, "conflicting_record"),
        (4, "conflicting_record"),
    ]
    assert "10 学时" in body["errors"][0]["message"]
    assert _count() == 3  # strict: nothing stored
    partial = _import(client, admin_headers, xlsx(second), mode="partial").json
    assert (partial["recorded"], partial["already_recorded"], len(partial["rejected"])) == (1, 1, 2)
    stored = db.session.scalars(db.select(Credit.quantity).order_by(Credit.id)).all()
    assert stored == [10, 10, 10, 10]  # the originals are untouched


def test_identical_rows_stay_idempotent_after_the_table_changes(client, admin_headers):
    person = trainee()
    data = xlsx([row(person, 形式="paper", 数量=1, 名称="论文")])
    assert _import(client, admin_headers, data).json["recorded"] == 1
    table = client.get("/api/v1/rules/2026/conversions", headers=admin_headers).json
    for form in table["forms"]:
        if form["form"] == "paper":
            form["hours_per_unit"] = 10
    put = client.put(
        "/api/v1/rules/2026/conversions", json={"forms": table["forms"]}, headers=admin_headers
    )
    assert put.status_code == 200, put.json
    again = _import(client, admin_headers, data).json
    assert (again["recorded"], again["already_recorded"], again["rejected"]) == (0, 1, [])


def test_a_rejected_credit_may_be_imported_again_with_other_values(client, admin_headers):
    person = trainee()
    assert _import(client, admin_headers, xlsx([row(person)])).json["recorded"] == 1
    credit_id = db.session.scalar(db.select(Credit.id))
    client.post(
        f"/api/v1/credits/{credit_id}/reject", json={"opinion": "学时有误"}, headers=admin_headers
    )
    again = _import(client, admin_headers, xlsx([row(person, 数量=8)])).json
    assert (again["recorded"], again["rejected"]) == (1, [])


def test_an_import_without_a_chosen_file_is_missing_file(client, admin_headers):
    body = assert_problem(_import(client, admin_headers, b"", filename=""), 422)
    assert [e["code"] for e in body["errors"]] == ["missing_file"]
