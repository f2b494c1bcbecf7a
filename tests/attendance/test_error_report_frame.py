"""The error report's table (pandas) before openpyxl writes it."""

from __future__ import annotations

from jxjd.attendance.importing import (
    COLUMNS,
    ERROR_COLUMN,
    ROW_COLUMN,
    RawRow,
    error_report_frame,
)


def test_each_row_carries_its_errors_without_the_row_prefix():
    raw = [
        RawRow(2, {"name": "王伟", "id_number": "430104199003070015", "extra": "x"}),
        RawRow(3, {"name": "=SUM(A1)", "hours": 24}),
        RawRow(None, {"name": "李芳"}),
    ]
    errors = [
        {"row": 3, "message": "第3行（=SUM(A1)）：学时超过班次学时"},
        {"row": 3, "message": "第3行：考核结果无法识别"},
        {"row": None, "message": "整份名单的错误"},
        {"row": 9, "message": "第9行：不在文件中"},
    ]
    frame = error_report_frame(raw, errors)
    assert list(frame.columns) == [ROW_COLUMN, *COLUMNS, ERROR_COLUMN]
    assert frame[ERROR_COLUMN].tolist() == ["", "学时超过班次学时；考核结果无法识别", ""]
    assert frame[ROW_COLUMN].tolist() == [2, 3, None]
    assert frame["name"].tolist() == ["王伟", "=SUM(A1)", "李芳"]
    assert "extra" not in frame.columns


def test_an_empty_roster_gives_an_empty_table():
    frame = error_report_frame([], [{"row": 1, "message": "x"}])
    assert frame.empty and list(frame.columns)[0] == ROW_COLUMN
