"""Messages after a workflow step on the pages name the application and what was done."""

from __future__ import annotations

import re

from tests.fixtures.auth import csrf_token_from


def test_a_recommendation_names_the_unit_and_the_next_step(
    client, make_account, login, create_application
):
    application = create_application("submitted", unit_name="湖南某某理工学院")
    make_account("dept", username="jyt", name="湖南省教育厅", department="hn-edu")
    assert login(client, "jyt").status_code == 302
    page = f"/applications/{application.id}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    resp = client.post(
        f"{page}/recommend",
        data={"opinion": "同意推荐", "csrf_token": token},
        follow_redirects=True,
    )
    message = re.search(r'flash success">([^<]*)', resp.get_data(as_text=True)).group(1)
    assert message == "“湖南某某理工学院”的申请已由主管部门推荐，等待省人社厅评审"
