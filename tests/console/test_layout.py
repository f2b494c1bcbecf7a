"""Every page: a skip link to the main content; the API document link only for staff (item 13)."""

from __future__ import annotations


def test_the_skip_link_leads_to_the_main_content(client):
    html = client.get("/").get_data(as_text=True)
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert '<main id="main" tabindex="-1">' in html


def _header(html: str) -> str:
    return html[html.index("<header") : html.index("</header>")]


def test_the_api_document_link_shows_to_staff_only(client, signed_in):
    assert "接口文档" not in _header(client.get("/").get_data(as_text=True))
    person = signed_in("person", id_number="430104199003070015", name="王五")
    assert "接口文档" not in _header(person.get("/").get_data(as_text=True))


def test_the_api_document_link_shows_to_admin(signed_in):
    assert "接口文档" in _header(signed_in("admin").get("/").get_data(as_text=True))
