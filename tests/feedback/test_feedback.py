"""Training-effect feedback (第二十条): one rating per trainee and session, owner only, aggregates."""

from __future__ import annotations

import pytest

from jxjd.audit.services import events_for
from jxjd.auth import CLI
from jxjd.certificates.services import get_certificate, revoke_certificate
from jxjd.extensions import db
from tests.conftest import assert_problem


def rate(client, serial, headers, rating=5, comment=""):
    return client.post(
        f"/api/v1/certificates/{serial}/feedback",
        json={"rating": rating, "comment": comment},
        headers=headers,
    )


def test_the_owner_rates_the_session_once(client, certified, person_headers):
    c = certified(1)
    ((row, serial),) = c.people
    resp = rate(client, serial, person_headers(row), 4, "案例很实用")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["rating"] == 4 and body["comment"] == "案例很实用"
    assert body["session_id"] == c.session.id and body["serial"] == serial
    mine = client.get(f"/api/v1/certificates/{serial}/feedback", headers=person_headers(row))
    assert mine.status_code == 200 and mine.get_json()["rating"] == 4
    (event,) = events_for("session", c.session.id)[-1:]
    assert event.action == "feedback.create" and event.summary == {"rating": 4}


def test_a_second_rating_of_the_same_session_is_a_conflict(client, certified, person_headers):
    c = certified(1)
    ((row, serial),) = c.people
    headers = person_headers(row)
    assert rate(client, serial, headers, 5).status_code == 201
    assert_problem(rate(client, serial, headers, 1), 409, "already_rated")
    summary = client.get(f"/api/v1/sessions/{c.session.id}/feedback", headers={**headers})
    assert summary.status_code == 403  # a person never reads the aggregates


def test_only_the_certificate_owner_may_rate(
    client, certified, person_headers, make_headers, admin_headers, base_headers
):
    c = certified(2)
    (owner, serial), (other, _) = c.people
    assert_problem(rate(client, serial, person_headers(other)), 403, "forbidden")
    assert_problem(rate(client, serial, admin_headers), 403, "forbidden")
    assert_problem(rate(client, serial, base_headers(c.base)), 403, "forbidden")
    assert_problem(
        client.get(f"/api/v1/certificates/{serial}/feedback", headers=person_headers(other)), 403
    )
    assert_problem(rate(client, serial, {}), 401)
    assert_problem(rate(client, "no-such-serial", person_headers(owner)), 404, "not_found")


def test_rating_outside_one_to_five_is_refused(client, certified, person_headers):
    c = certified(1)
    ((row, serial),) = c.people
    for bad in (0, 6, "5", None):
        assert_problem(rate(client, serial, person_headers(row), bad), 422)
    assert_problem(
        client.post(
            f"/api/v1/certificates/{serial}/feedback",
            data="{not json",
            content_type="application/json",
            headers=person_headers(row),
        ),
        400,
    )


def test_a_revoked_certificate_cannot_rate(client, certified, person_headers):
    c = certified(1)
    ((row, serial),) = c.people
    revoke_certificate(CLI, get_certificate(serial), reason="乱发证")
    db.session.commit()
    assert_problem(rate(client, serial, person_headers(row)), 409, "certificate_revoked")


def test_the_base_sees_aggregates_without_names(
    client, certified, person_headers, base_headers, dept_headers, admin_headers
):
    c = certified(4)
    ratings = [(5, "老师讲得好"), (4, ""), (5, "希望增加实操")]
    for (row, serial), (rating, comment) in zip(c.people, ratings, strict=False):
        assert rate(client, serial, person_headers(row), rating, comment).status_code == 201
    url = f"/api/v1/sessions/{c.session.id}/feedback"
    for headers in (base_headers(c.base), dept_headers(), admin_headers):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["session_id"] == c.session.id
        assert body["count"] == 3
        assert body["average"] == 4.7
        assert body["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2}
        assert sorted(x["comment"] for x in body["comments"]) == ["希望增加实操", "老师讲得好"]
    text = resp.get_data(as_text=True)
    for row, _ in c.people:
        assert row["name"] not in text and row["id_number"] not in text


def test_an_unrated_session_has_empty_aggregates(client, certified, base_headers):
    c = certified(1)
    body = client.get(
        f"/api/v1/sessions/{c.session.id}/feedback", headers=base_headers(c.base)
    ).get_json()
    assert body["count"] == 0 and body["average"] is None and body["comments"] == []
    assert body["distribution"] == {str(n): 0 for n in range(1, 6)}


def test_other_bases_and_departments_cannot_read_aggregates(
    client, certified, create_base, base_headers, dept_headers
):
    c = certified(1)
    other = create_base(name="另一基地")
    url = f"/api/v1/sessions/{c.session.id}/feedback"
    assert_problem(client.get(url, headers=base_headers(other)), 403)
    assert_problem(client.get(url, headers=dept_headers("湖南省卫生健康委员会")), 403)
    assert_problem(client.get("/api/v1/sessions/999999/feedback", headers=dept_headers()), 404)


def test_a_person_account_rates_on_the_feedback_page(client, certified, make_account, login):
    from tests.fixtures.auth import csrf_token_from

    c = certified(1)
    ((row, serial),) = c.people
    make_account("person", username="xueyuan", name=row["name"], id_number=row["id_number"])
    login(client, "xueyuan")
    page = client.get(f"/feedback/{serial}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert c.session.title in html and 'name="rating"' in html
    resp = client.post(
        f"/feedback/{serial}",
        data={"rating": "3", "comment": "一般", "csrf_token": csrf_token_from(html)},
    )
    assert resp.status_code == 302
    after = client.get(f"/feedback/{serial}").get_data(as_text=True)
    assert "3 分" in after and 'name="rating"' not in after


@pytest.mark.parametrize("rating", ["²", "9" * 5000, "٣"])
def test_a_rating_that_is_not_a_plain_integer_is_refused_on_the_page(
    client, certified, make_account, login, rating
):
    from tests.fixtures.auth import csrf_token_from

    ((row, serial),) = certified(1).people
    make_account("person", username="xueyuan", name=row["name"], id_number=row["id_number"])
    login(client, "xueyuan")
    html = client.get(f"/feedback/{serial}").get_data(as_text=True)
    resp = client.post(
        f"/feedback/{serial}",
        data={"rating": rating, "comment": "课程很实用", "csrf_token": csrf_token_from(html)},
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'name="rating"' in page  # not rated: the form again, with the comment as typed
    assert ">课程很实用</textarea>" in page and 'id="rating-error">应为数字<' in page
