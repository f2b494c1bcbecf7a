"""CONTRACT §13, certificates as PDF: one certificate and a whole session, through the API and
the pages, read back as a reader would (pages, text, embedded fonts, QR codes at 150 dpi)."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from tests.conftest import assert_problem
from tests.fixtures.attendance import roster_xlsx, trainee, trainees
from tests.printing import poppler

# Long enough that the signed payload is shortened to keep the QR text under 800 characters:
# the codes on these pages are as dense as any certificate's.
LONG_TITLE = (
    "湖南省二〇二六年度专业技术人员继续教育专业科目面授培训暨电子信息与人工智能应用能力提升"
    "高级研修班第一期（线上线下混合式教学，含实操考核与结业答辩环节）"
)
LONG_BASE = "湖南某某职业技术学院继续教育学院（长沙市岳麓区专业技术人员继续教育基地）"
AUTHORITY = "湖南省人力资源和社会保障厅"


@pytest.fixture
def printed(open_session, upload_roster, client, create_base):
    """printed(people=None, **session overrides) → (target, people, certificates as listed)."""

    def make(people=None, base=None, **overrides):
        target = open_session(base=base or create_base(name=LONG_BASE), **overrides)
        people = people or trainees(3)
        resp = upload_roster(target, roster_xlsx(people))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
        return target, people, listed.json["certificates"]

    return make


def assert_pdf_response(resp, *, filename: str, fallback: str) -> bytes:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote(filename)}" in disposition
    assert f'filename="{fallback}"' in disposition
    assert "no-store" in resp.headers["Cache-Control"]
    data = resp.get_data()
    assert data.startswith(b"%PDF-")
    return data


def assert_fonts_embedded(data: bytes) -> None:
    fonts = poppler.fonts(data)
    assert fonts, "the PDF has no fonts"
    assert all(f["emb"] == "yes" for f in fonts), fonts
    names = {f["name"].split("+", 1)[-1] for f in fonts}
    assert any(n.startswith("NotoSansCJKsc-Regular") for n in names), names
    assert any(n.startswith("NotoSerifCJKsc-Bold") for n in names), names


def assert_states_certificate(page_text: str, cert: dict, person: dict) -> None:
    """The page shows the certificate's signed fields, the issuer block and the masked ID only."""
    flat = page_text.replace("\n", "")
    for expected in ("继续教育培训证书", "电子培训证书", cert["name"], cert["serial"]):
        assert expected in page_text
    assert cert["id_masked"] == masked(person["id_number"])
    assert cert["id_masked"] in page_text
    assert person["id_number"] not in flat
    # Wrapped values: compare without line breaks.
    for expected in (cert["title"], cert["base"], AUTHORITY, "盖章处", "扫描二维码核验"):
        assert expected.replace("…", "") in flat
    assert "专业科目" in page_text and "高级" in page_text and "24" in page_text
    assert f"{cert['start_date']} 至 {cert['end_date']}" in page_text


# ---- one certificate ---------------------------------------------------------------------------


def test_certificate_pdf_is_one_a4_page_with_fonts_fields_and_a_qr_that_decodes(client, printed):
    person = trainee(name="欧阳娜娜")
    target, _, certs = printed([person], title=LONG_TITLE)
    cert = certs[0]
    assert 780 <= len(cert["verify_url"]) < 800  # as dense a code as a certificate gets
    resp = client.get(f"/api/v1/certificates/{cert['serial']}.pdf", headers=target.headers)
    data = assert_pdf_response(
        resp,
        filename=f"继续教育培训证书-{cert['serial']}.pdf",
        fallback=f"certificate-{cert['serial']}.pdf",
    )
    assert poppler.page_count(data) == 1
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert_fonts_embedded(data)
    text = poppler.text(data)
    assert_states_certificate(text, cert, person)
    assert "有效" in text and "已撤销" not in text
    assert poppler.qr_texts_per_page(data) == [[cert["verify_url"]]]


def test_owner_department_and_admin_read_the_pdf_others_do_not(
    client, printed, make_headers, dept_headers, admin_headers, base_headers, create_base
):
    person = trainee()
    target, _, certs = printed([person])
    url = f"/api/v1/certificates/{certs[0]['serial']}.pdf"
    owner = make_headers("person", name=person["name"], id_number=person["id_number"])
    for headers in (owner, dept_headers(), admin_headers, target.headers):
        assert client.get(url, headers=headers).status_code == 200
    stranger = trainee()
    other_person = make_headers("person", name=stranger["name"], id_number=stranger["id_number"])
    other_base = base_headers(create_base())
    for headers in (other_person, other_base, dept_headers("湖南省卫生健康委员会")):
        assert_problem(client.get(url, headers=headers), 403, "forbidden")
    assert_problem(client.get(url, headers=make_headers("employer")), 403, "forbidden")
    assert_problem(client.get(url), 401, "unauthorized")
    assert_problem(
        client.get("/api/v1/certificates/NoSuchSerial0000000000.pdf", headers=admin_headers),
        404,
        "not_found",
    )


