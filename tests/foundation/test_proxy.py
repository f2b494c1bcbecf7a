"""Behind a reverse proxy, the client address comes from X-Forwarded-For (rate limits need it)."""

from __future__ import annotations

from flask import request

from jxjd import create_app
from jxjd.extensions import db


def _app(tmp_path, proxies: int):
    app = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "JXJD_KEY_DIR": str(tmp_path / "keys"),
            "JXJD_PROXY_COUNT": proxies,
        }
    )
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr or "")
    with app.app_context():
        db.create_all()  # without a schema every request is answered 503 (not migrated)
    return app


def test_forwarded_address_is_trusted_only_when_a_proxy_is_configured(tmp_path):
    headers = {"X-Forwarded-For": "203.0.113.7"}
    direct = _app(tmp_path, 0).test_client().get("/whoami", headers=headers)
    proxied = _app(tmp_path, 1).test_client().get("/whoami", headers=headers)
    assert direct.get_data(as_text=True) == "127.0.0.1"
    assert proxied.get_data(as_text=True) == "203.0.113.7"
