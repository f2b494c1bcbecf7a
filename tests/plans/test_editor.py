"""The plan editor page: any number of rows, values kept after an error, copy, import, edit, delete."""

from __future__ import annotations

import io
import re
import threading

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from jxjd.audit.models import AuditEvent
from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from tests.fixtures.auth import csrf_token_from
from tests.fixtures.plans import base_actor, item_payload

ROW = {
    "title": "人工智能应用高级研修班",
    "specialty": "电子信息",
    "category": "professional",
    "level": "senior",
    "audience": "public",
    "form": "in_person",
    "sessions": "3",
    "trainees": "150",
    "hours": "32",
}


def _rows(rows: list[dict[str, str]], **extra: str) -> dict[str, str]:
    form = {"rows": str(len(rows)), **extra}
    for i, row in enumerate(rows):
        form.update({f"{key}_{i}": value for key, value in row.items()})
    return form


@pytest.fixture
def desk(client, create_base, make_account, login):
    """A signed-in base at its plans page: (base, post(url, data) → response)."""
    base = create_base(name="甲基地")
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))

    def post(url: str, data: dict, **kw):
        return client.post(url, data={"csrf_token": token, **data}, **kw)

    return base, post


def _plans() -> list[Plan]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Plan).order_by(Plan.id)))


def _value(html: str, name: str) -> str | None:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return match.group(1) if match else None


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select id="[^"]+" name="{re.escape(name)}".*?</select>', html, re.S)
    assert select, name
    match = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return match.group(1) if match else None


