"""Plan vs actual stays whole after a plan's next version is filed."""

from __future__ import annotations

from tests.fixtures.plans import general_item_payload, item_payload


def test_sessions_under_an_earlier_version_count_towards_the_matching_current_item(
    client, create_base, create_filed_plan, create_session, admin_headers
):
    base = create_base()
    v1 = create_filed_plan(base, items=[item_payload(sessions=2)])
    create_session(base, v1.items[0])
    v2 = create_filed_plan(
        base, items=[item_payload(sessions=3), general_item_payload(title="新增公需课")]
    )
    create_session(base, v2.items[0])

    report = client.get(f"/api/v1/bases/{base.id}/report?year=2027", headers=admin_headers).json

    assert report["sessions"] == 2
    rows = {row["title"]: row for row in report["plan"]}
    assert rows["人工智能应用高级研修班"]["plan_item_id"] == v2.items[0].id
    assert rows["人工智能应用高级研修班"]["planned_sessions"] == 3
    assert rows["人工智能应用高级研修班"]["actual_sessions"] == 2
    assert rows["新增公需课"]["actual_sessions"] == 0


def test_sessions_of_an_item_dropped_from_the_new_version_are_listed_unplanned(
    client, create_base, create_filed_plan, create_session, admin_headers
):
    base = create_base()
    v1 = create_filed_plan(base, items=[item_payload(), general_item_payload()])
    create_session(base, v1.items[1])
    create_filed_plan(base, items=[item_payload()])

    report = client.get(f"/api/v1/bases/{base.id}/report?year=2027", headers=admin_headers).json

    dropped = [row for row in report["plan"] if row["plan_item_id"] is None]
    assert len(dropped) == 1
    assert dropped[0]["title"] == "专业技术人员职业道德与诚信建设"
    assert dropped[0]["planned_sessions"] == 0 and dropped[0]["actual_sessions"] == 1
