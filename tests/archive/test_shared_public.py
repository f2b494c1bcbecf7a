"""Share codes (CONTRACT §12): Crockford codes, public look-ups by declared viewers, bound grants."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.archive.models import Grant, GrantAccess
from jxjd.common.crockford import ALPHABET
from jxjd.common.crypto import token_hash
from jxjd.extensions import db
from tests.archive.conftest import ZHANG
from tests.conftest import assert_problem

UNIT = "91430100MA4L00001J"  # the test employers' default credit code (tests/fixtures/auth.py)
OTHER_UNIT = "91110108551385082Q"
VIEWER = {"unit": "湖南某某科技有限公司", "name": "王五"}


def grant(client, headers, **body):
    payload = {"employer_name": "湖南某某科技有限公司", "from": 2024, "to": 2025, "days": 30}
    resp = client.post("/api/v1/me/grants", json={**payload, **body}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def lookup(client, code, viewer=VIEWER, addr="127.0.0.1", **kw):
    return client.post(
        "/api/v1/shared",
        json={"code": code, "viewer": viewer, **kw},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_new_codes_are_grouped_crockford_with_100_random_bits(client, person_headers):
    code = grant(client, person_headers())["code"]
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
    assert set("".join(groups)) <= set(ALPHABET) and not set("ILOU") & set(code)


def test_an_employer_without_an_account_reads_the_granted_years(client, earn, person_headers):
    earn(ZHANG, "2025-05-05", "professional", 16)
    code = grant(client, person_headers())["code"]
    resp = lookup(client, code)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert [y["year"] for y in body["years"]] == [2024, 2025]
    assert body["person"] == {"name": "张三", "id_masked": "430104********0015"}
    review = lookup(client, code, level="senior", year=2026).get_json()["review_check"]
    assert review["missing_years"] == [2021, 2022, 2023]
    (listed,) = client.get("/api/v1/me/grants", headers=person_headers()).get_json()["grants"]
    assert [a["viewer"] for a in listed["accesses"]] == [VIEWER, VIEWER]
    assert listed["accesses"][0]["role"] == "public"
    assert listed["accesses"][0]["who"] == "湖南某某科技有限公司 王五"


def test_typed_codes_ignore_case_hyphens_spaces_and_look_alikes(client, person_headers):
    code = grant(client, person_headers())["code"]
    plain = code.replace("-", "")
    typed = [
        plain.lower(),
        " ".join(plain[i : i + 5] for i in range(0, 20, 5)),
        plain.replace("0", "O").replace("1", "I"),
        plain.replace("1", "l"),
        code.replace("-", "－"),  # full-width hyphen from a Chinese keyboard
    ]
    for variant in typed:
        assert lookup(client, variant).status_code == 200, variant
    assert_problem(lookup(client, plain.replace(plain[0], "U", 1)), 404, "unknown_grant")


def test_codes_made_before_crockford_still_work(client, person_headers, make_headers):
    grant(client, person_headers())
    legacy = "Ab-3_xyzLegacyCode0123456"  # what token_urlsafe made
    row = db.session.scalar(sa.select(Grant))
    row.code_hash = token_hash(legacy)
    db.session.commit()
    assert lookup(client, legacy).status_code == 200
    employer = make_headers("employer", name="某公司")
    assert client.get(f"/api/v1/shared/{legacy}", headers=employer).status_code == 200


def test_a_viewer_must_say_who_they_are(client, person_headers):
    code = grant(client, person_headers())["code"]
    for viewer, field, error in [
        (None, "viewer.unit", "required"),
        ({"unit": "某公司"}, "viewer.name", "required"),
        ({"unit": "某" * 101, "name": "王五"}, "viewer.unit", "too_long"),
        ({"unit": "某公司", "name": "王" * 51}, "viewer.name", "too_long"),
        ({"unit": "某公司\u202e", "name": "王五"}, "viewer.unit", "invalid_characters"),
        ({"unit": "某公司", "name": "王\x00五"}, "viewer.name", "invalid_characters"),
    ]:
        body = assert_problem(lookup(client, code, viewer=viewer), 422, error)
        assert any(e["field"] == field for e in body["errors"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GrantAccess)) == 0


def test_ten_public_look_ups_a_minute_per_client(client, person_headers):
    code = grant(client, person_headers())["code"]
    statuses = [lookup(client, code if i % 2 else "NOPE").status_code for i in range(11)]
    assert statuses[:10] == [404, 200] * 5 and statuses[10] == 429
    limited = lookup(client, code)
    assert_problem(limited, 429)
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert lookup(client, code, addr="10.9.9.9").status_code == 200  # another client


def test_failed_look_ups_with_a_token_are_limited_too(client, person_headers, make_headers):
    code = grant(client, person_headers())["code"]
    employer = make_headers("employer", name="某公司")
    for i in range(10):
        assert client.get(f"/api/v1/shared/GUESS{i}", headers=employer).status_code == 404
    assert_problem(client.get(f"/api/v1/shared/{code}", headers=employer), 429)


def test_successful_look_ups_with_a_token_are_not_limited(client, person_headers, make_headers):
    code = grant(client, person_headers())["code"]
    employer = make_headers("employer", name="某公司")
    for _ in range(12):
        assert client.get(f"/api/v1/shared/{code}", headers=employer).status_code == 200


def test_a_bound_grant_opens_only_for_that_employer(client, person_headers, make_headers):
    bound = grant(client, person_headers(), employer_credit_code=UNIT.lower())
    assert bound["employer_credit_code"] == UNIT
    code = bound["code"]
    own = make_headers("employer", name="本单位", credit_code=UNIT)
    assert client.get(f"/api/v1/shared/{code}", headers=own).status_code == 200
    # The same POST works with the bound employer's token and no viewer.
    via_post = client.post("/api/v1/shared", json={"code": code}, headers=own)
    assert via_post.status_code == 200
    unknown = assert_problem(
        client.get("/api/v1/shared/ZZZZ-ZZZZ", headers=own), 404, "unknown_grant"
    )
    others = [
        client.get(
            f"/api/v1/shared/{code}", headers=make_headers("employer", credit_code=OTHER_UNIT)
        ),
        client.get(f"/api/v1/shared/{code}", headers=make_headers("admin")),
        lookup(client, code),
    ]
    for resp in others:
        body = assert_problem(resp, 404, "unknown_grant")
        assert body["detail"] == unknown["detail"]  # indistinguishable from a wrong code
    (listed,) = client.get("/api/v1/me/grants", headers=person_headers()).get_json()["grants"]
    assert len(listed["accesses"]) == 2 and listed["employer_credit_code"] == UNIT


def test_a_bad_employer_credit_code_is_refused(client, person_headers):
    resp = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "甲", "employer_credit_code": "91430100MA4L00001A"},
        headers=person_headers(),
    )
    assert_problem(resp, 422, "invalid_credit_code")


def test_other_roles_cannot_look_up_with_their_token(client, person_headers):
    code = grant(client, person_headers())["code"]
    resp = client.post("/api/v1/shared", json={"code": code}, headers=person_headers())
    assert_problem(resp, 403, "forbidden")
    assert_problem(client.post("/api/v1/shared", json={"viewer": VIEWER}), 422, "required")


def test_the_person_reads_each_look_up_in_words_with_a_warning_for_another_unit(
    client, person_headers
):
    code = grant(client, person_headers())["code"]
    assert lookup(client, code).status_code == 200  # the named unit
    other = {"unit": "另一家公司", "name": "赵六"}
    assert lookup(client, code, viewer=other, level="senior", year=2026).status_code == 200
    accesses = client.get("/api/v1/me/grants", headers=person_headers()).get_json()["grants"][0][
        "accesses"
    ]
    by_unit = {a["viewer"]["unit"]: a for a in accesses}
    named = by_unit["湖南某某科技有限公司"]
    assert named["what_text"] == "查看授权年度的学时档案" and named["named_unit"] is True
    stranger = by_unit["另一家公司"]
    assert stranger["named_unit"] is False
    assert stranger["what_text"] == "查看授权年度的学时档案，并核验 2026 年度高级职称评审学时"


def test_describe_access_names_each_kind_of_look_up():
    from jxjd.archive.services import describe_access

    assert describe_access("archive") == "查看授权年度的学时档案"
    assert "2027 年度中级职称评审" in describe_access("archive+review:intermediate:2027")
    assert describe_access("transcript:XD-2026-ABCD") == "下载学时认定单 XD-2026-ABCD"
