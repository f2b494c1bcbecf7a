"""The /bases pages: signed-in accounts see their scope with Chinese labels."""

from __future__ import annotations

import pytest


@pytest.fixture
def signed_in(client, make_account, login):
    """signed_in(role, **scope) → the client, signed in with a new account of that role."""

    def sign_in(role: str, **scope):
        make_account(role, username=f"page-{role}", **scope)
        assert login(client, f"page-{role}").status_code == 302
        return client

    return sign_in


def test_bases_page_redirects_to_login_when_signed_out(client):
    resp = client.get("/bases")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_admin_sees_chinese_status_labels_and_specialties(signed_in, create_base, create_base_in):
    create_base(name="湖南信息职业技术学院继续教育学院")
    create_base_in("rectifying", name="湘潭市继续教育中心")
    create_base_in("barred", name="某某造假培训中心")
    html = signed_in("admin").get("/bases").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    for text in (
        "湖南信息职业技术学院继续教育学院",
        "湘潭市继续教育中心",
        "已认定",
        "限期整改",
        "弄虚作假不再受理",
        "电子信息",
        "公需科目",
        "高级",
        "中级",
        "面向社会招生",
        "面向本系统、本单位招生",
    ):
        assert text in html, text
    for raw in (">recognized<", ">rectifying<", ">senior<", ">public<"):
        assert raw not in html


def test_bases_page_filters_by_status(signed_in, create_base, create_base_in):
    create_base(name="正常基地")
    create_base_in("revoked", name="已撤销基地")
    html = signed_in("admin").get("/bases?status=revoked").get_data(as_text=True)
    assert "已撤销基地" in html and "正常基地" not in html


def test_dept_page_shows_only_its_departments_bases(signed_in, create_base):
    create_base(name="教育厅的基地", department="湖南省教育厅")
    create_base(name="卫健委的基地", department="湖南省卫生健康委员会")
    html = signed_in("dept", department="湖南省教育厅").get("/bases").get_data(as_text=True)
    assert "教育厅的基地" in html and "卫健委的基地" not in html


def test_detail_page_shows_specialties_and_status_history(signed_in, create_base_in):
    base = create_base_in("rectifying")
    html = signed_in("admin").get(f"/bases/{base.id}").get_data(as_text=True)
    for text in (base.name, base.credit_code, "电子信息", "限期整改", "测试准备", "cli"):
        assert text in html, text


def test_base_account_is_refused_another_bases_page(signed_in, create_base):
    own, other = create_base(), create_base()
    client = signed_in("base", base_id=own.id)
    assert client.get(f"/bases/{own.id}").status_code == 200
    resp = client.get(f"/bases/{other.id}", headers={"Accept": "text/html"})
    assert resp.status_code == 403
    assert "无权" in resp.get_data(as_text=True)


def test_person_account_is_refused_the_bases_page(signed_in):
    client = signed_in("person", id_number="430104199003070015")
    resp = client.get("/bases", headers={"Accept": "text/html"})
    assert resp.status_code == 403
    assert resp.mimetype == "text/html"
