"""GET /v/{serial}?t=...: the phone page, the home page form, GET /verify?serial=..."""

from __future__ import annotations

import re

from tests.verify.support import FULL_IDS, with_payload


def page(client, serial: str, token: str | None = None) -> str:
    resp = client.get(f"/v/{serial}", query_string={"t": token} if token else None)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for full in FULL_IDS:
        assert full not in html
    return html


def verdict(html: str) -> str:
    match = re.search(r'data-result="(\w+)"[^>]*>.*?<h1>([^<]+)</h1>', html, re.S)
    assert match, html
    return match.group(2)


def test_scanned_valid_certificate_page_shows_every_signed_field(client, certificate):
    resp = client.get(f"/v/{certificate['serial']}", query_string={"t": certificate["token"]})
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html
    assert verdict(html) == "证书有效"
    for label, value in [
        ("姓名", "张三"),
        ("身份证号", "430104********0015"),
        ("培训项目", certificate["title"]),
        ("举办基地", certificate["base"]),
        ("科目类别", "专业科目"),
        ("学时", "24"),
        ("培训日期", "2026-03-01 至 2026-03-03"),
        ("证书状态", "有效"),
        ("证书编号", certificate["serial"]),
        ("签名密钥", certificate["kid"]),
    ]:
        assert re.search(rf"<dt>{label}</dt><dd[^>]*>(<span[^>]*>)?{re.escape(value)}", html), label
    assert re.search(r"<dt>签发时间</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d</dd>", html)
    assert "430104199003070015" not in html


def test_page_without_token_verifies_by_serial(client, certificate):
    html = page(client, certificate["serial"])
    assert verdict(html) == "证书有效"
    assert "张三" in html


def test_revoked_certificate_page_shows_reason_and_date(client, certificate):
    client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "培训记录不实"},
        headers=certificate["headers"],
    )
    html = page(client, certificate["serial"], certificate["token"])
    assert verdict(html) == "证书已撤销"
    assert "撤销原因：培训记录不实" in html
    assert re.search(r"撤销日期：\d{4}-\d\d-\d\d<", html)
    assert "已撤销" in html and "张三" in html


def test_tampered_token_page_is_invalid_with_no_certificate_data(client, certificate):
    forged = with_payload(certificate["token"], lambda p: p.update(name="王五"))
    html = page(client, certificate["serial"], forged)
    assert verdict(html) == "证书无效"
    assert "签名校验未通过" in html
    for leaked in ("王五", "张三", "430104********0015", certificate["title"], "<dt>姓名</dt>"):
        assert leaked not in html


def test_token_for_another_serial_page_is_invalid(client, issue_certificates):
    first, second = issue_certificates()
    html = page(client, second["serial"], first["token"])
    assert verdict(html) == "证书无效"
    assert "张三" not in html and "李四" not in html


def test_unknown_serial_page_is_not_found_and_offers_the_form(client):
    html = page(client, "AAAAAAAAAAAAAAAAAAAAAA")
    # CONTRACT §13 amends §7: an unknown serial is 未查到证书, never 证书无效 (a typo is no forgery).
    assert verdict(html) == "未查到证书"
    assert "证书无效" not in html and "请核对证书编号" in html
    assert 'name="serial"' in html and 'value="AAAAAAAAAAAAAAAAAAAAAA"' in html  # kept
    assert "核验机构：湖南省人力资源和社会保障厅" in html and "核验时间：" in html


def test_new_serials_are_crockford_and_found_in_any_case_with_hyphens(client, certificate):
    from jxjd.common.crockford import ALPHABET, group

    serial = certificate["serial"]
    assert len(serial) == 26 and set(serial) <= set(ALPHABET)
    typed = group(serial.lower(), 4).replace("-", " - ", 1)
    assert verdict(page(client, typed)) == "证书有效"
    api = client.get("/api/v1/verify", query_string={"serial": serial.lower()}).get_json()
    assert api["result"] == "valid" and api["certificate"]["serial"] == serial
    # One character off is not found (and never "invalid").
    wrong = serial[:-1] + ("0" if serial[-1] != "0" else "1")
    assert verdict(page(client, wrong)) == "未查到证书"


def test_home_page_has_the_verify_by_serial_form(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/verify"' in html
    assert 'name="serial"' in html


def test_verify_form_redirects_to_the_certificate_page(client, certificate):
    resp = client.get("/verify", query_string={"serial": f" {certificate['serial']} "})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/v/{certificate['serial']}"
    html = client.get(
        "/verify", query_string={"serial": certificate["serial"]}, follow_redirects=True
    )
    assert verdict(html.get_data(as_text=True)) == "证书有效"


def test_verify_form_without_serial_shows_the_form(client):
    resp = client.get("/verify")
    assert resp.status_code == 200
    assert 'name="serial"' in resp.get_data(as_text=True)
