"""Pages a user could reach only by typing their address are linked from the pages they use."""

from __future__ import annotations

from datetime import date

from tests.archive.conftest import earn  # noqa: F401 - a fixture

ZHANG = ("430104199003070015", "张三")


def test_a_person_finds_the_transcripts_from_the_certificates_and_the_archive(
    client,
    make_account,
    login,
    earn,  # noqa: F811
):
    earn(ZHANG, "2025-06-03", "professional", 24)
    make_account("person", username="zhangsan", name=ZHANG[1], id_number=ZHANG[0])
    assert login(client, "zhangsan").status_code == 302
    for page in ("/me", "/me/archive"):
        assert 'href="/me/transcripts"' in client.get(page).get_data(as_text=True), page


def test_the_verify_page_links_the_offline_verifier(client):
    assert 'href="/verify/offline"' in client.get("/verify").get_data(as_text=True)


def test_admin_finds_the_year_s_conversion_table_on_the_board(client, make_account, login, clock):
    clock.freeze(date(2026, 6, 1))
    make_account("admin", username="sheng-admin")
    assert login(client, "sheng-admin").status_code == 302
    board = client.get("/console").get_data(as_text=True)
    assert 'href="/rules/2026/conversions"' in board and "2026 年度学时折算表" in board
