"""A session's trainee list (ISSUE11 item 3): search, paging, Excel export, revoke from the list."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.fixtures.attendance import roster_xlsx, trainee, trainees


def _session_with(open_session, upload_roster, people):
    target = open_session()
    assert upload_roster(target, roster_xlsx(people)).status_code == 200
    return target


def test_the_list_pages_fifty_at_a_time(signed_in, open_session, upload_roster):
    target = _session_with(open_session, upload_roster, trainees(51, employer="甲公司"))
    client = signed_in("base", base_id=target.base.id)
    first = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert "51 人" in first and "第 1 / 2 页" in first and "下一页" in first
    second = client.get(f"/sessions/{target.id}?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second and second.count("<td>甲公司</td>") == 1
    assert client.get(f"/sessions/{target.id}?page=abc").status_code == 200


def test_search_by_name_employer_id_number_or_serial(signed_in, open_session, upload_roster):
    wanted = trainee(name="欧阳明", employer="乙研究院")
    target = _session_with(open_session, upload_roster, [wanted, *trainees(3, employer="甲公司")])
    client = signed_in("admin")
    page = f"/sessions/{target.id}"
    for q in ("欧阳", "乙研究", wanted["id_number"]):
        html = client.get(page, query_string={"q": q}).get_data(as_text=True)
        assert "找到 1 人" in html and "欧阳明" in html, q
    serial = client.get(
        f"/api/v1/sessions/{target.id}/attendance", headers=target.headers
    ).get_json()["records"][0]["certificate"]
    html = client.get(page, query_string={"q": f" {serial} "}).get_data(as_text=True)
    assert "找到 1 人" in html
    none = client.get(page, query_string={"q": "不存在的人%"}).get_data(as_text=True)
    assert "没有找到“不存在的人%”" in none


def test_the_export_holds_the_searched_list_with_masked_id_numbers(
    signed_in, open_session, upload_roster
):
    wanted = trainee(name="欧阳明")
    target = _session_with(open_session, upload_roster, [wanted, *trainees(2)])
    client = signed_in("base", base_id=target.base.id)
    resp = client.get(f"/sessions/{target.id}/trainees.xlsx?q=欧阳明")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == ("姓名", "身份证号（脱敏）", "工作单位")
    assert len(rows) == 2 and rows[1][0] == "欧阳明" and rows[1][4] == "合格"
    assert wanted["id_number"] not in str(rows) and "*" in rows[1][1]
    assert rows[1][7] == "有效"


def test_a_base_revokes_a_record_from_its_list_with_a_reason(
    signed_in, post_form, open_session, upload_roster
):
    target = _session_with(open_session, upload_roster, trainees(1))
    client = signed_in("base", base_id=target.base.id)
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    serial = client.get(
        f"/api/v1/sessions/{target.id}/attendance", headers=target.headers
    ).get_json()["records"][0]["certificate"]
    assert f"/console/certificates?serial={serial}" in html
    page = f"/console/certificates?serial={serial}"
    done = post_form(
        client, page, f"/console/certificates/{serial}/revoke", {"reason": "学时登记错误"}
    )
    assert "已撤销" in done.get_data(as_text=True)
    listed = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert "已撤销" in listed and f"/console/certificates?serial={serial}" not in listed
    ws = load_workbook(io.BytesIO(client.get(f"/sessions/{target.id}/trainees.xlsx").data)).active
    row = list(ws.iter_rows(min_row=3, values_only=True))[0]
    assert row[5] == 0 and row[7] == "已撤销" and row[8] == "学时登记错误"
