"""Demo data: filed plans (their sessions follow in sessions/demo.py), one waiting for review."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.auth import Actor
from jxjd.common.demo import demo_step
from jxjd.extensions import db
from jxjd.plans.models import Plan
from jxjd.plans.services import create_plan, file_plan, review_plan, submit_plan

ADMIN = Actor(role="admin", name="省人社厅专技处（演示）", ref="demo")

DEMO_PLANS: list[dict[str, Any]] = [
    {
        "base": 0,
        "year": 2026,
        "items": [
            {
                "specialty": "电子信息",
                "title": "人工智能应用高级研修班",
                "category": "professional",
                "level": "senior",
                "audience": "public",
                "form": "in_person",
                "sessions": 2,
                "trainees": 200,
                "hours": Decimal(24),
            },
            {
                "specialty": "公需科目",
                "title": "专业技术人员职业道德与诚信建设",
                "category": "general",
                "level": "intermediate",
                "audience": "public",
                "form": "online",
                "sessions": 4,
                "trainees": 1200,
                "hours": Decimal(30),
            },
        ],
        "sessions": [
            (
                0,
                "人工智能应用高级研修班（第一期）",
                date(2026, 3, 9),
                date(2026, 3, 11),
                24,
                "长沙",
            ),
            (
                1,
                "专业技术人员职业道德与诚信建设（第一期）",
                date(2026, 5, 11),
                date(2026, 5, 15),
                30,
                "线上",
            ),
        ],
    },
    {
        "base": 1,
        "year": 2026,
        "items": [
            {
                "specialty": "土木建筑",
                "title": "装配式建筑施工技术研修班",
                "category": "professional",
                "level": "intermediate",
                "audience": "public",
                "form": "blended",
                "sessions": 2,
                "trainees": 300,
                "hours": Decimal(36),
            },
        ],
        "sessions": [
            (
                0,
                "装配式建筑施工技术研修班（第一期）",
                date(2026, 6, 1),
                date(2026, 6, 5),
                36,
                "长沙",
            ),
        ],
    },
]


def _base_actor(base) -> Actor:
    return Actor(role="base", name=base.name, ref="demo", base_id=base.id)


def _dept_actor(base) -> Actor:
    return Actor(role="dept", name=base.department, ref="demo", department=base.department)


@demo_step
def load_plans(ctx: dict[str, Any]) -> None:
    """Filed 2026 plans; a 2027 plan waiting for the department's review."""
    bases = ctx["bases"]
    for spec in DEMO_PLANS:
        base = bases[spec["base"]]
        if db.session.scalar(sa.select(Plan.id).where(Plan.base_id == base.id)) is not None:
            continue
        plan = create_plan(_base_actor(base), base, spec["year"], spec["items"])
        submit_plan(_base_actor(base), plan, today=date(spec["year"] - 1, 11, 20))
        review_plan(_dept_actor(base), plan, approve=True, comment="同意")
        file_plan(ADMIN, plan)
    waiting = bases[2]
    if db.session.scalar(sa.select(Plan.id).where(Plan.base_id == waiting.id)) is None:
        plan = create_plan(
            _base_actor(waiting),
            waiting,
            2027,
            [
                {
                    "specialty": "机械制造",
                    "title": "智能制造装备维护培训班",
                    "category": "professional",
                    "level": "intermediate",
                    "audience": "internal",
                    "form": "in_person",
                    "sessions": 3,
                    "trainees": 450,
                    "hours": Decimal(24),
                }
            ],
        )
        submit_plan(_base_actor(waiting), plan, today=date(2026, 11, 25))
