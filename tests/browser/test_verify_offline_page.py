"""The offline verifier page (/verify/offline): WebCrypto against a cached JWKS, no requests."""

from __future__ import annotations

import json

import pytest

from tests.verify.support import PEOPLE, YEAR, issue_via_api, with_payload

pytestmark = pytest.mark.browser


@pytest.fixture
def certificate(client, create_base, create_filed_plan, base_headers):
    """A real certificate for 张三, issued by uploading the roster through the API."""
    base = create_base()
    plan = create_filed_plan(base, year=YEAR)
    return issue_via_api(client, base, base_headers(base), plan, PEOPLE[:1])[0]


def qr_text(app, cert: dict, token: str | None = None) -> str:
    return f"{app.config['JXJD_PUBLIC_URL']}/v/{cert['serial']}?t={token or cert['token']}"


def verdict_of(page, text: str) -> str:
    page.fill("#qr-text", text)
    page.click("#verify-button")
    page.wait_for_selector("#result:not([hidden])")
    return page.locator("#verdict-title").inner_text().strip()


def field(page, label: str) -> str:
    return page.locator(f"#fields dt:text-is('{label}') + dd").inner_text().strip()


def test_offline_page_verifies_without_any_request_after_loading(
    app, certificate, live_url, phone_page, artifacts
):
    requests: list[str] = []
    phone_page.on("request", lambda r: requests.append(r.url))
    response = phone_page.goto(live_url + "/verify/offline")
    assert response.status == 200
    assert phone_page.locator("html").get_attribute("lang") == "zh-CN"
    phone_page.wait_for_selector("#jwks-status[data-cached=yes]")
    assert any(url.endswith("/.well-known/jwks.json") for url in requests)
    assert "已保存签名公钥" in phone_page.locator("#jwks-status").inner_text()

    # From here on the network is gone: every request would be counted and refused.
    loaded = len(requests)
    blocked: list[str] = []
    phone_page.route("**/*", lambda route: (blocked.append(route.request.url), route.abort()))

    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书有效"
    assert field(phone_page, "姓名") == "张三"
    assert field(phone_page, "身份证号") == "430104********0015"
    assert field(phone_page, "学时") == "24"
    assert field(phone_page, "科目类别") == "专业科目"
    assert field(phone_page, "证书编号") == certificate["serial"]
    assert PEOPLE[0]["id_number"] not in phone_page.content()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone_page.screenshot(path=artifacts / "verify-offline-valid.png", full_page=True)

    forged = with_payload(certificate["token"], lambda p: p.update(hours=96))
    assert verdict_of(phone_page, qr_text(app, certificate, forged)) == "证书无效"
    assert phone_page.locator("#fields dt").count() == 0
    assert "签名校验未通过" in phone_page.locator("#verdict-reason").inner_text()
    phone_page.screenshot(path=artifacts / "verify-offline-invalid.png", full_page=True)

    # A bare token verifies too; another certificate's serial in the URL does not.
    assert verdict_of(phone_page, certificate["token"]) == "证书有效"
    swapped = f"{app.config['JXJD_PUBLIC_URL']}/v/AnotherSerial000000000?t={certificate['token']}"
    assert verdict_of(phone_page, swapped) == "证书无效"
    assert verdict_of(phone_page, "这不是二维码") == "证书无效"

    assert blocked == [] and len(requests) == loaded


def test_the_cached_jwks_is_reused_and_its_key_windows_apply(
    app, certificate, live_url, phone_page
):
    jwks_fetches: list[str] = []
    phone_page.on("request", lambda r: r.url.endswith("/jwks.json") and jwks_fetches.append(r.url))
    phone_page.goto(live_url + "/verify/offline")
    phone_page.wait_for_selector("#jwks-status[data-cached=yes]")
    phone_page.goto(live_url + "/verify/offline")  # a second visit: the saved keys are used
    phone_page.wait_for_selector("#jwks-status[data-cached=yes]")
    assert len(jwks_fetches) == 1

    def edit_saved_key(change: str) -> None:
        phone_page.evaluate(
            """change => {
                const saved = JSON.parse(localStorage.getItem("jxjd.offline.jwks"));
                saved.jwks.keys.forEach(k => Object.assign(k, JSON.parse(change)));
                localStorage.setItem("jxjd.offline.jwks", JSON.stringify(saved));
            }""",
            change,
        )

    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书有效"
    edit_saved_key(json.dumps({"compromised": True}))
    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书无效"
    assert "泄露" in phone_page.locator("#verdict-reason").inner_text()
    edit_saved_key(json.dumps({"compromised": False, "exp": 1_000_000_000}))  # retired in 2001
    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书无效"
    assert "停用" in phone_page.locator("#verdict-reason").inner_text()
    edit_saved_key(json.dumps({"exp": None, "nbf": 4_102_444_800}))  # in service from 2100
    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书无效"
    edit_saved_key(json.dumps({"kid": "kother"}))
    assert verdict_of(phone_page, qr_text(app, certificate)) == "证书无效"
    assert "不在已保存的公钥集中" in phone_page.locator("#verdict-reason").inner_text()


def test_offline_page_verifies_a_transcript(
    app, client, certificate, make_headers, live_url, phone_page
):
    person = PEOPLE[0]
    headers = make_headers("person", name=person["name"], id_number=person["id_number"])
    resp = client.post("/api/v1/me/transcripts", json={"from": YEAR, "to": YEAR}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    issued = resp.get_json()
    phone_page.goto(live_url + "/verify/offline")
    phone_page.wait_for_selector("#jwks-status[data-cached=yes]")
    phone_page.route("**/*", lambda route: route.abort())
    assert verdict_of(phone_page, issued["url"]) == "学时认定单有效"
    assert field(phone_page, "认定单编号") == issued["serial"]
    assert field(phone_page, "认定年度") == f"{YEAR}—{YEAR}"
    assert "专业科目 24 学时" in field(phone_page, f"{YEAR} 年度")
    assert "签发时的学时情况" in phone_page.locator("#result-note").inner_text()
    forged = with_payload(issued["token"], lambda p: p["years"][0].update(p=96))
    forged_url = issued["url"].split("?t=")[0] + "?t=" + forged
    # Nothing of an unverified token is shown, not even what kind of document it claims to be.
    assert verdict_of(phone_page, forged_url) == "证书无效"
    assert phone_page.locator("#fields dt").count() == 0
