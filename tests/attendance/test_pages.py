"""The session page: a base's web account uploads a roster through the form and sees the result;
the printable certificate page."""

from __future__ import annotations

import base64
import io
import re

import pytest

from tests.fixtures.attendance import roster_xlsx, trainee, trainees
from tests.fixtures.auth import csrf_token_from


@pytest.fixture
def base_page(client, make_account, login, open_session):
    """base_page() → (signed-in client, OpenSession) for a base's web account."""

    def make():
        target = open_session()
        make_account("base", username="page-base", name=target.base.name, base_id=target.base.id)
        assert login(client, "page-base").status_code == 302
        return client, target

    return make


def _post_roster(client, target, data: bytes, filename: str = "名单.xlsx", mode: str = "strict"):
    page = client.get(f"/sessions/{target.id}")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        f"/sessions/{target.id}",
        data={"csrf_token": token, "mode": mode, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_session_page_requires_sign_in(client, open_session):
    target = open_session()
    resp = client.get(f"/sessions/{target.id}")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


def test_base_uploads_a_roster_through_the_form_and_sees_the_counts(base_page):
    client, target = base_page()
    people = trainees(3)
    resp = _post_roster(client, target, roster_xlsx(people))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "上传结果" in html
    assert "收到 <strong>3</strong> 行" in html
    assert "新记录 <strong>3</strong> 条" in html
    assert "签发证书 <strong>3</strong> 张" in html
    for person in people:
        assert person["name"] in html
        assert person["id_number"] not in html
        assert person["id_number"][:6] + "********" + person["id_number"][-4:] in html


def test_form_upload_without_csrf_token_is_refused(base_page):
    client, target = base_page()
    resp = client.post(
        f"/sessions/{target.id}",
        data={"mode": "strict", "file": (io.BytesIO(roster_xlsx(trainees(1))), "名单.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code in (400, 403)
    assert "上传结果" not in resp.get_data(as_text=True)


def test_bad_roster_shows_rejected_rows_in_chinese_with_an_error_report(base_page):
    from openpyxl import load_workbook

    client, target = base_page()
    people = [trainee(), trainee(name=""), trainee(hours="很多")]
    resp = _post_roster(client, target, roster_xlsx(people))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "未通过检查的行" in html
    assert "姓名不能为空" in html
    assert "学时“很多”无效" in html
    assert "整份名单未保存" in html
    # Columns are shown by their Chinese names.
    assert ">id_number<" not in html and ">hours<" not in html
    match = re.search(r'href="data:([^;]+);base64,([^"]+)"', html)
    assert match, "no error report link"
    assert match.group(1).endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(base64.b64decode(match.group(2)))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明"
    assert "姓名不能为空" in rows[2][-1]
    assert "尚未上传名单" in html  # nothing stored


def test_partial_form_upload_stores_good_rows_and_lists_the_rest(base_page):
    client, target = base_page()
    people = [trainee(), trainee(result="优秀")]
    resp = _post_roster(client, target, roster_xlsx(people), mode="partial")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "新记录 <strong>1</strong> 条" in html
    assert "未通过检查的行" in html
    assert "考核结果“优秀”无效" in html


def test_unsupported_file_on_the_page_shows_the_problem(base_page):
    client, target = base_page()
    resp = _post_roster(client, target, b"hello", filename="名单.txt")
    assert resp.status_code == 415
    assert "仅支持上传Excel工作簿" in resp.get_data(as_text=True)


def test_printable_certificate_page_shows_masked_id_and_qr_but_never_the_full_id(base_page, client):
    client, target = base_page()
    person = trainee()
    _post_roster(client, target, roster_xlsx([person]))
    html = client.get(f"/sessions/{target.id}").get_data(as_text=True)
    serial = re.search(r'href="/certificates/([A-Za-z0-9_-]+)"', html).group(1)

    resp = client.get(f"/certificates/{serial}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    full = person["id_number"]
    assert full[:6] + "********" + full[-4:] in page
    assert full not in page
    assert "<svg" in page and "<path" in page
    assert serial in page
    assert person["name"] in page


def test_another_base_cannot_open_the_certificate_page(
    client, open_session, upload_roster, make_account, login, create_base
):
    target = open_session()
    upload_roster(target, roster_xlsx(trainees(1)))
    listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
    serial = listed.json["certificates"][0]["serial"]
    other = create_base(name="湖南另一所继续教育基地")
    make_account("base", username="other-base", name=other.name, base_id=other.id)
    assert login(client, "other-base").status_code == 302
    assert client.get(f"/certificates/{serial}").status_code == 403
