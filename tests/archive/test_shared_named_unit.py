"""/shared tells the reader when they are not the unit the person named (CONTRACT §12)."""

from __future__ import annotations

from tests.fixtures.auth import csrf_token_from

NAMED = "湖南某某科技有限公司"


def open_on_the_page(client, code: str, unit: str) -> str:
    token = csrf_token_from(client.get("/shared").get_data(as_text=True))
    resp = client.post(
        "/shared",
        data={"code": code, "viewer_unit": unit, "viewer_name": "王五", "csrf_token": token},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def test_another_unit_is_warned_and_the_named_unit_is_not(client, earn, person_headers):
    earn(("430104199003070015", "张三"), "2025-06-03", "professional", 24)
    code = client.post(
        "/api/v1/me/grants",
        json={"employer_name": NAMED, "from": 2025, "to": 2025, "days": 30},
        headers=person_headers(),
    ).get_json()["code"]

    other = open_on_the_page(client, code, "长沙某某人力资源服务公司")
    assert 'id="not-named-unit"' in other and f"本人将此授权码授予“{NAMED}”" in other
    named = open_on_the_page(client, code, f" {NAMED} ")  # compared as the person's log does
    assert "授权年度 2025—2025" in named and 'id="not-named-unit"' not in named
