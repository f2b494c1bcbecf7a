"""The demo data set's shared parts: the step registry and the people and units it uses.

Feature packages register their steps here (`demo_step`, in feature order); `flask demo`
(jxjd/demo.py) runs them. Pure data and a list: this module imports no feature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEMO_PASSWORD = "jxjd-demo-2026"

DEMO_BASES: list[dict[str, Any]] = [
    {
        "name": "湖南信息职业技术学院继续教育学院",
        "credit_code": "12430000444880411U",
        "department": "湖南省教育厅",
        "address": "长沙市望城区雷锋大道",
        "contact": {"name": "李敏", "phone": "0731-88010001", "email": "jxjy@hniu.example.cn"},
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
    },
    {
        "name": "湖南省建筑科学研究院培训中心",
        "credit_code": "12430000444880412Y",
        "department": "湖南省住房和城乡建设厅",
        "address": "长沙市岳麓区麓山南路",
        "contact": {"name": "周建华", "phone": "0731-88020002", "email": "px@hnjky.example.cn"},
        "specialties": [
            {
                "name": "土木建筑",
                "levels": ["senior", "intermediate", "junior"],
                "audiences": ["public"],
            },
        ],
    },
    {
        "name": "湘潭市专业技术人员继续教育中心",
        "credit_code": "12430000444880519A",
        "department": "湘潭市人力资源和社会保障局",
        "address": "湘潭市岳塘区",
        "contact": {"name": "彭丽", "phone": "0731-58030003", "email": "jxjy@xt.example.cn"},
        "specialties": [
            {
                "name": "机械制造",
                "levels": ["intermediate", "junior"],
                "audiences": ["public", "internal"],
            },
            {"name": "公需科目", "levels": ["intermediate", "junior"], "audiences": ["public"]},
        ],
    },
]

DEMO_PERSON = {"name": "张三", "id_number": "430104199003070015"}
# Newcomers without an account, to try both ways of opening one (CONTRACT §12): a mobile number
# on record for an SMS code (read from the outbox), and an activation letter printed by the demo.
DEMO_SMS_PERSON = {"name": "李四", "id_number": "430104198506150012", "phone": "13700001234"}
DEMO_LETTER_PERSON = {"name": "王芳", "id_number": "430102198809210024"}
DEMO_EMPLOYER_CREDIT_CODE = "91430100MA4L00001J"
DEMO_APPLICANT_CREDIT_CODE = "12430000MB1234567W"
DEMO_ROLES = ("admin", "dept", "base", "employer", "person", "applicant")
DEMO_NAMES = {
    "admin": "省人社厅专技处（演示）",
    "dept": "湖南省教育厅（演示）",
    "employer": "长沙某某科技有限公司（演示）",
    "applicant": "湖南某某学院（演示）",
}

# Later features append steps: each takes the context dict and may add to it.
DEMO_STEPS: list[Callable[[dict[str, Any]], None]] = []


def demo_step(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Register a step of the demo loader."""
    DEMO_STEPS.append(fn)
    return fn
