"""The admin console pages (ISSUE11 item 6): status, specialties, certificates, spot checks,
evaluation rounds and the 待办 board, each through the existing services."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.evaluations.models import EvaluationRound
from jxjd.extensions import db
from jxjd.spotchecks.models import SpotCheck
from tests.fixtures.attendance import roster_xlsx, trainees


def _issue(open_session, upload_roster, count: int = 2):
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(count))).status_code == 200
    return target, db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()


def test_admin_puts_a_base_into_rectification_with_a_reason(signed_in, post_form, create_base):
    base = create_base(name="整改的基地")
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    assert "变更基地状态" in client.get(page).get_data(as_text=True)
    resp = post_form(
        client,
        page,
        f"/console/bases/{base.id}/status",
        {"status": "rectifying", "reason": "抽查发现问题"},
    )
    html = resp.get_data(as_text=True)
    assert "“整改的基地”已变更为“限期整改”" in html
    assert "抽查发现问题" in html  # the status history on the same page
    db.session.expire_all()
    assert db.session.get(Base, base.id).status == "rectifying"


def test_a_refused_status_change_says_why_and_changes_nothing(signed_in, post_form, create_base):
    base = create_base()
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    missing = post_form(
        client, page, f"/console/bases/{base.id}/status", {"status": "revoked", "reason": ""}
    )
    assert "flash error" in missing.get_data(as_text=True)
    wrong = post_form(
        client, page, f"/console/bases/{base.id}/status", {"status": "applying", "reason": "x"}
    )
    assert "不能" in wrong.get_data(as_text=True) or "flash error" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Base, base.id).status == "recognized"


def test_admin_edits_specialties_adds_and_removes_rows(signed_in, post_form, create_base):
    base = create_base()
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    data = {
        "rows": "3",
        "s-0-name": "电子信息",
        "s-0-levels": ["senior"],
        "s-0-audiences": ["public"],
        "s-1-name": "",  # 公需科目 removed
        "s-2-name": "人工智能",
        "s-2-levels": ["senior", "intermediate"],
        "s-2-audiences": ["public", "internal"],
    }
    resp = post_form(client, page, f"/console/bases/{base.id}/specialties", data)
    assert "认定专业已更新为：电子信息、人工智能" in resp.get_data(as_text=True)
    db.session.expire_all()
    stored = {s.name: s.levels for s in db.session.get(Base, base.id).specialties}
    assert stored == {"电子信息": ["senior"], "人工智能": ["senior", "intermediate"]}
    refused = post_form(
        client, page, f"/console/bases/{base.id}/specialties", {"rows": "1", "s-0-name": "无层次"}
    )
    assert "至少选择一个培训层次" in refused.get_data(as_text=True)


def test_admin_finds_and_revokes_a_certificate(signed_in, post_form, open_session, upload_roster):
    _, certs = _issue(open_session, upload_roster)
    serial = certs[0].serial
    client = signed_in("admin")
    page = f"/console/certificates?serial={serial}"
    assert "撤销该证书" in client.get(page).get_data(as_text=True)
    resp = post_form(client, page, f"/console/certificates/{serial}/revoke", {"reason": "冒名参训"})
    html = resp.get_data(as_text=True)
    assert f"证书 {serial}" in html and "已撤销，其学时不再计入" in html and "冒名参训" in html
    again = post_form(
        client, page, f"/console/certificates/{serial}/revoke", {"reason": "再撤一次"}
    )
    assert "已于" in again.get_data(as_text=True)  # already_revoked, in words
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.revoke")
    ).all()
    assert len(events) == 1


def test_an_unknown_serial_is_a_404_page(signed_in):
    resp = signed_in("admin").get("/console/certificates?serial=NOPE")
    assert resp.status_code == 404 and "证书不存在" in resp.get_data(as_text=True)


def test_admin_draws_a_spot_check_and_records_an_outcome(
    signed_in, post_form, open_session, upload_roster
):
    target, _ = _issue(open_session, upload_roster, 1)
    year = target.session.start_date.year
    client = signed_in("admin")
    resp = post_form(
        client, "/console/spot-checks", "/console/spot-checks", {"year": str(year), "size": "3"}
    )
    html = resp.get_data(as_text=True)
    assert f"已从 {year} 年度 1 个班次中抽取 1 个" in html and "抽取结果一致" in html
    check = db.session.scalars(sa.select(SpotCheck)).one()
    page = f"/console/spot-checks/{check.id}"
    done = post_form(
        client,
        page,
        f"/console/spot-checks/{check.id}/items/{target.id}",
        {"outcome": "issues", "findings": "签到表缺页"},
    )
    assert "抽查结果已记为“发现问题，限期整改”" in done.get_data(as_text=True)
    empty = post_form(
        client,
        "/console/spot-checks",
        "/console/spot-checks",
        {"year": "1999", "size": "3"},
        follow=False,
    )
    assert empty.status_code == 422 and 'value="1999"' in empty.get_data(as_text=True)


def test_admin_opens_an_evaluation_round_from_the_page(signed_in, post_form):
    client = signed_in("admin")
    html = client.get("/evaluations").get_data(as_text=True)
    assert "POST /api/v1/evaluation-rounds" not in html and "开展评估" in html
    resp = post_form(
        client, "/evaluations", "/console/evaluation-rounds", {"year": "2027", "name": ""}
    )
    assert "已开展“2027 年度省级继续教育基地评估”，纳入 0 个基地" in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(EvaluationRound.year)).all() == [2027]
    twice = post_form(client, "/evaluations", "/console/evaluation-rounds", {"year": "2027"})
    assert "2027 年度基地评估已开展" in twice.get_data(as_text=True)


def test_the_dashboard_counts_what_waits(
    signed_in, create_base, create_base_in, create_plan_in, create_application
):
    create_base_in("rectifying", name="整改中")
    base = create_base()
    create_plan_in(base, "reviewed")
    create_application("submitted")
    create_application("recommended")
    html = signed_in("admin").get("/console").get_data(as_text=True)
    assert '<span class="count">1</span>份计划待备案' in html
    assert '<span class="count">1</span>个基地限期整改中' in html
    assert '<span class="count">1</span>已提交' in html
    assert '<span class="count">1</span>主管部门已推荐' in html


def test_console_pages_are_admin_only(signed_in):
    client = signed_in("dept", department="湖南省教育厅")
    for url in ("/console", "/console/spot-checks"):
        assert client.get(url).status_code == 403, url
