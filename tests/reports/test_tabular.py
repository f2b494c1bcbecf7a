"""reports.tabular: the report tables assembled with pandas, handed out as plain Python values."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.reports.tabular import ITEM_KEY, figures_frame, plan_rows


def _count_statements(run):
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        result = run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return result, statements


def test_figures_for_every_base_and_year_come_from_two_queries(report_data, create_base):
    idle = create_base(name="丙基地")
    ids = [report_data.base_a.id, report_data.base_b.id, idle.id]
    frame, statements = _count_statements(lambda: figures_frame(ids, [2026, 2027, 2028]))
    assert len(statements) == 2
    assert len(frame) == 9  # every (base, year), zeros where nothing happened
    a = frame.loc[(report_data.base_a.id, 2027)].to_dict()
    assert a == {
        "sessions": 3,
        "trainees": 5,
        "person_times": 6,
        "trainee_hours": Decimal("33.3"),
    }
    assert frame.loc[(report_data.base_a.id, 2028), "sessions"] == 1
    assert frame.loc[(idle.id, 2027)].to_dict() == {
        "sessions": 0,
        "trainees": 0,
        "person_times": 0,
        "trainee_hours": Decimal(0),
    }
    assert figures_frame([], [2027]).empty and figures_frame(ids, []).empty


def test_report_numbers_stay_json_integers(client, report_data, admin_headers):
    body = client.get("/api/v1/reports/2027", headers=admin_headers).json
    rows = {r["base_id"]: r for r in body["bases"]}
    b = rows[report_data.base_b.id]
    assert type(b["trainee_hours"]) is int and b["trainee_hours"] == 12  # not 12.0
    assert type(rows[report_data.base_a.id]["trainee_hours"]) is float
    assert all(type(b[k]) is int for k in ("base_id", "sessions", "trainees", "person_times"))
    assert type(b["meets_minimum_trainees"]) is bool
    report = client.get(
        f"/api/v1/bases/{report_data.base_b.id}/report?year=2027", headers=admin_headers
    ).json
    assert type(report["trainee_hours"]) is int
    for row in report["plan"]:
        assert type(row["plan_item_id"]) is int
        assert all(type(row[k]) is int for k in ("planned_sessions", "actual_sessions"))


def _item(item_id: int, title: str, sessions: int = 2, trainees: int = 40):
    key = {"specialty": "电子信息", "title": title, "category": "professional"}
    key |= {"level": "senior", "audience": "public"}
    return SimpleNamespace(id=item_id, sessions=sessions, trainees=trainees, **key)


def _delivered(*rows):
    columns = ["base_id", "year", *ITEM_KEY, "actual_sessions", "actual_trainees"]
    return [
        dict(
            zip(
                columns,
                (1, 2027, "电子信息", title, "professional", "senior", "public", s, t),
                strict=True,
            )
        )
        for title, s, t in rows
    ]


def test_plan_rows_list_items_in_plan_order_then_what_no_item_planned():
    items = [_item(7, "乙"), _item(8, "甲")]
    rows = plan_rows(items, _delivered(("甲", 1, 30), ("丙", 2, 5)))
    assert [(r["plan_item_id"], r["title"]) for r in rows] == [(7, "乙"), (8, "甲"), (None, "丙")]
    assert [(r["actual_sessions"], r["actual_trainees"]) for r in rows] == [(0, 0), (1, 30), (2, 5)]
    assert rows[2]["planned_sessions"] == 0 and rows[2]["planned_trainees"] == 0
    assert list(rows[0]) == [
        "plan_item_id",
        "title",
        "specialty",
        "planned_sessions",
        "actual_sessions",
        "planned_trainees",
        "actual_trainees",
    ]


def test_an_item_listed_twice_counts_what_was_delivered_once():
    rows = plan_rows([_item(1, "甲"), _item(2, "甲")], _delivered(("甲", 3, 60)))
    assert [(r["actual_sessions"], r["actual_trainees"]) for r in rows] == [(3, 60), (0, 0)]


def test_a_plan_with_nothing_delivered_has_zeros():
    rows = plan_rows([_item(1, "甲")], _delivered())
    assert [(r["plan_item_id"], r["actual_sessions"]) for r in rows] == [(1, 0)]
