"""The pages: the 申请表 form for applicants, the desk for departments and the HR department."""

from __future__ import annotations

from datetime import date

import pytest

from jxjd.applications.models import Application
from jxjd.bases.models import Base, BaseChange
from jxjd.common.crypto import reveal_id_number
from jxjd.extensions import db
from tests.fixtures.applications import DEPARTMENT, new_id_number
from tests.fixtures.auth import csrf_token_from
from tests.fixtures.bases import new_credit_code


@pytest.fixture
def signed_in(client, make_account, login):
    """signed_in(role, **scope) → the client, signed in with a new web account of that role."""
    counter = iter(range(1, 100))

    def sign_in(role: str, **scope):
        username = f"{role}-{next(counter)}"
        make_account(role, username=username, **scope)
        assert login(client, username).status_code == 302
        return client

    return sign_in


def _form(credit_code: str, teachers: int = 4, **overrides) -> dict:
    data = {
        "unit_name": "湖南某某学院",
        "credit_code": credit_code,
        "department": DEPARTMENT,
        "address": "长沙市岳麓区",
        "postcode": "410000",
        "email": "jxjy@example.cn",
        "leader.name": "王五",
        "leader.position": "院长",
        "leader.phone": "0731-1",
        "contact.name": "李四",
        "contact.position": "科长",
        "contact.phone": "0731-2",
        "capacity.concurrent_trainees": "300",
        "capacity.yearly_trainees": "1200",
        "facilities.land_area_m2": "20000",
        "facilities.classrooms.count": "20",
        "facilities.classrooms.area_m2": "1600.5",
        "staff.full_time_teachers": "20",
        "managers-0-name": "赵六",
        "managers-0-position": "主任",
        "specialties-0-name": "电子信息",
        "specialties-0-levels": ["senior", "intermediate"],
        "specialties-0-audiences": ["public"],
        "specialties-1-name": "",  # a blank row the page always offers
    }
    for i in range(teachers):
        data.update(
            {
                f"teachers-{i}-id": "",
                f"teachers-{i}-name": f"教师{i + 1}",
                f"teachers-{i}-id_number": new_id_number(),
                f"teachers-{i}-education": "master",
                f"teachers-{i}-title": "associate_senior",
                f"teachers-{i}-full_time": "1",
                f"teachers-{i}-graduated_year": "2010",
                f"teachers-{i}-specialties": "电子信息",
            }
        )
    data.update(overrides)
    return data


