"""Correct-and-reissue of one attendance record: the old certificate revoked with a reason that
names the correction and linked to its replacement, the record counted once everywhere."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from jxjd.archive.services import person_records, registration_entries, review_check, year_lines
from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.models import AttendanceRecord, BasePersonYearTally, BaseYearTally
from jxjd.attendance.services import import_attendance
from jxjd.attendance.tallies import rebuild_tallies
from jxjd.audit.models import AuditEvent
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.certificates.signing import jwks_from_document, verify_token
from jxjd.extensions import db
from jxjd.people.services import find_person
from jxjd.plans.models import PlanItem
from jxjd.reports.services import base_report
from jxjd.transcripts.services import signed_payload
from tests.conftest import assert_problem
from tests.fixtures.attendance import roster_xlsx, trainee, trainees
from tests.fixtures.auth import csrf_token_from
from tests.fixtures.plans import base_actor
from tests.test_concurrent_transitions import Call, events, one_winner, race


@pytest.fixture
def issued(open_session, upload_roster, client):
    """issued(people) → (target, people, serials in roster order)."""

    def make(people=None, **session):
        target = open_session(**session)
        people = people or trainees(2)
        resp = upload_roster(target, roster_xlsx(people))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
        return target, people, [c["serial"] for c in listed.json["certificates"]]

    return make


def _correct(client, target, serial, **body):
    return client.post(f"/api/v1/certificates/{serial}/correct", json=body, headers=target.headers)


def _tallies():
    return (
        sorted(tuple(r) for r in db.session.execute(sa.select(*BaseYearTally.__table__.c))),
        sorted(tuple(r) for r in db.session.execute(sa.select(*BasePersonYearTally.__table__.c))),
    )


def test_a_correction_revokes_the_old_certificate_and_issues_a_linked_new_one(client, issued):
    target, people, serials = issued([trainee(name="张珊"), trainee()])
    resp = _correct(client, target, serials[0], name="张三", hours=20, reason="姓名录入错误")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    new = resp.json
    assert new["serial"] != serials[0] and new["status"] == "valid"
    assert new["replaces"] == serials[0] and new["replaced_by"] is None
    assert (new["name"], new["hours"]) == ("张三", 20)
    keys = jwks_from_document(client.get("/.well-known/jwks.json").json)
    check = verify_token(new["token"], keys)
    assert check.valid and check.payload["name"] == "张三" and check.payload["hours"] == 20

    old = client.get(f"/api/v1/certificates/{serials[0]}", headers=target.headers).json
    assert old["status"] == "revoked" and old["replaced_by"] == new["serial"]
    assert "姓名 张珊 → 张三" in old["revoked_reason"]
    assert "学时 24 → 20" in old["revoked_reason"]
    assert "姓名录入错误" in old["revoked_reason"]

    record = db.session.scalar(
        sa.select(AttendanceRecord)
        .join(Certificate, Certificate.record_id == AttendanceRecord.id)
        .where(Certificate.serial == new["serial"])
    )
    assert (record.name, record.credited_hours, record.counted) == ("张三", Decimal(20), True)
    listed = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers).json
    assert sorted(r["certificate"] for r in listed["records"]) == sorted(
        [new["serial"], serials[1]]
    )
    assert events("certificate.correct", serials[0]) == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.correct")
    )
    assert event.summary["replaced_by"] == new["serial"]
    assert event.summary["changes"]["hours"] == [24, 20]


def test_the_public_verify_page_and_api_show_the_reason_and_the_replacement(client, issued):
    target, _, serials = issued(trainees(1))
    new = _correct(client, target, serials[0], hours=16, reason="实际只参加两天").json["serial"]
    api = client.get(f"/api/v1/verify?serial={serials[0]}").json
    assert api["result"] == "revoked"
    assert "实际只参加两天" in api["reason"] and "学时 24 → 16" in api["reason"]
    assert api["certificate"]["replaced_by"] == new
    page = client.get(f"/v/{serials[0]}").get_data(as_text=True)
    assert "证书已撤销" in page and "实际只参加两天" in page
    assert f'href="/v/{new}"' in page
    current = client.get(f"/api/v1/verify?serial={new}").json
    assert current["result"] == "valid" and current["certificate"]["replaces"] == serials[0]
    assert f'href="/v/{serials[0]}"' in client.get(f"/v/{new}").get_data(as_text=True)


def test_the_corrected_record_counts_once_everywhere(client, issued):
    person = trainee()
    target, _, serials = issued([person, trainee()], year=2026)
    before = _tallies()
    resp = _correct(
        client, target, serials[0], hours=12, category="general", reason="科目类别与学时有误"
    )
    assert resp.status_code == 201
    who = find_person(person["id_number"])
    (line,) = year_lines(who.id, [2026])
    assert (line.general, line.professional) == (Decimal(12), Decimal(0))
    records = person_records(who.id, 2026, 2026)
    assert len(records) == 1
    assert (records[0]["serial"], records[0]["category"]) == (resp.json["serial"], "general")
    entries = registration_entries(who, 2026)["entries"]
    assert [(e["hours"], e["certificate_status"]) for e in entries] == [(12, "valid")]
    review = review_check(who, "intermediate", 2027)
    assert review["total_hours"] == 12
    assert [y["g"] for y in signed_payload("X", who, 2026, 2026, 0)["years"]] == [12]

    report = base_report(db.session.get(Base, target.base.id), 2026)
    assert (report["trainees"], report["person_times"]) == (2, 2)
    assert report["trainee_hours"] == 36
    # The maintained tallies moved by exactly the correction and equal a rebuild.
    after = _tallies()
    assert after != before
    rebuild_tallies()
    assert _tallies() == after
    db.session.rollback()


def test_the_class_pdf_prints_each_record_once(client, issued, make_account, login):
    target, _, serials = issued(trainees(3))
    assert _correct(client, target, serials[1], hours=8, reason="缺课").status_code == 201
    make_account("base", username="pdf-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "pdf-base").status_code == 302
    resp = client.get(f"/sessions/{target.id}/certificates.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    assert len(PdfReader(io.BytesIO(resp.data)).pages) == 3


def test_the_session_page_offers_one_pdf_part_per_current_certificates(
    client, issued, make_account, login, app, monkeypatch
):
    monkeypatch.setitem(app.config, "JXJD_PDF_MAX_PAGES", 2)
    target, _, serials = issued(trainees(2))
    assert _correct(client, target, serials[0], hours=8, reason="缺课").status_code == 201
    make_account("base", username="parts-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "parts-base").status_code == 302
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert f'href="/sessions/{target.id}/certificates.pdf"' in html
    assert "part=2" not in html and "部分" not in html


def test_at_most_one_valid_certificate_per_record_is_the_databases_rule(client, issued):
    _, _, serials = issued(trainees(1))
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serials[0]))
    copy = {
        c.key: getattr(cert, c.key)
        for c in Certificate.__table__.c
        if c.key not in ("id", "serial")
    }
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.execute(sa.insert(Certificate).values(**copy, serial="DUPLICATE"))
    db.session.rollback()


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"hours": 20}, "missing_reason", "reason"),
        ({"hours": 20, "reason": "  "}, "missing_reason", "reason"),
        ({"hours": 30, "reason": "x"}, "hours_exceed_session", "hours"),
        ({"hours": 0, "reason": "x"}, "invalid_hours", "hours"),
        ({"hours": "二十", "reason": "x"}, "invalid_hours", "hours"),
        ({"hours": 1.25, "reason": "x"}, "invalid_hours", "hours"),
        ({"name": "  ", "reason": "x"}, "missing_name", "name"),
        ({"category": "other", "reason": "x"}, "invalid_category", "category"),
        ({"hours": 24, "reason": "x"}, "nothing_to_correct", None),
        ({"reason": "x"}, "nothing_to_correct", None),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(client, issued, body, code, field):
    target, _, serials = issued(trainees(1))
    before = _tallies()
    body_ = assert_problem(_correct(client, target, serials[0], **body), 422, code)
    error = next(e for e in body_["errors"] if e["code"] == code)
    assert error["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    cert = client.get(f"/api/v1/certificates/{serials[0]}", headers=target.headers).json
    assert cert["status"] == "valid"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    assert _tallies() == before


def test_a_revoked_or_replaced_certificate_cannot_be_corrected(client, issued):
    target, _, serials = issued(trainees(2))
    client.post(
        f"/api/v1/certificates/{serials[0]}/revoke", json={"reason": "重复"}, headers=target.headers
    )
    assert_problem(
        _correct(client, target, serials[0], hours=8, reason="x"), 409, "not_correctable"
    )
    assert _correct(client, target, serials[1], hours=8, reason="x").status_code == 201
    assert_problem(
        _correct(client, target, serials[1], hours=6, reason="y"), 409, "already_revoked"
    )


def test_only_the_issuing_base_or_admin_corrects(
    client, issued, create_base, base_headers, admin_headers, make_headers
):
    person = trainee()
    target, _, serials = issued([person])
    other = base_headers(create_base(name="湖南另一所继续教育基地"))
    url = f"/api/v1/certificates/{serials[0]}/correct"
    body = {"hours": 8, "reason": "x"}
    assert_problem(client.post(url, json=body, headers=other), 403, "forbidden")
    own = make_headers("person", name=person["name"], id_number=person["id_number"])
    assert_problem(client.post(url, json=body, headers=own), 403, "forbidden")
    assert_problem(
        client.post("/api/v1/certificates/NOPE/correct", json=body, headers=target.headers), 404
    )
    assert client.post(url, json=body, headers=admin_headers).status_code == 201


def test_two_concurrent_corrections_leave_one_replacement(
    app, open_session, create_session, upload_roster
):
    target = open_session()
    base_id, item_id = target.base.id, target.session.plan_item_id
    for round_ in range(5):
        base, item = db.session.get(Base, base_id), db.session.get(PlanItem, item_id)
        session = create_session(base, item, title=f"第{round_}期", hours=24)
        import_attendance(base_actor(base), session, rows_from_json([trainee()]))
        db.session.commit()
        serial = db.session.scalar(
            sa.select(Certificate.serial).where(Certificate.session_id == session.id)
        )
        path = f"/api/v1/certificates/{serial}/correct"
        calls = [
            Call("POST", path, {"hours": 20 - i, "reason": f"理由{i}"}, target.headers)
            for i in range(2)
        ]
        winner = one_winner(race(app, *calls), ok=201, code="already_revoked")
        assert events("certificate.correct", serial) == 1
        certs = db.session.execute(
            sa.select(Certificate.revoked_at, Certificate.payload).where(
                Certificate.session_id == session.id
            )
        ).all()
        assert len(certs) == 2
        valid = [c.payload["hours"] for c in certs if c.revoked_at is None]
        assert valid == [20 - winner]


def test_the_trainee_list_page_corrects_and_keeps_what_was_typed(
    client, issued, make_account, login
):
    target, _, serials = issued(trainees(1))
    make_account("base", username="fix-base", name=target.base.name, base_id=target.base.id)
    assert login(client, "fix-base").status_code == 302
    page = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert f"/sessions/{target.id}/trainees/{serials[0]}/correct" in page
    form = client.get(f"/sessions/{target.id}/trainees/{serials[0]}/correct")
    assert form.status_code == 200
    _, _, others = issued(trainees(1), base=target.base, year=2025)
    assert client.get(f"/sessions/{target.id}/trainees/{others[0]}/correct").status_code == 404
    token = csrf_token_from(form.get_data(as_text=True))
    bad = client.post(
        f"/sessions/{target.id}/trainees/{serials[0]}/correct",
        data={"csrf_token": token, "name": "李四", "hours": "99", "reason": "学时有误"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'value="李四"' in html and 'value="99"' in html and "学时有误" in html
    assert "超过本班次" in html and "hours_exceed_session" not in html
    done = client.post(
        f"/sessions/{target.id}/trainees/{serials[0]}/correct",
        data={"csrf_token": token, "name": "李四", "hours": "20", "reason": "学时有误"},
    )
    assert done.status_code == 302 and done.location.endswith(f"/sessions/{target.id}")
    shown = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert "李四" in shown and "已更正" in shown and "新证书" in shown
