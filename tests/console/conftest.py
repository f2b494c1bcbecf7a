"""Console page helpers: a signed-in client and a form post with the page's CSRF token."""

from __future__ import annotations

import pytest

from tests.fixtures.auth import csrf_token_from


@pytest.fixture
def signed_in(client, make_account, login):
    """signed_in(role, **scope) → the client, signed in with a new account of that role."""

    def sign_in(role: str, **scope):
        make_account(role, username=f"console-{role}", **scope)
        assert login(client, f"console-{role}").status_code == 302
        return client

    return sign_in


@pytest.fixture
def post_form():
    """post_form(client, page, action, data) → the response to a form posted from `page`."""

    def post(client, page: str, action: str, data: dict, follow: bool = True):
        token = csrf_token_from(client.get(page).get_data(as_text=True))
        return client.post(action, data={**data, "csrf_token": token}, follow_redirects=follow)

    return post
