"""The report page: a bar chart of trainees per base with the minimum line (第七条)."""

from __future__ import annotations


def test_admin_sees_the_chart_with_the_minimum_line(client, report_data, make_account, login):
    make_account("admin", username="zhuanjichu")
    login(client, "zhuanjichu")
    resp = client.get("/reports?year=2027")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<svg" in html
    assert "1000" in html and "1000 人" in html
    assert "甲基地" in html and "乙基地" in html


def test_the_page_defaults_to_this_year(client, make_account, login):
    from jxjd.common.time import local_today

    make_account("admin", username="zhuanjichu")
    login(client, "zhuanjichu")
    html = client.get("/reports").get_data(as_text=True)
    assert f"{local_today().year} 年度基地培训完成情况" in html


def test_a_zero_minimum_with_no_trainees_still_draws(
    client, create_base, make_account, login, admin_headers
):
    create_base()
    client.put("/api/v1/rules/2027", json={"min_trainees": 0}, headers=admin_headers)
    make_account("admin", username="zhuanjichu")
    login(client, "zhuanjichu")
    resp = client.get("/reports?year=2027")
    assert resp.status_code == 200
    assert "<svg" in resp.get_data(as_text=True)


def test_a_department_sees_its_own_bases_on_the_page(client, report_data, make_account, login):
    make_account("dept", username="zhujianting", department="湖南省住房和城乡建设厅")
    login(client, "zhujianting")
    html = client.get("/reports?year=2027").get_data(as_text=True)
    assert "乙基地" in html and "甲基地" not in html


def test_the_workbook_downloads_from_the_page(client, report_data, make_account, login):
    make_account("admin", username="zhuanjichu")
    login(client, "zhuanjichu")
    resp = client.get("/reports/2027.xlsx")
    assert resp.status_code == 200
    assert resp.data[:2] == b"PK"


def test_a_base_cannot_open_the_report_page(client, create_base, make_account, login):
    base = create_base()
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    assert client.get("/reports").status_code == 403
