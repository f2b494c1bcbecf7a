"""Demo data: the demo applicant's draft 申请表, and another unit's application on public notice."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from jxjd.applications.models import Application
from jxjd.applications.services import (
    add_review,
    create_application,
    recommend_application,
    record_site_visit,
    start_notice,
    submit_application,
)
from jxjd.auth import Actor
from jxjd.common.demo import demo_step
from jxjd.common.ids import id_check_char
from jxjd.common.time import local_today
from jxjd.extensions import db

ADMIN = Actor(role="admin", name="省人社厅专技处（演示）", ref="demo")
DEPARTMENT = "湖南省教育厅"
# The demo applicant credential's unit (jxjd.common.demo) and a second unit already under notice.
DRAFT_UNIT = "12430000MB1234567W"
NOTICE_UNIT = "12430000MB12345680"

TEACHERS = [
    ("刘建华", "doctorate", "senior", "中南大学", "计算机科学与技术", 2008),
    ("陈晓燕", "master", "associate_senior", "湖南大学", "软件工程", 2012),
    ("周志强", "master", "associate_senior", "国防科技大学", "电子科学与技术", 2010),
    ("谭丽", "bachelor", "associate_senior", "湘潭大学", "通信工程", 2006),
]


def _teachers(region: str) -> list[dict[str, Any]]:
    rows = []
    for i, (name, education, title, school, major, year) in enumerate(TEACHERS):
        body = f"{region}1980050{i + 1}01{i}"
        rows.append(
            {
                "name": name,
                "id_number": body + id_check_char(body),
                "education": education,
                "graduated_from": school,
                "major": major,
                "graduated_year": year,
                "title": title,
                "full_time": i < 3,
                "subjects": "人工智能应用",
                "years_teaching": 10 + i,
                "specialties": ["电子信息"],
            }
        )
    return rows


def _form(unit_name: str, credit_code: str, region: str) -> dict[str, Any]:
    return {
        "unit_name": unit_name,
        "credit_code": credit_code,
        "department": DEPARTMENT,
        "address": "长沙市岳麓区学士路",
        "postcode": "410000",
        "email": "jxjy@demo.example.cn",
        "leader": {"name": "王建国", "position": "院长", "phone": "0731-88110001"},
        "contact": {"name": "李娜", "position": "科长", "phone": "0731-88110002"},
        "capacity": {"concurrent_trainees": 300, "yearly_trainees": 1500},
        "facilities": {
            "land_area_m2": 20000,
            "building_area_m2": 8000,
            "classrooms": {"count": 20, "area_m2": 1600},
            "network_center_m2": 300,
        },
        "staff": {"authorized": 40, "current": 38, "managers": 6, "full_time_teachers": 20},
        "managers": [{"name": "赵敏", "position": "主任", "duties": "培训管理", "phone": "0731-3"}],
        "teachers": _teachers(region),
        "specialties": [
            {"name": "电子信息", "levels": ["senior", "intermediate"], "audiences": ["public"]}
        ],
    }


def _exists(credit_code: str) -> bool:
    query = sa.select(Application.id).where(Application.applicant_code == credit_code)
    return db.session.scalar(query) is not None


@demo_step
def load_applications(ctx: dict[str, Any]) -> None:
    """Applications: a draft for the demo applicant, one unit under public notice."""
    if not _exists(DRAFT_UNIT):
        applicant = Actor(
            role="applicant", name="湖南某某学院（演示）", ref="demo", credit_code=DRAFT_UNIT
        )
        form = _form("湖南某某学院", DRAFT_UNIT, "430104")
        form["teachers"] = form["teachers"][:2]  # a draft half filled in
        create_application(applicant, form)
    if not _exists(NOTICE_UNIT):
        applicant = Actor(
            role="applicant", name="长沙某某学院", ref="demo", credit_code=NOTICE_UNIT
        )
        dept = Actor(role="dept", name="湖南省教育厅（演示）", ref="demo", department=DEPARTMENT)
        application = create_application(
            applicant, _form("长沙某某职业技术学院继续教育学院", NOTICE_UNIT, "430103")
        )
        submit_application(applicant, application)
        recommend_application(dept, application, "同意推荐")
        add_review(ADMIN, application, reviewer="刘教授", score=88, opinion="师资结构合理")
        record_site_visit(
            ADMIN, application, visited_on=date(2026, 3, 2), findings="场地设施齐备", passed=True
        )
        start_notice(ADMIN, application, days=7, start_date=local_today())
