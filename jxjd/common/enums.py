"""The contract's enumerations (CONTRACT §1) with their Chinese labels."""

from __future__ import annotations

LEVELS = {"senior": "高级", "intermediate": "中级", "junior": "初级"}
AUDIENCES = {"public": "面向社会招生", "internal": "面向本系统、本单位招生"}
CATEGORIES = {"general": "公需科目", "professional": "专业科目"}
FORMS = {"in_person": "面授", "online": "网络/远程", "blended": "混合"}
BASE_STATUSES = {
    "applying": "申请中",
    "recognized": "已认定",
    "rectifying": "限期整改",
    "revoked": "已撤销",
    "barred": "弄虚作假不再受理",
}
PLAN_STATUSES = {
    "draft": "草稿",
    "submitted": "已提交",
    "reviewed": "已审核",
    "filed": "已备案",
    "returned": "退回",
}
CERTIFICATE_STATUSES = {"valid": "有效", "revoked": "已撤销"}
RESULTS = {"pass": "合格", "fail": "不合格"}

ALL_LABELS = {
    "level": LEVELS,
    "audience": AUDIENCES,
    "category": CATEGORIES,
    "form": FORMS,
    "base_status": BASE_STATUSES,
    "plan_status": PLAN_STATUSES,
    "certificate_status": CERTIFICATE_STATUSES,
    "result": RESULTS,
}


def label(kind: str, value: str | None) -> str:
    """The Chinese label of an enumeration value (the value itself when unknown)."""
    if value is None:
        return ""
    return ALL_LABELS.get(kind, {}).get(value, value)
