"""Demo data: rosters for the demo sessions, with their certificates."""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa

from jxjd.attendance.importing import rows_from_json
from jxjd.attendance.services import import_attendance
from jxjd.auth import Actor
from jxjd.common.demo import DEMO_LETTER_PERSON, DEMO_PERSON, DEMO_SMS_PERSON, demo_step
from jxjd.common.ids import id_check_char
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
    "建国",
    "志强",
    "海燕",
    "红梅",
    "晓东",
    "文博",
    "子涵",
]
EMPLOYERS = [
    "湖南某某建设集团有限公司",
    "长沙市第一中学",
    "湘潭市中心医院",
    "株洲某某电子科技有限公司",
    "湖南省某某设计研究院",
    "岳阳市某某水务有限公司",
]


def demo_people(count: int, seed: int) -> list[dict[str, Any]]:
    """Realistic, valid (and deterministic) trainees: names, Hunan ID numbers, employers."""
    rng = random.Random(seed)
    people = []
    for i in range(count):
        region = rng.choice(["430102", "430104", "430111", "430202", "430302", "430602"])
        birth = f"{rng.randint(1965, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first17 = f"{region}{birth}{rng.randint(0, 999):03d}"
        people.append(
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "id_number": first17 + id_check_char(first17),
                "employer": rng.choice(EMPLOYERS),
                "result": "fail" if i % 17 == 16 else "pass",
            }
        )
    return people


@demo_step
def load_rosters(ctx: dict[str, Any]) -> None:
    """Rosters for the demo sessions (idempotent uploads) and their certificates."""
    for index, session in enumerate(ctx.get("sessions") or _existing_sessions(ctx)):
        people = demo_people(40, seed=index)
        if index == 0:
            people[0] = {**DEMO_PERSON, "employer": "湖南某某建设集团有限公司"}
            people[1] = {**people[1], **DEMO_SMS_PERSON, "result": "pass"}
            people[2] = {**people[2], **DEMO_LETTER_PERSON, "result": "pass"}
        actor = Actor(role="base", name="演示基地", ref="demo", base_id=session.base_id)
        import_attendance(actor, session, rows_from_json(people), mode="strict")


def _existing_sessions(ctx: dict[str, Any]) -> list[TrainingSession]:
    base_ids = [b.id for b in ctx["bases"]]
    return list(
        db.session.scalars(
            sa.select(TrainingSession)
            .where(TrainingSession.base_id.in_(base_ids))
            .order_by(TrainingSession.id)
        )
    )
