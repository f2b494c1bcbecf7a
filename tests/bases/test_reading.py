"""GET /api/v1/bases and /api/v1/bases/{id}: each reader sees its own scope only."""

from __future__ import annotations

from tests.conftest import assert_problem


def test_admin_lists_every_base(client, admin_headers, create_base):
    ids = [create_base(department=d).id for d in ("湖南省教育厅", "湖南省卫生健康委员会")]
    resp = client.get("/api/v1/bases", headers=admin_headers)
    assert resp.status_code == 200
    assert [b["id"] for b in resp.json["bases"]] == ids


def test_list_entries_have_the_contract_shape(client, admin_headers, create_base):
    create_base()
    (entry,) = client.get("/api/v1/bases", headers=admin_headers).json["bases"]
    for key in (
        "id",
        "name",
        "credit_code",
        "department",
        "address",
        "status",
        "contact",
        "specialties",
    ):
        assert key in entry
    assert set(entry["contact"]) == {"name", "phone", "email"}


def test_list_can_be_filtered_by_status(client, admin_headers, create_base, create_base_in):
    create_base()
    rectifying = create_base_in("rectifying")
    resp = client.get("/api/v1/bases", query_string={"status": "rectifying"}, headers=admin_headers)
    assert [b["id"] for b in resp.json["bases"]] == [rectifying.id]


def test_dept_lists_only_its_departments_bases(client, make_headers, create_base):
    mine = [create_base(department="湖南省教育厅").id, create_base(department="湖南省教育厅").id]
    create_base(department="湖南省卫生健康委员会")
    resp = client.get("/api/v1/bases", headers=make_headers("dept", department="湖南省教育厅"))
    assert resp.status_code == 200
    assert [b["id"] for b in resp.json["bases"]] == mine


def test_dept_cannot_widen_its_list_with_a_department_filter(client, make_headers, create_base):
    create_base(department="湖南省卫生健康委员会")
    resp = client.get(
        "/api/v1/bases",
        query_string={"department": "湖南省卫生健康委员会"},
        headers=make_headers("dept", department="湖南省教育厅"),
    )
    assert resp.status_code == 200
    assert resp.json["bases"] == []


def test_dept_reads_its_own_departments_base(client, make_headers, create_base):
    base = create_base(department="湖南省教育厅")
    resp = client.get(
        f"/api/v1/bases/{base.id}", headers=make_headers("dept", department="湖南省教育厅")
    )
    assert resp.status_code == 200
    assert resp.json["id"] == base.id


def test_dept_is_refused_another_departments_base(client, make_headers, create_base):
    other = create_base(department="湖南省卫生健康委员会")
    resp = client.get(
        f"/api/v1/bases/{other.id}", headers=make_headers("dept", department="湖南省教育厅")
    )
    assert_problem(resp, 403, "forbidden")


def test_base_lists_only_itself(client, make_headers, create_base):
    own = create_base()
    create_base()
    resp = client.get("/api/v1/bases", headers=make_headers("base", base_id=own.id))
    assert [b["id"] for b in resp.json["bases"]] == [own.id]


def test_base_reads_itself_with_its_history(client, make_headers, create_base):
    own = create_base()
    resp = client.get(f"/api/v1/bases/{own.id}", headers=make_headers("base", base_id=own.id))
    assert resp.status_code == 200
    assert resp.json["status_history"][0]["to_status"] == "recognized"


def test_base_is_refused_another_base(client, make_headers, create_base):
    own, other = create_base(), create_base()
    resp = client.get(f"/api/v1/bases/{other.id}", headers=make_headers("base", base_id=own.id))
    assert_problem(resp, 403, "forbidden")


def test_unknown_base_is_404(client, admin_headers):
    assert_problem(client.get("/api/v1/bases/999999", headers=admin_headers), 404, "not_found")
