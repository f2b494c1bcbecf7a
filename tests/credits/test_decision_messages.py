"""The reviewer's message after a decision names whose credit, which one and what it counts."""

from __future__ import annotations

import re

from tests.credits.conftest import credit_body
from tests.fixtures.auth import csrf_token_from


def test_approving_and_rejecting_name_the_person_the_credit_and_the_hours(
    client, admin_headers, make_account, login, trained
):
    person, _ = trained(department="湖南省教育厅")
    ids = [
        client.post(
            "/api/v1/credits", json=credit_body(person, title=title), headers=admin_headers
        ).get_json()["id"]
        for title in ("人工智能在基层医疗中的应用", "重复投稿的论文")
    ]
    make_account("dept", username="reviewer", department="湖南省教育厅")
    assert login(client, "reviewer").status_code == 302

    def decide(credit_id: int, decision: str) -> str:
        token = csrf_token_from(client.get("/credits/queue").get_data(as_text=True))
        resp = client.post(
            f"/credits/{credit_id}/decision",
            data={"csrf_token": token, "decision": decision, "opinion": "核实"},
            follow_redirects=True,
        )
        return re.search(r'flash success">([^<]*)', resp.get_data(as_text=True)).group(1)

    name = person["name"]
    assert (
        decide(ids[0], "approve")
        == f"已认定{name}的“人工智能在基层医疗中的应用”：2026 年度计 20 学时"
    )
    assert decide(ids[1], "reject") == f"已不予认定{name}的“重复投稿的论文”，本人可看到审核意见"


def test_a_claim_names_what_was_claimed_and_its_hours(client, make_account, login, trained):
    import io

    from tests.credits.conftest import png_bytes

    person, _ = trained(department="湖南省教育厅")
    make_account("person", username="me", id_number=person["id_number"], name=person["name"])
    assert login(client, "me").status_code == 302
    form = {
        "csrf_token": csrf_token_from(client.get("/me/credits").get_data(as_text=True)),
        "id_number": person["id_number"],
        "form": "conference",
        "year": "2026",
        "quantity": "1",
        "title": "全省卫生学术年会",
        "provider": "湖南省医学会",
        "start_date": "2026-09-01",
        "end_date": "2026-09-01",
        "evidence": (io.BytesIO(png_bytes()), "photo.png"),
    }
    resp = client.post(
        "/me/credits", data=form, content_type="multipart/form-data", follow_redirects=True
    )
    message = re.search(r'flash success">([^<]*)', resp.get_data(as_text=True)).group(1)
    assert re.fullmatch(
        r"“全省卫生学术年会”（2026 年度 \d+ 学时）的学时认定申报已提交，等待审核", message
    )
