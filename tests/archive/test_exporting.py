"""The registration workbook's table (pandas) before openpyxl writes it."""

from __future__ import annotations

from datetime import date

from jxjd.archive.exporting import HEADER, entries_frame


def test_entries_get_chinese_labels_and_keep_their_hours_exact():
    entry = {
        "date": date(2025, 3, 3),
        "content": "=培训",
        "form": "in_person",
        "category": "professional",
        "hours": 24,
        "organiser": "甲基地",
        "result": "pass",
        "certificate_status": "revoked",
        "certificate_serial": "S1",
    }
    failed = {**entry, "hours": 1.5, "result": "fail", "certificate_status": None}
    frame = entries_frame([entry, {**failed, "certificate_serial": None}])
    assert list(frame.columns) == HEADER
    assert frame.iloc[0].tolist() == [
        "2025-03-03",
        "=培训",
        "面授",
        "专业科目",
        24,
        "甲基地",
        "合格（证书已撤销）",
        "S1",
    ]
    assert type(frame.iloc[0]["学时"]) is int and frame.iloc[1]["学时"] == 1.5
    assert (frame.iloc[1]["考核结果"], frame.iloc[1]["证书编号"]) == ("不合格", "")
    assert entries_frame([]).empty