def test_json_record_still_answers_beside_the_pdf_route(client, printed):
    target, _, certs = printed(trainees(1))
    serial = certs[0]["serial"]
    resp = client.get(f"/api/v1/certificates/{serial}", headers=target.headers)
    assert resp.status_code == 200 and resp.json["serial"] == serial


def test_revoked_certificate_pdf_says_so_with_the_reason(client, printed):
    person = trainee()
    target, _, certs = printed([person, trainee()])
    serial = certs[0]["serial"]
    reason = "学员身份信息登记有误，已更正后重新签发"
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke", json={"reason": reason}, headers=target.headers
    )
    assert resp.status_code == 200
    data = assert_pdf_response(
        client.get(f"/api/v1/certificates/{serial}.pdf", headers=target.headers),
        filename=f"继续教育培训证书-{serial}.pdf",
        fallback=f"certificate-{serial}.pdf",
    )
    text = poppler.text(data)
    flat = text.replace("\n", "")
    assert "已撤销" in text
    assert reason in flat
    assert f"本证书已于 {resp.json['revoked_at'][:10]} 撤销" in text
    assert_states_certificate(text, certs[0], person)
    # The code still leads to the verify page, which answers 证书已撤销.
    assert poppler.qr_texts_per_page(data) == [[certs[0]["verify_url"]]]
    # In the session's PDF too, and only on its page.
    pdf = client.get(f"/api/v1/sessions/{target.id}/certificates.pdf", headers=target.headers)
    roster = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers)
    order = [r["certificate"] for r in roster.json["records"]]
    revoked_page = order.index(serial) + 1
    for page in (1, 2):
        assert ("已撤销" in poppler.text(pdf.get_data(), page=page)) == (page == revoked_page)


# ---- a whole session ---------------------------------------------------------------------------


def masked(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def test_session_pdf_has_one_page_per_certificate_in_roster_order(client, printed):
    people = trainees(4)
    people[1] = {**people[1], "result": "不合格"}  # no certificate, no page
    target, _, certs = printed(people, title=LONG_TITLE)
    assert len(certs) == 3
    resp = client.get(f"/api/v1/sessions/{target.id}/certificates.pdf", headers=target.headers)
    title = target.session.title
    data = assert_pdf_response(
        resp,
        filename=f"{title[:60]}-证书.pdf",
        fallback=f"session-{target.id}-certificates.pdf",
    )
    assert poppler.page_count(data) == 3
    assert_fonts_embedded(data)
    # Roster order: the order the session's trainee list shows (page and API alike).
    roster = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers)
    order = [r["certificate"] for r in roster.json["records"] if r["certificate"]]
    by_serial = {c["serial"]: c for c in certs}
    person_of = {masked(p["id_number"]): p for p in people}
    for page, serial in enumerate(order, start=1):
        cert = by_serial[serial]
        assert_states_certificate(poppler.text(data, page=page), cert, person_of[cert["id_masked"]])
    # Every page's code decodes at 150 dpi, each to its own certificate, in roster order.
    expected = [[by_serial[serial]["verify_url"]] for serial in order]
    assert poppler.qr_texts_per_page(data) == expected
    assert all(780 <= len(urls[0]) < 800 for urls in expected)


def test_session_pdf_is_for_the_base_and_admin(
    client, printed, admin_headers, dept_headers, base_headers, create_base, make_headers
):
    person = trainee()
    target, _, _ = printed([person])
    url = f"/api/v1/sessions/{target.id}/certificates.pdf"
    assert client.get(url, headers=admin_headers).status_code == 200
    assert_problem(client.get(url, headers=base_headers(create_base())), 403, "forbidden")
    assert_problem(client.get(url, headers=dept_headers()), 403, "forbidden")
    owner = make_headers("person", name=person["name"], id_number=person["id_number"])
    assert_problem(client.get(url, headers=owner), 403, "forbidden")
    assert_problem(client.get(url), 401, "unauthorized")
    missing = f"/api/v1/sessions/{target.id + 1000}/certificates.pdf"
    assert_problem(client.get(missing, headers=admin_headers), 404, "not_found")


def test_session_without_certificates_has_nothing_to_print(client, open_session):
    target = open_session()
    resp = client.get(f"/api/v1/sessions/{target.id}/certificates.pdf", headers=target.headers)
    body = assert_problem(resp, 409, "no_certificates")
    assert "尚无已签发的证书" in body["detail"]


