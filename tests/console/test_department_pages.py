"""The department pages: the table (admin), reassigning from a base's page, review history."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.departments.models import Department
from jxjd.extensions import db


def test_admin_adds_a_department_and_the_message_names_it(signed_in, post_form):
    client = signed_in("admin")
    resp = post_form(
        client,
        "/console/departments",
        "/console/departments",
        {"code": "hn-forest", "name": "湖南省林业局"},
    )
    html = resp.get_data(as_text=True)
    assert "已新增主管部门“湖南省林业局”（编码 hn-forest）" in html
    assert db.session.scalar(sa.select(Department.name).where(Department.code == "hn-forest"))


def test_a_refused_department_is_explained_and_what_was_typed_is_kept(signed_in, post_form):
    client = signed_in("admin")
    resp = post_form(
        client,
        "/console/departments",
        "/console/departments",
        {"code": "林业", "name": "湖南省林业局X"},
        follow=False,
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "部门编码为2–32位小写字母" in html
    assert 'value="湖南省林业局X"' in html and 'value="林业"' in html


def test_admin_retires_a_department_and_forms_stop_offering_it(signed_in, post_form):
    client = signed_in("admin")
    resp = post_form(
        client, "/console/departments", "/console/departments/hn-water", {"active": "0"}
    )
    assert "“湖南省水利厅”已停用" in resp.get_data(as_text=True)
    assert not db.session.scalar(sa.select(Department.active).where(Department.code == "hn-water"))


def test_the_application_form_offers_departments_as_a_select(signed_in):
    client = signed_in("applicant", credit_code="91430100MA4L00001J")
    html = client.get("/applications/new").get_data(as_text=True)
    assert '<select id="f-department" name="department">' in html
    assert '<option value="湖南省教育厅"' in html


def test_admin_reassigns_a_base_from_its_page(signed_in, post_form, create_base):
    base = create_base(name="调整部门的基地", department="湖南省教育厅")
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    assert 'name="department"' in client.get(page).get_data(as_text=True)
    resp = post_form(
        client,
        page,
        f"/console/bases/{base.id}/department",
        {"department": "hn-health", "reason": "主管关系调整"},
    )
    assert "已将“调整部门的基地”的主管部门调整为“湖南省卫生健康委员会”" in resp.get_data(
        as_text=True
    )
    refused = post_form(
        client, page, f"/console/bases/{base.id}/department", {"department": "hn-edu", "reason": ""}
    )
    assert "须说明调整原因" in refused.get_data(as_text=True)


def test_a_department_reads_its_review_history(signed_in, create_base, create_plan_in):
    base = create_base(name="审核过的基地", department="湖南省教育厅")
    create_plan_in(base, "returned")
    html = (
        signed_in("dept", department="湖南省教育厅").get("/console/reviewed").get_data(as_text=True)
    )
    assert "审核记录：湖南省教育厅" in html
    assert "审核过的基地" in html and "退回修改" in html and "请补充" in html


def test_a_department_cannot_open_the_department_table(signed_in):
    resp = signed_in("dept", department="湖南省教育厅").get("/console/departments")
    assert resp.status_code == 403
