"""jxjd: the registry service for Hunan's provincial continuing-education bases."""

from __future__ import annotations

import importlib
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask

from jxjd import transactions
from jxjd.common.db import forget_reads_ahead
from jxjd.common.files import private_dir, private_sqlite
from jxjd.common.guards import install_guards
from jxjd.config import Config, TestConfig
from jxjd.errors import register_error_handlers
from jxjd.extensions import csrf, db, login_manager, migrate
from jxjd.observability import init_observability
from jxjd.ratelimit import init_rate_limits

# Feature packages, in dependency order; each has views.py (and maybe pages.py) registering on
# its `bp`.
FEATURES = (
    "main",
    "accounts",
    "bases",
    "rules",
    "plans",
    "sessions",
    "reports",
    "spotchecks",
    "attendance",
    "certificates",
    "printing",
    "verify",
    "credentials",
    "credits",
    "archive",
    "transcripts",
    "applications",
    "feedback",
    "evaluations",
    "directory",
    "console",
    "jobs",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with optional config overrides (tests)."""
    app = transactions.App(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    overrides = dict(overrides or {})
    app.config.from_object(TestConfig if overrides.pop("TESTING_CONFIG", False) else Config)
    app.config.update(overrides)
    private_dir(app.instance_path)  # owner-only: it holds the database and the keys
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "jxjd.sqlite3"
        )
    if not app.config.get("JXJD_KEY_DIR"):
        app.config["JXJD_KEY_DIR"] = os.path.join(app.instance_path, "keys")
    if not app.config.get("JXJD_QR_CACHE_DIR"):
        app.config["JXJD_QR_CACHE_DIR"] = os.path.join(app.instance_path, "qr-cache")
    app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked for pages only, see below
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider's settings
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from jxjd.common.crypto import KeyStore
    from jxjd.keys.services import session_secret

    # Keys are created only by the start-up check below (for a database without data) or
    # `flask keys init`, never on first use.
    store = KeyStore(app.config["JXJD_KEY_DIR"])
    store.tighten()
    app.extensions["jxjd_keystore"] = store
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = session_secret(app, store)

    is_sqlite, lock_ms = _database_options(app)
    if app.config["JXJD_PROXY_COUNT"]:  # behind nginx: client addresses from X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["JXJD_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    init_rate_limits(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login_page"
    login_manager.login_message = "请先登录"

    if is_sqlite:
        with app.app_context():
            sa.event.listen(
                db.engine, "connect", lambda c, r: _sqlite_pragmas(c, r, busy_ms=lock_ms)
            )

    init_observability(app)  # request ids, JSON logs, metrics: first, so they see every request
    install_guards(app)  # converters before any route, the request guard before other hooks
    transactions.install(app)  # one unit of work per request: the commit after the view
    app.before_request(forget_reads_ahead)  # and no look-up read ahead by an earlier one
    _register_identity(app)
    _register_features(app)
    register_error_handlers(app)
    _register_page_hooks(app)
    _register_cli(app)

    from jxjd.keys.services import prepare_key_store, register_key_guard

    register_key_guard(app)
    prepare_key_store(app)  # refuses to serve (503) when the keys do not match the data
    return app


def _database_options(app: Flask) -> tuple[bool, int]:
    """Engine options for the configured database; whether it is SQLite, the lock wait in ms."""
    is_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if is_sqlite:
        private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    if is_sqlite:  # a local file: no dropped connections to detect, so no ping per checkout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"
        }
    lock_ms = int(app.config["JXJD_DB_LOCK_TIMEOUT"] * 1000)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A lock wait or a dead server ends in 503 database_busy/unavailable, not a hung worker.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )
        connect_args = options["connect_args"] = dict(options.get("connect_args", {}))
        connect_args.setdefault("connect_timeout", 5)
        extra = f"-c lock_timeout={lock_ms}"
        connect_args["options"] = f"{connect_args.get('options', '')} {extra}".strip()
    return is_sqlite, lock_ms


def _register_identity(app: Flask) -> None:
    """How a bearer token or a session cookie becomes the caller (accounts), for auth."""
    from jxjd import auth
    from jxjd.accounts.services import account_for_session, actor_for_token

    # account_for_session: None once the session was ended server-side.
    auth.init_app(app, resolve_token=actor_for_token, load_account=account_for_session)


def _register_features(app: Flask) -> None:
    from jxjd.openapi import bp as openapi_bp

    app.register_blueprint(openapi_bp)
    for name in FEATURES:
        views = importlib.import_module(f"jxjd.{name}.views")
        _import_if_present(f"jxjd.{name}.pages")
        app.register_blueprint(views.bp)
    # Every model must be imported before migrations or create_all look at the metadata.
    importlib.import_module("jxjd.models")
    for name in FEATURES:  # demo steps register themselves in feature order
        _import_if_present(f"jxjd.{name}.demo")


def _import_if_present(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise


# Pages load scripts, styles and images from this origin only (QR codes may be data: URLs); no
# inline script or style, no plug-ins, no framing, forms post back here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _register_page_hooks(app: Flask) -> None:
    from flask import request

    from jxjd.common import enums
    from jxjd.common.time import isoformat, to_local
    from jxjd.common.types import hours_json

    @app.before_request
    def _csrf_for_pages():
        # The JSON API authenticates with bearer tokens (no ambient cookie), so only the
        # cookie-authenticated pages need CSRF tokens.
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.path.startswith(
            "/api/"
        ):
            csrf.protect()

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        resp.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS only (JXJD_SECURE_COOKIES=1)
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp

    from jxjd.forms import message_of
    from jxjd.web import NAV_ITEMS, can, limited, nav_allowed

    app.jinja_env.globals.update(
        label=enums.label,
        enums=enums,
        nav_items=NAV_ITEMS,
        nav_allowed=nav_allowed,
        can=can,
        limited=limited,
        url_endpoints=app.view_functions,
        form_message=message_of,
    )
    app.jinja_env.filters["localtime"] = lambda v: (
        to_local(v).strftime("%Y-%m-%d %H:%M") if v else ""
    )
    app.jinja_env.filters["isotime"] = isoformat
    app.jinja_env.filters["hours"] = hours_json  # 24 for 24.0, 1.5 for 1.5


def _register_cli(app: Flask) -> None:
    from jxjd.accounts.cli import account_cli, token_cli
    from jxjd.attendance.cli import tallies_cli
    from jxjd.audit.cli import audit_cli
    from jxjd.backup.cli import backup_command, restore_command
    from jxjd.demo import demo_command
    from jxjd.jobs.cli import jobs_cli
    from jxjd.keys.cli import keys_cli
    from jxjd.keys.services import guard_commands

    guard_commands(token_cli, account_cli, demo_command)  # refuse while keys do not match
    app.cli.add_command(token_cli)
    app.cli.add_command(account_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(tallies_cli)
    app.cli.add_command(jobs_cli)