def test_a_base_saves_a_plan_of_five_items(desk):
    _, post = desk
    rows = [dict(ROW, title=f"项目{n}", sessions=str(n + 1)) for n in range(5)]
    resp = post("/plans/new", _rows(rows, year="2028", action="save"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/plans")
    (plan,) = _plans()
    assert (plan.year, plan.status) == (2028, "draft")
    assert [(i.title, i.sessions) for i in plan.items] == [(f"项目{n}", n + 1) for n in range(5)]


def test_after_an_error_every_typed_value_comes_back_beside_its_error(desk):
    _, post = desk
    rows = [
        dict(ROW),
        dict(
            ROW,
            title="初级班",
            level="junior",
            audience="internal",
            form="blended",
            sessions="7",
            trainees="35",
            hours="12.5",
            category="general",
        ),
    ]
    resp = post("/plans/new", _rows(rows, year="2028", action="save"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert _plans() == []
    assert _value(html, "year") == "2028"
    assert (_value(html, "sessions_1"), _value(html, "trainees_1"), _value(html, "hours_1")) == (
        "7",
        "35",
        "12.5",
    )
    assert _selected(html, "level_1") == "junior"
    assert _selected(html, "audience_1") == "internal"
    assert _selected(html, "form_1") == "blended"
    assert _selected(html, "category_1") == "general"
    assert _selected(html, "specialty_1") == "电子信息"
    # The error sits under the second row's level, as a sentence, never as a code.
    assert re.search(r'id="level_1-error">专业“电子信息”未认定初级培训层次<', html)
    assert 'aria-invalid="true" aria-describedby="level_1-error"' in html
    assert "level_not_recognized" not in html and "items[1]" not in html
    assert "第 2 项的培训层次" in html


def test_a_number_that_is_not_a_number_is_kept_as_typed(desk):
    _, post = desk
    resp = post("/plans/new", _rows([dict(ROW, sessions="三")], year="2028", action="save"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert _value(html, "sessions_0") == "三"
    assert 'id="sessions_0-error">应为数字<' in html


def test_blank_rows_are_skipped_and_errors_land_on_the_right_row(desk):
    _, post = desk
    blank = {key: "" for key in ROW} | {"category": "general", "level": "senior"}
    rows = [blank, dict(ROW, hours="")]
    resp = post("/plans/new", _rows(rows, year="2028", action="save"))
    assert resp.status_code == 422
    assert 'id="hours_1-error">' in resp.get_data(as_text=True)


def test_add_and_remove_rows_without_script_save_nothing(desk):
    _, post = desk
    resp = post("/plans/new", _rows([dict(ROW)], year="2028", action="add"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and _plans() == []
    assert 'name="rows" value="2"' in html and 'name="title_1"' in html
    assert _value(html, "title_0") == ROW["title"]
    resp = post(
        "/plans/new",
        _rows([dict(ROW, title="甲"), dict(ROW, title="乙")], year="2028", action="remove-0"),
    )
    html = resp.get_data(as_text=True)
    assert _value(html, "title_0") == "乙" and 'name="title_1"' not in html


def test_rows_removed_by_script_leave_gaps_that_are_skipped(desk):
    _, post = desk
    form = _rows([dict(ROW, title="甲"), dict(ROW, title="乙"), dict(ROW, title="丙")], year="2028")
    for key in ROW:
        del form[f"{key}_1"]
    assert post("/plans/new", form).status_code == 302
    assert [i.title for i in _plans()[0].items] == ["甲", "丙"]


def test_a_failed_save_and_submit_leaves_no_draft(desk):
    _, post = desk
    form = _rows([dict(ROW, level="junior")], year="2028", action="submit")
    for _ in range(2):  # a reload of the failed POST creates nothing either
        assert post("/plans/new", form).status_code == 422
    assert _plans() == []
    assert post("/plans/new", _rows([dict(ROW)], year="2028", action="submit")).status_code == 302
    assert [p.status for p in _plans()] == ["submitted"]


def test_copy_last_years_plan_into_the_editor(desk, create_plan_in):
    base, post = desk
    create_plan_in(base, "filed", year=2027, items=[item_payload(title="去年的班", sessions=6)])
    resp = post("/plans/new", _rows([], year="2028", action="copy"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert _value(html, "title_0") == "去年的班" and _value(html, "sessions_0") == "6"
    assert len(_plans()) == 1  # nothing saved yet
    resp = post("/plans/new", _rows([], year="2030", action="copy"))
    assert resp.status_code == 422
    assert 'id="year-error">2029 年度没有可复制的计划项目<' in resp.get_data(as_text=True)


def test_copy_from_the_plans_page_link(client, desk, create_plan_in):
    base, _ = desk
    create_plan_in(base, "filed", year=2027)
    html = client.get("/plans/new?year=2028&copy=1").get_data(as_text=True)
    assert _value(html, "title_0") == "人工智能应用高级研修班"
    assert _value(html, "year") == "2028"


def _workbook(rows: list[list], header: list[str] | None = None) -> bytes:
    from jxjd.plans.importing import COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.append(header or [h for _, h, _ in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_downloads_with_the_bases_specialties(client, desk):
    resp = client.get("/plans/template.xlsx")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in book["计划项目"][1]][:3] == ["项目名称", "专业", "科目类别"]
    assert "电子信息" in str([c.value for c in book["填写说明"]["B"]])


def test_import_fills_the_editor_from_the_template(desk):
    _, post = desk
    data = _workbook(
        [
            ["导入班一", "电子信息", "专业科目", "高级", "面向社会招生", "面授", 2, 80, 24],
            ["导入班二", "电子信息", "professional", "senior", "public", "online", 1, 40, 12.5],
        ]
    )
    form = _rows([dict(ROW, title="手填的")], year="2028", action="import")
    form["items_file"] = (io.BytesIO(data), "plan.xlsx")
    resp = post("/plans/new", form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and _plans() == []
    assert [_value(html, f"title_{i}") for i in range(3)] == ["手填的", "导入班一", "导入班二"]
    assert _selected(html, "form_2") == "online" and _value(html, "hours_2") == "12.5"
    assert "已从模板导入 2 个项目" in html


def test_import_reports_every_bad_row_and_imports_nothing(desk):
    _, post = desk
    data = _workbook(
        [
            ["好的班", "电子信息", "专业科目", "高级", "面向社会招生", "面授", 2, 80, 24],
            ["", "电子信息", "专业科目", "超级", "面向社会招生", "面授", "两", 80, 24],
        ]
    )
    form = _rows([dict(ROW, title="手填的")], year="2028", action="import")
    form["items_file"] = (io.BytesIO(data), "plan.xlsx")
    resp = post("/plans/new", form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "第 3 行：“项目名称”未填写" in html
    assert "第 3 行：“培训层次”填写的“超级”不是可选的取值（高级、中级、初级）" in html
    assert "第 3 行：“计划期数”应填写整数，表中是“两”" in html
    assert _value(html, "title_0") == "手填的" and 'name="title_1"' not in html


def test_import_refuses_a_sheet_that_is_not_the_template(desk):
    _, post = desk
    form = _rows([], year="2028", action="import")
    form["items_file"] = (io.BytesIO(_workbook([["x"]], header=["姓名", "身份证号"])), "a.xlsx")
    resp = post("/plans/new", form, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert 'id="items_file-error">第一行应是模板的表头' in resp.get_data(as_text=True)
    form = _rows([], year="2028", action="import")
    form["items_file"] = (io.BytesIO(b"not a zip"), "a.xlsx")
    assert post("/plans/new", form, content_type="multipart/form-data").status_code == 415


def test_a_returned_plan_is_edited_beside_the_departments_opinion(client, desk, create_plan_in):
    base, post = desk
    plan = create_plan_in(base, "returned")
    html = client.get("/plans").get_data(as_text=True)
    assert "主管部门退回意见：</strong>请补充" in html
    html = client.get(f"/plans/{plan.id}/edit").get_data(as_text=True)
    assert "主管部门退回意见" in html and "请补充" in html
    assert _value(html, "sessions_0") == "4"
    rows = [dict(ROW, title="修改后的班"), dict(ROW, title="新增的班")]
    resp = post(f"/plans/{plan.id}/edit", _rows(rows, action="submit"))
    assert resp.status_code == 302
    (saved,) = _plans()
    assert saved.status == "submitted"
    assert [i.title for i in saved.items] == ["修改后的班", "新增的班"]


def test_a_submitted_plan_cannot_be_edited_or_deleted(client, desk, create_plan_in):
    base, post = desk
    plan = create_plan_in(base, "submitted")
    resp = client.get(f"/plans/{plan.id}/edit")
    assert resp.status_code == 302
    resp = post(f"/plans/{plan.id}/delete", {})
    assert resp.status_code == 302
    assert "计划当前状态为“已提交”，不能删除" in client.get("/plans").get_data(as_text=True)
    assert [p.status for p in _plans()] == ["submitted"]


def test_a_draft_is_deleted_with_its_items_and_audited(client, desk, create_plan_in):
    base, post = desk
    plan = create_plan_in(base, "draft")
    assert post(f"/plans/{plan.id}/delete", {}).status_code == 302
    assert _plans() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanItem)) == 0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "plan.delete"))
    assert event is not None and event.summary["from_status"] == "draft"


def test_another_bases_plan_is_not_editable(client, desk, create_base, create_plan_in):
    _, post = desk
    other = create_plan_in(create_base(name="乙基地"), "draft")
    assert client.get(f"/plans/{other.id}/edit").status_code == 403
    assert post(f"/plans/{other.id}/delete", {}).status_code == 302
    assert len(_plans()) == 1


def _race(app, plan_id: int, actor, steps) -> list[str | None]:
    """Run the steps on the plan from two threads released together; "ok" or each problem's code."""
    from jxjd.errors import Problem

    db.session.remove()
    barrier = threading.Barrier(len(steps))
    outcomes: list[str | None] = [None] * len(steps)

    def run(index: int, step) -> None:
        with app.app_context():
            plan = db.session.get(Plan, plan_id)
            barrier.wait(timeout=10)
            try:
                step(actor, plan)
                db.session.commit()
                outcomes[index] = "ok"
            except Problem as problem:
                db.session.rollback()
                outcomes[index] = problem.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _events(plan_id: int, after: int) -> dict[str, int]:
    """Plan events of this round (a deleted plan's id may come back on SQLite)."""
    return {
        action: db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.target_id == str(plan_id),
                AuditEvent.id > after,
            )
        )
        for action in ("plan.delete", "plan.submit")
    }


def test_deleting_and_submitting_at_once_do_one_of_the_two(app, create_base, create_plan_in):
    """Many rounds: the plan is deleted (the submit finds nothing: 404) or submitted (the delete
    gets 409), never both, and never a 500."""
    from jxjd.common.crypto import app_keystore
    from jxjd.plans import services

    app_keystore().ensure_all()
    for _ in range(10):
        base = create_base()
        actor = base_actor(base)
        plan_id = create_plan_in(base, "draft").id
        after = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
        outcomes = _race(app, plan_id, actor, (services.delete_plan, services.submit_plan))
        left = db.session.get(Plan, plan_id)
        if outcomes == ["ok", "not_found"]:
            assert left is None and _events(plan_id, after) == {"plan.delete": 1, "plan.submit": 0}
        else:
            assert outcomes == ["invalid_transition", "ok"], outcomes
            assert left.status == "submitted"
            assert _events(plan_id, after) == {"plan.delete": 0, "plan.submit": 1}
        db.session.remove()