def _post(client, url: str, data: dict, page: str | None = None):
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_the_form_page_has_every_part_of_the_paper_form_in_chinese(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    resp = client.get("/applications/new")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for words in (
        "单位名称",
        "统一社会信用代码",
        "主管部门",
        "邮编",
        "负责人",
        "联系人",
        "可同时容纳培训人数",
        "占地面积",
        "多功能教室",
        "网络学习中心",
        "礼堂",
        "餐厅容纳",
        "宿舍容纳",
        "定编人数",
        "兼职教师",
        "管理人员情况",
        "毕业学校",
        "职称",
        "任课年限",
        "拟申请认定的专业",
        "面向本系统、本单位招生",
        "保存草稿",
        "提交申请",
    ):
        assert words in html, words
    assert 'name="csrf_token"' in html and code in html
    assert 'for="teachers-0-id_number"' in html and 'id="teachers-0-id_number"' in html


def test_an_applicant_saves_a_draft_and_resumes_it(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    data = _form(code, teachers=2, **{"capacity.yearly_trainees": ""})
    resp = _post(client, "/applications/new", {**data, "action": "save"})
    assert resp.status_code == 302
    application = db.session.scalars(db.select(Application)).one()
    assert application.status == "draft" and application.yearly_trainees is None
    assert [t.name for t in application.teachers] == ["教师1", "教师2"]
    assert application.classrooms_area_m2 == pytest.approx(1600.5)
    assert application.specialties[0].levels == ["senior", "intermediate"]
    assert len(application.specialties) == 1  # the blank row is dropped
    html = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert "教师2" in html and application.teachers[0].id_masked in html
    assert "草稿" in html


def test_saving_again_keeps_id_numbers_left_blank(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    _post(client, "/applications/new", {**_form(code, teachers=1), "action": "save"})
    application = db.session.scalars(db.select(Application)).one()
    masked, teacher_id = application.teachers[0].id_masked, application.teachers[0].id
    url = f"/applications/{application.id}/edit"
    data = _form(code, teachers=1, **{"teachers-0-id": str(teacher_id), "teachers-0-id_number": ""})
    assert _post(client, url, {**data, "action": "save"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).teachers[0].id_masked == masked


def test_submitting_from_the_form_shows_the_failed_conditions_in_chinese(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    data = _form(
        code,
        teachers=3,
        **{"capacity.yearly_trainees": "800", "teachers-1-education": "associate"},
    )
    resp = _post(client, "/applications/new", {**data, "action": "submit"})
    # The draft is saved and the browser sent to it (post/redirect/get): a reload saves nothing.
    assert resp.status_code == 302
    application = db.session.scalars(db.select(Application)).one()
    assert resp.headers["Location"].endswith(f"/applications/{application.id}/edit?check=1")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "以下条件未满足" in html
    assert "每年培训人数为800人" in html
    assert "专业“电子信息”只有3名教师" in html
    assert "第2位教师（教师2）学历为大专" in html
    assert 'class="field-error"' in html
    application = db.session.scalars(db.select(Application)).one()
    assert application.status == "draft"  # saved, not submitted


def test_a_complete_form_is_submitted(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    resp = _post(client, "/applications/new", {**_form(code), "action": "submit"})
    assert resp.status_code == 302
    application = db.session.scalars(db.select(Application)).one()
    assert application.status == "submitted"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已提交" in html
    assert client.get(f"/applications/{application.id}/edit").status_code == 302


def test_malformed_numbers_come_back_next_to_the_form(signed_in):
    code = new_credit_code()
    client = signed_in("applicant", credit_code=code)
    data = _form(code, **{"teachers-0-graduated_year": "1800"})
    resp = _post(client, "/applications/new", {**data, "action": "save"})
    assert resp.status_code == 422
    assert "第1位教师的毕业年份" in resp.get_data(as_text=True)
    assert db.session.scalars(db.select(Application)).all() == []


def test_an_applicant_cannot_open_another_units_application(signed_in, create_application):
    other = create_application()
    client = signed_in("applicant", credit_code=new_credit_code())
    assert client.get(f"/applications/{other.id}").status_code == 403
    assert client.get(f"/applications/{other.id}/edit").status_code == 403


def test_the_desk_lists_applications_in_scope(signed_in, create_application):
    ours = create_application("submitted", unit_name="本部门学院")
    create_application("submitted", unit_name="他部门学院", department="湖南省财政厅")
    client = signed_in("dept", department=DEPARTMENT)
    html = client.get("/applications").get_data(as_text=True)
    assert "本部门学院" in html and "他部门学院" not in html
    detail = client.get(f"/applications/{ours.id}").get_data(as_text=True)
    assert "主管部门推荐" in detail


def test_department_recommends_through_the_page(signed_in, create_application):
    application = create_application("submitted")
    client = signed_in("dept", department=DEPARTMENT)
    page = f"/applications/{application.id}"
    resp = _post(client, f"{page}/recommend", {"opinion": "同意推荐"}, page=page)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "recommended"


def test_admin_takes_the_whole_workflow_through_the_pages(signed_in, create_application, clock):
    application = create_application("recommended")
    client = signed_in("admin")
    page = f"/applications/{application.id}"
    clock.freeze(date(2026, 6, 1))
    steps = [
        ("review", {"reviewer": "专家甲", "score": "90", "opinion": "好"}),
        ("site-visit", {"date": "2026-05-20", "findings": "齐备", "passed": "1"}),
        ("notice", {"days": "7", "start_date": ""}),
    ]
    for action, data in steps:
        resp = _post(client, f"{page}/{action}", data, page=page)
        assert resp.status_code == 302, action
    db.session.expire_all()
    assert db.session.get(Application, application.id).notice_until == date(2026, 6, 7)
    resp = _post(client, f"{page}/recognize", {}, page=page)
    follow = client.get(page).get_data(as_text=True)
    assert "公示期至 2026-06-07 结束" in follow  # the problem comes back as a message
    clock.freeze(date(2026, 6, 8))
    _post(client, f"{page}/recognize", {}, page=page)
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == "recognized"
    assert db.session.get(Base, application.base_id).plaque_number == "湘继教基地〔2026〕第001号"
    assert "湘继教基地〔2026〕第001号" in client.get(page).get_data(as_text=True)


def test_admin_rejects_through_the_page(signed_in, create_application):
    application = create_application("submitted")
    client = signed_in("admin")
    page = f"/applications/{application.id}"
    _post(client, f"{page}/reject", {"reason": "师资不足"}, page=page)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "rejected"
    assert "师资不足" in client.get(page).get_data(as_text=True)


def test_pages_need_sign_in_and_the_right_role(client, signed_in, create_application):
    application = create_application("submitted")
    assert client.get("/applications").status_code == 302
    signed = signed_in("person", id_number="430104199003070015")
    assert signed.get("/applications").status_code == 403
    assert signed.get(f"/applications/{application.id}").status_code == 403


def test_pages_never_show_a_full_id_number(signed_in, create_application):
    application = create_application("submitted")
    client = signed_in("admin")
    html = client.get(f"/applications/{application.id}").get_data(as_text=True)
    for t in application.teachers:
        assert t.id_masked in html
        assert reveal_id_number(t.id_encrypted) not in html


def test_a_base_files_a_change_on_its_page_and_the_admin_accepts_it(
    app, signed_in, create_base, make_account, login
):
    base = create_base()
    client = signed_in("base", base_id=base.id)
    page = f"/bases/{base.id}/changes"
    assert client.get("/applications").headers["Location"].endswith(page)
    resp = _post(client, page, {"name": "", "address": "长沙市开福区", "note": "搬迁"})
    assert resp.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "长沙市开福区" in html and "待备案" in html
    admin = app.test_client()
    make_account("admin", username="admin-changes")
    login(admin, "admin-changes")
    listing = admin.get("/base-changes").get_data(as_text=True)
    assert "长沙市开福区" in listing
    change_id = db.session.scalars(db.select(BaseChange.id)).one()
    token = csrf_token_from(listing)
    resp = admin.post(f"/base-changes/{change_id}/accept", data={"csrf_token": token})
    assert resp.status_code == 302
    assert db.session.get(Base, base.id, populate_existing=True).address == "长沙市开福区"


def test_a_change_with_nothing_new_is_shown_as_an_error(signed_in, create_base):
    base = create_base()
    client = signed_in("base", base_id=base.id)
    page = f"/bases/{base.id}/changes"
    resp = _post(client, page, {"address": base.address})
    assert resp.status_code == 422
    assert "没有与现有登记信息不同的变更内容" in resp.get_data(as_text=True)
