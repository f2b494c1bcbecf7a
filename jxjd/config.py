"""Configuration: every value from the environment, with a safe default."""

from __future__ import annotations

import os


class Config:
    """Production-shaped defaults; the environment overrides each value."""

    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")  # None: instance SQLite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Seconds a statement waits for a lock (SQLite busy_timeout, PostgreSQL lock_timeout) before
    # the request gets 503 database_busy; below gunicorn's worker timeout (30 s).
    JXJD_DB_LOCK_TIMEOUT: float = float(os.environ.get("JXJD_DB_LOCK_TIMEOUT", "10"))
    SECRET_KEY: str | None = os.environ.get("JXJD_SECRET_KEY")  # None: generated into the key store
    JXJD_PUBLIC_URL: str = os.environ.get("JXJD_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    JXJD_KEY_DIR: str | None = os.environ.get("JXJD_KEY_DIR")  # None: <instance>/keys
    JXJD_QR_CACHE_DIR: str | None = os.environ.get("JXJD_QR_CACHE_DIR")  # None: <instance>/qr-cache
    # Noto CJK (Debian's fonts-noto-cjk) for the certificate PDFs; a session PDF's page cap.
    JXJD_CJK_FONT_DIR: str = os.environ.get("JXJD_CJK_FONT_DIR", "/usr/share/fonts/opentype/noto")
    JXJD_PDF_MAX_PAGES: int = int(os.environ.get("JXJD_PDF_MAX_PAGES", "1000"))
    # Algorithm of signing keys created from now on (keys init/rotate): EdDSA, or SM2 (国密, SM2
    # over SM3; README "SM2"). Certificates record the algorithm of the key that signed them.
    JXJD_SIGNING_ALG: str = os.environ.get("JXJD_SIGNING_ALG", "EdDSA")
    # The issuer's name in W3C credentials (CONTRACT §13); the issuer id is did:web of the URL.
    JXJD_ISSUER_NAME: str = os.environ.get("JXJD_ISSUER_NAME", "湖南省人力资源和社会保障厅")
    # Audit chain checkpoints (README "Audit trail"): one every N events (0: only by the CLI), in
    # an append-only file (None: <key dir>/audit-checkpoints.jsonl).
    JXJD_AUDIT_CHECKPOINT_EVERY: int = int(os.environ.get("JXJD_AUDIT_CHECKPOINT_EVERY", "100"))
    JXJD_AUDIT_CHECKPOINTS: str | None = os.environ.get("JXJD_AUDIT_CHECKPOINTS")
    # How many reverse proxies (nginx…) stand in front: their X-Forwarded-For is trusted, so
    # rate limits see each client's own address. 0 when the app faces clients directly.
    JXJD_PROXY_COUNT: int = int(os.environ.get("JXJD_PROXY_COUNT", "0"))
    MAX_UPLOAD_MB: int = int(os.environ.get("JXJD_MAX_UPLOAD_MB", "5"))
    # Data rows one roster file or JSON body may hold (CONTRACT §11): past it → 413/422.
    JXJD_MAX_ROSTER_ROWS: int = int(os.environ.get("JXJD_MAX_ROSTER_ROWS", "20000"))
    # After answering an upload of at least this many rows, the gunicorn worker is replaced (as
    # max_requests does), so its memory is back at the baseline; 0: never.
    JXJD_RECYCLE_AFTER_ROWS: int = int(os.environ.get("JXJD_RECYCLE_AFTER_ROWS", "10000"))
    # JSON request bodies (rosters sent as JSON included), whatever the upload limit.
    JXJD_MAX_JSON_MB: float = float(os.environ.get("JXJD_MAX_JSON_MB", "6"))
    # Failed certificate look-ups per client (CONTRACT §7).
    JXJD_VERIFY_FAIL_LIMIT: str = os.environ.get("JXJD_VERIFY_FAIL_LIMIT", "60 per minute")
    # Verified certificate tokens each process remembers (0: check every signature again).
    JXJD_VERIFY_CACHE_SIZE: int = int(os.environ.get("JXJD_VERIFY_CACHE_SIZE", "4096"))
    RATELIMIT_STORAGE_URI: str = os.environ.get("JXJD_RATELIMIT_STORAGE", "memory://")
    # X-RateLimit-* headers cost a storage read per response; 429s carry Retry-After anyway.
    RATELIMIT_HEADERS_ENABLED: bool = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = os.environ.get("JXJD_SECURE_COOKIES", "0") == "1"
    WTF_CSRF_TIME_LIMIT: int | None = None
    JSON_AS_ASCII: bool = False
    TESTING: bool = False
    # Accounts and identity (CONTRACT §12): text messages, attempt limits per ID number / client.
    JXJD_SMS_BACKEND: str = os.environ.get("JXJD_SMS_BACKEND", "outbox")  # outbox | http
    JXJD_OUTBOX: str | None = os.environ.get("JXJD_OUTBOX")  # None: <instance>/outbox.jsonl
    JXJD_SMS_URL: str | None = os.environ.get("JXJD_SMS_URL")
    JXJD_SMS_TOKEN: str | None = os.environ.get("JXJD_SMS_TOKEN")
    JXJD_SMS_TIMEOUT: float = float(os.environ.get("JXJD_SMS_TIMEOUT", "5"))
    JXJD_REGISTER_ID_LIMIT: str = os.environ.get("JXJD_REGISTER_ID_LIMIT", "5 per hour")
    JXJD_REGISTER_CLIENT_LIMIT: str = os.environ.get("JXJD_REGISTER_CLIENT_LIMIT", "20 per hour")
    JXJD_OTP_ID_LIMIT: str = os.environ.get("JXJD_OTP_ID_LIMIT", "5 per hour")
    JXJD_OTP_CLIENT_LIMIT: str = os.environ.get("JXJD_OTP_CLIENT_LIMIT", "20 per hour")
    JXJD_SHARE_LOOKUP_LIMIT: str = os.environ.get("JXJD_SHARE_LOOKUP_LIMIT", "10 per minute")
    # Operations (CONTRACT §15): log lines as JSON (json | text | off), the level, and a bearer
    # token for Prometheus scrapers of /metrics besides the admin's API tokens.
    JXJD_LOG_FORMAT: str = os.environ.get("JXJD_LOG_FORMAT", "json")
    JXJD_LOG_LEVEL: str = os.environ.get("JXJD_LOG_LEVEL", "INFO")
    JXJD_METRICS_TOKEN: str | None = os.environ.get("JXJD_METRICS_TOKEN") or None
    # The bin folder of pg_dump/pg_restore for `flask backup|restore` (None: from PATH).
    JXJD_PG_BIN: str | None = os.environ.get("JXJD_PG_BIN") or None
    # Redis for background jobs (Prefer: respond-async); None: the rate limits' store if Redis.
    JXJD_JOBS_REDIS: str | None = os.environ.get("JXJD_JOBS_REDIS") or None


class TestConfig(Config):
    """For the test suite: an explicit database, no CSRF tokens to juggle in API tests."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SECRET_KEY = "test-secret-key"
    JXJD_AUDIT_CHECKPOINT_EVERY = 0  # the suite empties the chain between tests
    RATELIMIT_ENABLED = True
    JXJD_LOG_FORMAT = os.environ.get("JXJD_LOG_FORMAT", "off")  # pytest captures the records


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def public_url_warning(public_url: str) -> str | None:
    """The start-up warning when QR codes would carry an address only this machine can reach."""
    from urllib.parse import urlsplit

    host = (urlsplit(public_url).hostname or "").lower()
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return None
    return (
        f"JXJD_PUBLIC_URL is {public_url}: every certificate QR code printed now points at this "
        "machine only and cannot be scanned by anyone else. Set JXJD_PUBLIC_URL to the public "
        "address (e.g. https://jxjd.example.gov.cn) before issuing certificates"
    )
