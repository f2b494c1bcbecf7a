"""`flask demo` loads rosters and their certificates, and a second run adds nothing."""

from __future__ import annotations

from tests.fixtures.attendance import STORED_TABLES, count_rows


def test_demo_loads_rosters_and_certificates_once(app, fast_password_hashing):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = count_rows(*STORED_TABLES)
    assert after_first["attendance_records"] > 0
    assert after_first["certificates"] > 0
    assert after_first["certificates"] < after_first["attendance_records"]  # some trainees failed

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    after_second = count_rows(*STORED_TABLES)
    for table in ("people", "attendance_records", "certificates"):
        assert after_second[table] == after_first[table], table


def test_demo_person_has_a_certificate(app, client, fast_password_hashing, make_headers):
    from jxjd.demo import DEMO_PERSON

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    headers = make_headers("person", name=DEMO_PERSON["name"], id_number=DEMO_PERSON["id_number"])
    certs = client.get("/api/v1/me/certificates", headers=headers).json["certificates"]
    assert certs
    assert all(c["id_masked"] == "430104********0015" for c in certs)
