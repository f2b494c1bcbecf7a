"""Scan to verdict on a phone: a real certificate's QR code, decoded and opened in Chromium."""

from __future__ import annotations

import io
import os
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from tests.verify.support import FULL_IDS, PEOPLE, YEAR, issue_via_api, with_payload

pytestmark = pytest.mark.browser

if os.environ.get("JXJD_REQUIRE_BROWSER") == "1":
    from pyzbar import pyzbar
else:  # without libzbar0 (Debian) the scan cannot run: skip rather than fail to collect
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar needs libzbar0")


@pytest.fixture
def public_url_is_live(app, live_url):
    """QR codes point at the live server for this test (JXJD_PUBLIC_URL), then as before."""
    saved = app.config["JXJD_PUBLIC_URL"]
    app.config["JXJD_PUBLIC_URL"] = live_url
    yield live_url
    app.config["JXJD_PUBLIC_URL"] = saved


@pytest.fixture
def certificate(client, create_base, create_filed_plan, base_headers):
    """A real certificate for 张三, issued by uploading the roster through the API."""
    base = create_base()
    plan = create_filed_plan(base, year=YEAR)
    return issue_via_api(client, base, base_headers(base), plan, PEOPLE[:1])[0]


def scan(client, certificate) -> str:
    """The text of the certificate's QR code, read from the PNG by zbar."""
    resp = client.get(
        f"/api/v1/certificates/{certificate['serial']}/qr.png", headers=certificate["headers"]
    )
    assert resp.status_code == 200
    assert resp.mimetype == "image/png"
    with Image.open(io.BytesIO(resp.data)) as image:
        symbols = pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])
    assert len(symbols) == 1
    return symbols[0].data.decode("utf-8")


def verdict(page) -> str:
    return page.locator(".verdict h1").inner_text().strip()


def field(page, label: str) -> str:
    return page.locator(f"dl.fields dt:text-is('{label}') + dd").inner_text().strip()


def fits_the_phone(page) -> bool:
    """No sideways scrolling at the phone's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def no_full_id(page) -> None:
    html = page.content()
    for full in FULL_IDS:
        assert full not in html


def test_scanned_certificate_on_a_phone_valid_tampered_revoked(
    client, certificate, public_url_is_live, phone_page, artifacts
):
    url = scan(client, certificate)
    parts = urlsplit(url)
    assert url.startswith(f"{public_url_is_live}/v/{certificate['serial']}?t=")
    token = parse_qs(parts.query)["t"][0]
    assert token == certificate["token"]

    # Valid: the big green verdict and every signed field, the ID masked.
    response = phone_page.goto(url)
    assert response.status == 200
    assert phone_page.locator("html").get_attribute("lang") == "zh-CN"
    assert verdict(phone_page) == "证书有效"
    assert field(phone_page, "姓名") == "张三"
    assert field(phone_page, "身份证号") == "430104********0015"
    assert field(phone_page, "科目类别") == "专业科目"
    assert field(phone_page, "学时") == "24"
    assert field(phone_page, "证书编号") == certificate["serial"]
    assert certificate["kid"] in field(phone_page, "签名密钥")
    green = phone_page.locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert green == "rgb(22, 121, 76)"
    assert fits_the_phone(phone_page)
    no_full_id(phone_page)
    phone_page.screenshot(path=artifacts / "verify-valid-phone.png", full_page=True)

    # Tampered: one signed field changed in the URL → invalid, nothing from the token shown.
    forged = with_payload(token, lambda p: p.update(name="王五", hours=96))
    phone_page.goto(f"{public_url_is_live}/v/{certificate['serial']}?t={forged}")
    assert verdict(phone_page) == "证书无效"
    body = phone_page.locator("body").inner_text()
    assert "王五" not in body and "张三" not in body
    assert phone_page.locator("dl.fields").count() == 0
    assert fits_the_phone(phone_page)
    phone_page.screenshot(path=artifacts / "verify-invalid-phone.png", full_page=True)

    # Revoked through the API, then the holder's phone reloads the scanned URL.
    resp = client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "培训记录不实，证书作废"},
        headers=certificate["headers"],
    )
    assert resp.status_code == 200
    phone_page.goto(url)
    phone_page.reload()
    assert verdict(phone_page) == "证书已撤销"
    assert "培训记录不实，证书作废" in phone_page.locator(".verdict").inner_text()
    assert field(phone_page, "姓名") == "张三"
    red = phone_page.locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(185, 28, 28)"
    assert fits_the_phone(phone_page)
    no_full_id(phone_page)
    phone_page.screenshot(path=artifacts / "verify-revoked-phone.png", full_page=True)


def test_home_page_form_verifies_by_serial(client, certificate, live_url, phone_page, artifacts):
    phone_page.goto(live_url + "/")
    phone_page.fill("input[name=serial]", certificate["serial"])
    phone_page.click("form.verify-form button[type=submit]")
    phone_page.wait_for_url(f"**/v/{certificate['serial']}")
    assert verdict(phone_page) == "证书有效"
    assert field(phone_page, "姓名") == "张三"
    assert fits_the_phone(phone_page)

    phone_page.goto(live_url + "/")
    phone_page.fill("input[name=serial]", "NoSuchCertificate00000")
    phone_page.click("form.verify-form button[type=submit]")
    phone_page.wait_for_url("**/v/NoSuchCertificate00000")
    assert verdict(phone_page) == "未查到证书"
    assert "请核对证书编号" in phone_page.content()
    phone_page.screenshot(path=artifacts / "verify-not-found-phone.png", full_page=True)
