"""Every enumeration with its Chinese labels, in one place (CONTRACT §1 and the domain's).

Templates call label(kind, value); exports and messages use the dicts. Pure Python.
"""

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
ROLES = {
    "admin": "省人社厅",
    "dept": "主管部门",
    "base": "继续教育基地",
    "employer": "用人单位",
    "person": "专业技术人员",
    "applicant": "申报单位",
}
SPOT_CHECK_OUTCOMES = {
    "pending": "待检查",
    "pass": "合格",
    "issues": "发现问题，限期整改",
    "fail": "不合格",
}
# The six items of a base evaluation's score sheet (第二十一条).
SCORE_ITEMS = {
    "teachers": "师资队伍建设",
    "funds": "培训经费使用",
    "facilities": "设施配套",
    "rules": "制度执行",
    "tasks": "继续教育任务完成",
    "effect": "培训效果及后续跟踪",
}
EVALUATION_OUTCOMES = {
    "excellent": "优秀",
    "pass": "合格",
    "rectify": "限期整改",
    "revoke": "撤销资格",
}
# open: figures gathered, nobody scored yet; scored: at least one score sheet; rectifying: told
# to rectify by a deadline, a follow-up outcome (pass or revoke) is due; decided: final.
EVALUATION_STATUSES = {
    "open": "待评分",
    "scored": "已评分",
    "rectifying": "限期整改中",
    "decided": "已结论",
}
APPLICATION_STATUSES = {
    "draft": "草稿",
    "submitted": "已提交",
    "recommended": "主管部门已推荐",
    "under_review": "评审中",
    "on_notice": "公示中",
    "recognized": "已认定",
    "rejected": "未通过",
}
CHANGE_STATUSES = {"pending": "待备案", "accepted": "已备案", "rejected": "不予备案"}
EDUCATIONS = {
    "doctorate": "博士",
    "master": "硕士",
    "bachelor": "本科",
    "associate": "大专",
    "other": "其他",
}
TITLES = {
    "senior": "正高",
    "associate_senior": "副高",
    "intermediate": "中级",
    "junior": "初级",
    "none": "无",
}

# The checks a new session passes (CONTRACT §5), in contract order, named for the page.
SESSION_CHECKS = {
    "base_not_active": "基地处于可开展培训的状态",
    "specialty_not_recognized": "专业在认定范围内",
    "level_not_recognized": "培训层次在认定范围内",
    "audience_not_recognized": "培训对象在认定范围内",
    "plan_not_filed": "当年度培训计划已备案",
    "not_in_plan": "班次属于已备案计划中的培训项目",
    "invalid_dates": "培训日期有效",
    "invalid_hours": "学时有效且不超过每天上限",
}

# Every enumeration by the kind templates, exports and messages name it: label(kind, value).
ALL_LABELS = {
    "level": LEVELS,
    "audience": AUDIENCES,
    "category": CATEGORIES,
    "form": FORMS,
    "base_status": BASE_STATUSES,
    "plan_status": PLAN_STATUSES,
    "certificate_status": CERTIFICATE_STATUSES,
    "result": RESULTS,
    "role": ROLES,
    "spot_check_outcome": SPOT_CHECK_OUTCOMES,
    "score_item": SCORE_ITEMS,
    "evaluation_outcome": EVALUATION_OUTCOMES,
    "evaluation_status": EVALUATION_STATUSES,
    "application_status": APPLICATION_STATUSES,
    "change_status": CHANGE_STATUSES,
    "education": EDUCATIONS,
    "title": TITLES,
    "session_check": SESSION_CHECKS,
}


def label(kind: str, value: str | None) -> str:
    """The Chinese label of an enumeration value (the value itself when unknown)."""
    if value is None:
        return ""
    return ALL_LABELS.get(kind, {}).get(value, value)
