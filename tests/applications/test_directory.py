"""The public directory (第九条, 第三十一条): recognized and rectifying bases, units on notice."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fixtures.applications import application_payload


@pytest.fixture
def pinned_today(clock):
    return clock.freeze


def test_directory_is_public_and_lists_only_recognized_and_rectifying_bases(client, create_base_in):
    shown = {create_base_in(s, name=f"{s}基地").id for s in ("recognized", "rectifying")}
    for status in ("applying", "revoked", "barred"):
        create_base_in(status, name=f"{status}基地")
    resp = client.get("/api/v1/directory")
    assert resp.status_code == 200
    assert {b["id"] for b in resp.json["bases"]} == shown
    assert {b["status"] for b in resp.json["bases"]} == {"recognized", "rectifying"}


def test_directory_entries_carry_the_public_fields(client, create_base):
    base = create_base(plaque_number="湘继教基地〔2026〕第009号", recognized_on=date(2026, 1, 5))
    entry = client.get("/api/v1/directory").json["bases"][0]
    assert entry == {
        "id": base.id,
        "name": base.name,
        "credit_code": base.credit_code,
        "department": "湖南省教育厅",
        "specialties": [
            {
                "name": "电子信息",
                "levels": ["senior", "intermediate"],
                "audiences": ["public", "internal"],
            },
            {
                "name": "公需科目",
                "levels": ["senior", "intermediate", "junior"],
                "audiences": ["public"],
            },
        ],
        "status": "recognized",
        "contact": {"name": "李四", "phone": "0731-88888888", "email": "jxjy@example.cn"},
        "address": "长沙市岳麓区",
        "recognized_on": "2026-01-05",
        "plaque_number": "湘继教基地〔2026〕第009号",
        "excellent": False,
    }


def test_on_notice_lists_applications_inside_their_notice_window(
    client, create_application, pinned_today
):
    current = create_application(
        "on_notice", notice_start=date(2026, 6, 1), notice_days=7, unit_name="公示中学院"
    )
    create_application("on_notice", notice_start=date(2026, 5, 1), notice_days=7)  # over
    create_application("on_notice", notice_start=date(2026, 6, 20), notice_days=7)  # not yet
    create_application("visited")
    for day in (date(2026, 6, 1), date(2026, 6, 7)):
        pinned_today(day)
        notices = client.get("/api/v1/directory").json["on_notice"]
        assert notices == [
            {
                "application_id": current.id,
                "unit_name": "公示中学院",
                "department": "湖南省教育厅",
                "notice_start": "2026-06-01",
                "notice_until": "2026-06-07",
                "specialties": [
                    {"name": "电子信息", "levels": ["senior"], "audiences": ["public"]}
                ],
            }
        ]
    pinned_today(date(2026, 6, 8))
    assert [n["unit_name"] for n in client.get("/api/v1/directory").json["on_notice"]] == []


def test_no_id_number_appears_in_the_directory_json_or_pages(
    client, create_application, create_base, pinned_today
):
    create_base()
    payload = application_payload("x")
    numbers = [t["id_number"] for t in payload["teachers"]]
    create_application("on_notice", notice_start=date(2026, 6, 1), teachers=payload["teachers"])
    pinned_today(date(2026, 6, 2))
    texts = [
        client.get("/api/v1/directory").get_data(as_text=True),
        client.get("/directory").get_data(as_text=True),
        client.get("/directory/notices").get_data(as_text=True),
    ]
    for text in texts:
        assert "湖南某某学院" in text
        for number in numbers:
            assert number not in text
            assert number[:6] + "*" * 8 + number[-4:] not in text
        assert "id_number" not in text and "id_masked" not in text


def test_directory_page_is_a_phone_friendly_chinese_page(client, create_base_in):
    create_base_in("rectifying", name="整改中的基地")
    create_base_in("revoked", name="已撤销的基地")
    resp = client.get("/directory")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert "整改中的基地" in html and "限期整改" in html
    assert "已撤销的基地" not in html
    assert "高级" in html and "面向社会招生" in html


def test_directory_page_searches_by_name_department_or_specialty(client, create_base):
    create_base(
        name="甲基地",
        specialties=[{"name": "土木建筑", "levels": ["junior"], "audiences": ["public"]}],
    )
    create_base(name="乙基地")
    html = client.get("/directory?q=土木").get_data(as_text=True)
    assert "甲基地" in html and "乙基地" not in html


def test_notices_page_lists_units_on_notice(client, create_application, pinned_today):
    create_application("on_notice", notice_start=date(2026, 6, 1), unit_name="公示学院")
    pinned_today(date(2026, 6, 3))
    html = client.get("/directory/notices").get_data(as_text=True)
    assert "公示学院" in html and "2026-06-07" in html
    assert "公示学院" in client.get("/directory").get_data(as_text=True)


def test_directory_shows_a_base_recognized_through_the_workflow(
    client, make_headers, create_application, pinned_today
):
    application = create_application("on_notice", notice_start=date(2026, 5, 1))
    pinned_today(date(2026, 6, 1))
    client.post(f"/api/v1/applications/{application.id}/recognize", headers=make_headers("admin"))
    bases = client.get("/api/v1/directory").json["bases"]
    assert [(b["name"], b["plaque_number"]) for b in bases] == [
        ("湖南某某学院", "湘继教基地〔2026〕第001号")
    ]
