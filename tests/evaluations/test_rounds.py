"""Opening a three-yearly round: who is due, and the figures gathered equal hand-counted ones."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from jxjd.audit.services import events_for
from jxjd.reports.services import plan_vs_actual, year_figures
from tests.conftest import assert_problem

EXPECTED_A_YEARS = [
    {
        "year": 2024,
        "sessions": 1,
        "trainees": 3,
        "person_times": 3,
        "trainee_hours": 48,  # P1, P2 24 each; P3 failed: 0
        "min_trainees": 1000,
        "meets_minimum_trainees": False,
        "planned_sessions": 4,
        "actual_sessions": 1,
        "planned_trainees": 400,
        "actual_trainees": 3,
    },
    {
        "year": 2025,
        "sessions": 0,
        "trainees": 0,
        "person_times": 0,
        "trainee_hours": 0,
        "min_trainees": 1000,
        "meets_minimum_trainees": False,
        "planned_sessions": 0,
        "actual_sessions": 0,
        "planned_trainees": 0,
        "actual_trainees": 0,
    },
    {
        "year": 2026,
        "sessions": 2,
        "trainees": 3,  # P4, P5, P6
        "person_times": 4,
        "trainee_hours": 72,  # 4 × 24 less P6's revoked 24
        "min_trainees": 3,
        "meets_minimum_trainees": True,
        "planned_sessions": 2,
        "actual_sessions": 2,
        "planned_trainees": 100,
        "actual_trainees": 3,
    },
]


def evaluation_of(round_body, base):
    return next(e for e in round_body["evaluations"] if e["base"]["id"] == base.id)


def test_round_covers_only_bases_recognized_three_years_before(
    client, data_set, open_round, admin_headers
):
    body = open_round(name="2026 年度评估")
    assert body["year"] == 2026 and body["name"] == "2026 年度评估"
    assert body["years"] == [2024, 2025, 2026]
    ids = [e["base"]["id"] for e in body["evaluations"]]
    assert ids == [data_set.a.id, data_set.b.id]  # not the young one, not the revoked one
    assert all(e["status"] == "open" and e["outcome"] is None for e in body["evaluations"])
    (event,) = events_for("evaluation_round", body["id"])
    assert event.action == "evaluation.round_open" and event.summary["base_ids"] == ids
    again = client.get(f"/api/v1/evaluation-rounds/{body['id']}", headers=admin_headers)
    assert again.status_code == 200 and again.get_json() == body


def test_gathered_figures_equal_the_hand_counted_ones(client, data_set, open_round):
    figures = evaluation_of(open_round(), data_set.a)["figures"]
    assert figures["years"] == EXPECTED_A_YEARS
    assert figures["totals"] == {
        "sessions": 3,
        "person_times": 7,
        "planned_sessions": 6,
        "actual_sessions": 3,
        "planned_trainees": 500,
        "actual_trainees": 6,
        "trainee_hours": 120,
        "years_meeting_minimum": 1,
    }
    assert figures["certificates"] == {"issued": 6, "revoked": 1}
    assert figures["spot_checks"] == {"pending": 1, "pass": 0, "issues": 1, "fail": 0}
    assert figures["feedback"] == {"count": 2, "average": 4.5}  # the 2023 rating is outside


def test_gathered_figures_agree_with_the_report_services(client, data_set, open_round):
    figures = evaluation_of(open_round(), data_set.a)["figures"]
    for row in figures["years"]:
        f = year_figures([data_set.a.id], row["year"])[data_set.a.id]
        assert (row["sessions"], row["trainees"], row["person_times"]) == (
            f.sessions,
            f.trainees,
            f.person_times,
        )
        items = plan_vs_actual(data_set.a, row["year"])
        for key in ("planned_sessions", "actual_sessions", "planned_trainees", "actual_trainees"):
            assert row[key] == sum(i[key] for i in items)


def test_a_base_with_no_activity_has_zero_figures(client, data_set, open_round):
    figures = evaluation_of(open_round(), data_set.b)["figures"]
    assert [y["sessions"] for y in figures["years"]] == [0, 0, 0]
    assert figures["certificates"] == {"issued": 0, "revoked": 0}
    assert figures["feedback"] == {"count": 0, "average": None}


def test_figures_are_a_snapshot(client, data_set, open_round, admin_headers, create_session):
    body = open_round()
    create_session(data_set.a, data_set.sessions["s2"].plan_item, start_date="2026-09-01",
                   end_date="2026-09-03")  # fmt: skip
    again = client.get(f"/api/v1/evaluation-rounds/{body['id']}", headers=admin_headers)
    assert evaluation_of(again.get_json(), data_set.a)["figures"]["years"][2]["sessions"] == 2


def test_a_second_round_for_the_same_year_is_a_conflict(
    client, data_set, open_round, admin_headers
):
    open_round()
    resp = client.post("/api/v1/evaluation-rounds", json={"year": 2026}, headers=admin_headers)
    assert_problem(resp, 409, "round_exists")


def test_round_input_is_checked(client, admin_headers):
    url = "/api/v1/evaluation-rounds"
    assert_problem(client.post(url, json={}, headers=admin_headers), 422, "required")
    assert_problem(client.post(url, json={"year": "2026"}, headers=admin_headers), 422)
    assert_problem(client.post(url, json={"year": 1900}, headers=admin_headers), 422)
    assert_problem(client.get(f"{url}/12345", headers=admin_headers), 404)


def test_only_admin_opens_rounds(client, data_set, make_headers, dept_headers, base_headers):
    url = "/api/v1/evaluation-rounds"
    for headers in (dept_headers(), base_headers(data_set.a), make_headers("employer")):
        assert_problem(client.post(url, json={"year": 2026}, headers=headers), 403, "forbidden")
    assert_problem(client.post(url, json={"year": 2026}), 401)


def test_a_department_sees_only_its_own_bases(client, create_base, open_round, dept_headers):
    from datetime import date

    mine = create_base(name="教育厅基地", recognized_on=date(2020, 1, 1))
    create_base(
        name="卫健委基地", department="湖南省卫生健康委员会", recognized_on=date(2020, 1, 1)
    )
    body = open_round()
    assert len(body["evaluations"]) == 2
    seen = client.get(f"/api/v1/evaluation-rounds/{body['id']}", headers=dept_headers())
    assert [e["base"]["id"] for e in seen.get_json()["evaluations"]] == [mine.id]


def test_the_round_exports_to_xlsx(client, data_set, open_round, admin_headers, dept_headers):
    body = open_round()
    resp = client.get(f"/api/v1/evaluation-rounds/{body['id']}.xlsx", headers=admin_headers)
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[1]
    assert headers[:2] == ("基地编号", "基地名称")
    assert "2024年培训班次" in headers and "撤销证书" in headers and "评估结论" in headers
    data = {r[0]: dict(zip(headers, r, strict=True)) for r in rows[2:]}
    assert set(data) == {data_set.a.id, data_set.b.id}
    a = data[data_set.a.id]
    assert a["基地名称"] == "甲基地"
    assert (a["2024年培训人数"], a["2026年培训班次"], a["撤销证书"]) == (3, 2, 1)
    assert a["学员平均评分"] == 4.5 and a["抽查有问题"] == 1
    assert_problem(client.get(f"/api/v1/evaluation-rounds/{body['id']}.xlsx", headers={}), 401)


def test_the_admin_page_lists_the_round(client, data_set, open_round, make_account, login):
    body = open_round()
    make_account("admin", username="ting")
    login(client, "ting")
    index = client.get("/evaluations").get_data(as_text=True)
    assert body["name"] in index
    page = client.get(f"/evaluations/rounds/{body['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "甲基地" in html and "乙基地" in html and "丙基地" not in html
    assert client.get(f"/evaluations/rounds/{body['id']}.xlsx").status_code == 200


def test_a_refiled_plan_counts_sessions_of_every_version_like_the_report(
    client, data_set, open_round, create_filed_plan, create_session
):
    from tests.fixtures.plans import item_payload

    v2 = create_filed_plan(data_set.a, year=2026, items=[item_payload(sessions=3, trainees=150)])
    create_session(data_set.a, v2.items[0], start_date="2026-09-01", end_date="2026-09-03")
    row = evaluation_of(open_round(), data_set.a)["figures"]["years"][2]
    assert (row["planned_sessions"], row["planned_trainees"]) == (3, 150)
    assert (row["actual_sessions"], row["actual_trainees"]) == (3, 3)
    items = plan_vs_actual(data_set.a, 2026)
    for key in ("planned_sessions", "actual_sessions", "planned_trainees", "actual_trainees"):
        assert row[key] == sum(i[key] for i in items)