def test_large_session_comes_in_parts(client, printed, app, monkeypatch):
    monkeypatch.setitem(app.config, "JXJD_PDF_MAX_PAGES", 2)
    people = trainees(3)
    target, _, certs = printed(people)
    url = f"/api/v1/sessions/{target.id}/certificates.pdf"
    body = assert_problem(client.get(url, headers=target.headers), 422, "too_many_certificates")
    assert body["errors"][0]["field"] == "part"
    assert (
        "共 3 张证书" in body["errors"][0]["message"] and "分 2 次" in body["errors"][0]["message"]
    )
    first = client.get(f"{url}?part=1", headers=target.headers)
    second = client.get(f"{url}?part=2", headers=target.headers)
    title = target.session.title
    assert_pdf_response(
        first,
        filename=f"{title}-证书-第1部分.pdf",
        fallback=f"session-{target.id}-certificates-part1.pdf",
    )
    assert poppler.page_count(first.get_data()) == 2
    assert poppler.page_count(second.get_data()) == 1
    roster = client.get(f"/api/v1/sessions/{target.id}/attendance", headers=target.headers)
    last = next(c for c in certs if c["serial"] == roster.json["records"][-1]["certificate"])
    assert last["id_masked"] in poppler.text(second.get_data())
    for bad in ("3", "0", "abc", "1.5"):
        assert_problem(
            client.get(f"{url}?part={bad}", headers=target.headers), 422, "invalid_parameter"
        )
    assert len(certs) == 3


def test_missing_fonts_answer_503_with_a_problem(client, printed, app, monkeypatch, tmp_path):
    target, _, certs = printed(trainees(1))
    monkeypatch.setitem(app.config, "JXJD_CJK_FONT_DIR", str(tmp_path))
    resp = client.get(f"/api/v1/certificates/{certs[0]['serial']}.pdf", headers=target.headers)
    body = assert_problem(resp, 503, "pdf_font_missing")
    assert "fonts-noto-cjk" in body["detail"]


# ---- pages -------------------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, make_account, login):
    """signed_in(role, **scope) → the client, signed in with a new web account."""

    def make(role: str, **scope):
        username = f"pdf-{role}"
        make_account(role, username=username, **scope)
        assert login(client, username).status_code == 302
        return client

    return make


def test_session_page_links_the_class_pdf_and_the_link_works(client, printed, signed_in):
    target, _, certs = printed(trainees(2))
    signed_in("base", name=target.base.name, base_id=target.base.id)
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    href = f"/sessions/{target.id}/certificates.pdf"
    assert f'href="{href}"' in html and "打印本班全部证书（PDF）" in html
    resp = client.get(href)
    data = assert_pdf_response(
        resp,
        filename=f"{target.session.title}-证书.pdf",
        fallback=f"session-{target.id}-certificates.pdf",
    )
    assert poppler.page_count(data) == len(certs) == 2


def test_session_page_offers_parts_when_the_class_is_large(
    client, printed, signed_in, app, monkeypatch
):
    monkeypatch.setitem(app.config, "JXJD_PDF_MAX_PAGES", 2)
    target, _, _ = printed(trainees(3))
    signed_in("base", name=target.base.name, base_id=target.base.id)
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    for part in (1, 2):
        assert f'href="/sessions/{target.id}/certificates.pdf?part={part}"' in html
        assert f"第 {part}/2 部分" in html
    assert client.get(f"/sessions/{target.id}/certificates.pdf?part=2").status_code == 200


def test_department_sees_the_session_page_without_the_class_pdf(client, printed, signed_in):
    target, _, _ = printed(trainees(1))
    signed_in("dept", name=target.base.department, department=target.base.department)
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    assert "学员与证书" in html and "certificates.pdf" not in html
    assert client.get(f"/sessions/{target.id}/certificates.pdf").status_code == 403


def test_certificate_page_links_its_pdf(client, printed, signed_in):
    person = trainee()
    target, _, certs = printed([person])
    serial = certs[0]["serial"]
    signed_in("person", name=person["name"], id_number=person["id_number"])
    html = client.get(f"/certificates/{serial}").get_data(as_text=True)
    assert f'href="/certificates/{serial}.pdf"' in html and "下载PDF" in html
    data = assert_pdf_response(
        client.get(f"/certificates/{serial}.pdf"),
        filename=f"继续教育培训证书-{serial}.pdf",
        fallback=f"certificate-{serial}.pdf",
    )
    assert person["id_number"] not in poppler.text(data).replace("\n", "")


def test_pdf_pages_require_sign_in(client, printed):
    target, _, certs = printed(trainees(1))
    for url in (
        f"/certificates/{certs[0]['serial']}.pdf",
        f"/sessions/{target.id}/certificates.pdf",
    ):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
