"""Request ids, logs without personal data, and /metrics (CONTRACT §15)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from prometheus_client import REGISTRY

from jxjd.observability import (
    REQUEST_ID_HEADER,
    ScrubFilter,
    configure_logging,
    log_handler,
    scrub,
)
from tests.conftest import assert_problem
from tests.fixtures.attendance import trainees
from tests.verify.support import YEAR, issue_via_api

ID_NUMBER = "43010419900307001X"
TOKEN = "jx_q3Zr8vYtWm2LkP0sNd5HfGa7Jc4Xe1Bu9Ri6Oy-_AbC"
SHARE_CODE = "7K3M-9QWE-RT5Y-2B4N-XC8P"
ACTIVATION_CODE = "H4JK-7MNP-Q2RS-T9VW"
PASSWORD = "Zhongwen-mima-2026"
SECRETS = (ID_NUMBER, TOKEN, SHARE_CODE, ACTIVATION_CODE, PASSWORD, "jx_q3Zr8vYt")


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def issue_certificates(client, create_base, create_filed_plan, base_headers):
    """issue_certificates(rows=None) → certificates issued through the upload API."""

    def make(rows: list[dict] | None = None) -> list[dict]:
        base = create_base()
        plan = create_filed_plan(base, year=YEAR)
        return issue_via_api(client, base, base_headers(base), plan, rows)

    return make


# ---- request ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, status",
    [("/api/v1/health", 200), ("/api/v1/nothing-here", 404), ("/api/v1/tokens", 401)],
)
def test_every_response_gets_a_new_request_id(client, path, status):
    first, second = client.get(path), client.get(path)
    assert first.status_code == status
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers[REQUEST_ID_HEADER])
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]


def test_a_refused_request_has_an_id_too(client, admin_headers):
    resp = client.get("/api/v1/bases?per_page=0", headers=admin_headers)
    assert_problem(resp, 422, "invalid_parameter")
    assert len(resp.headers[REQUEST_ID_HEADER]) == 32


@pytest.mark.parametrize("given", ["abc", "req-2026.11.30:42_x", "A" * 64])
def test_a_safe_client_request_id_is_echoed(client, given):
    resp = client.get("/api/v1/health", headers={REQUEST_ID_HEADER: given})
    assert resp.headers[REQUEST_ID_HEADER] == given


@pytest.mark.parametrize("given", ["A" * 65, "has space", "<script>", "-leading", "中文", ""])
def test_an_unsafe_client_request_id_is_replaced(client, given):
    resp = client.get("/api/v1/health", headers={REQUEST_ID_HEADER: given})
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers[REQUEST_ID_HEADER])


def test_log_lines_written_during_a_request_carry_its_id(app, client, caplog, monkeypatch):
    def boom():
        raise RuntimeError(f"failed for {ID_NUMBER} with {TOKEN}")

    monkeypatch.setitem(app.view_functions, "main.health", boom)
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logging.getLogger("jxjd").addHandler(handler)
    try:
        with caplog.at_level(logging.ERROR):
            resp = client.get("/api/v1/health", headers={REQUEST_ID_HEADER: "trace-1"})
    finally:
        logging.getLogger("jxjd").removeHandler(handler)
    assert_problem(resp, 500)
    assert resp.headers[REQUEST_ID_HEADER] == "trace-1"
    [record] = [r for r in caplog.records if r.name == "jxjd.errors"]
    assert record.request_id == "trace-1"
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "trace-1" and entry["level"] == "ERROR"
    assert entry["message"] == "unhandled error on GET /api/v1/health"
    assert "RuntimeError: failed for *** with jx_***" in entry["exc"]  # the traceback, scrubbed
    for secret in SECRETS:
        assert secret not in line and secret not in caplog.text


# ---- scrubbing ----------------------------------------------------------------------------------


def test_scrub_masks_each_kind_of_secret():
    assert scrub(f"id {ID_NUMBER}; id={ID_NUMBER.replace('X', '5')}&") == "id ***; id=***&"
    assert scrub(f"token {TOKEN} end") == "token jx_*** end"
    assert scrub("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"
    assert scrub(f"code {SHARE_CODE} / {SHARE_CODE.lower()} / {SHARE_CODE.replace('-', '')}") == (
        "code *** / *** / ***"
    )
    assert scrub(f"letter {ACTIVATION_CODE}") == "letter ***"
    assert scrub(f"password={PASSWORD}&next=1") == "password=***&next=1"
    assert scrub(f'{{"new_password": "{PASSWORD} x", "n": 1}}') == '{"new_password": "***", "n": 1}'
    assert scrub(f"pwd: '{PASSWORD}'") == "pwd: '***'"


@pytest.mark.parametrize(
    "harmless",
    [
        "created keys: secret:field-encryption, signing:k20261130511770d5",
        "audit checkpoint 0f3a9b6c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011",
        "masked 430104********0015, credit code 91430100MA4L00001J",
        "request 550e8400-e29b-41d4-a716-446655440000, 20,000 rows in 1.34 s",
        "serial q3Zr8vYtWm2LkP0sNd5HfG revoked",
    ],
)
def test_scrub_leaves_what_is_not_secret(harmless):
    assert scrub(harmless) == harmless


def test_every_log_record_is_scrubbed_whatever_its_handler(caplog):
    log = logging.getLogger("jxjd.test")
    with caplog.at_level(logging.INFO):
        log.info("person %s registered", ID_NUMBER)
        log.info("token %s, code %s", TOKEN, SHARE_CODE)
        log.info("form %s", {"username": "zhang", "password": PASSWORD})
        log.warning("login failed: password=%s", PASSWORD)
        log.info(f"activation {ACTIVATION_CODE} sent")  # noqa: G004 - formatted before logging
        log.error("error: %s", ValueError(f"bad id {ID_NUMBER}"))
    text = caplog.text
    for secret in SECRETS:
        assert secret not in text
    assert "person *** registered" in text and "'password': '***'" in text
    assert [r.getMessage() for r in caplog.records][1] == "token jx_***, code ***"


def test_json_lines_hold_no_secret_even_in_tracebacks():
    stream = io.StringIO()
    log = logging.getLogger("jxjd.test.json")
    log.addHandler(handler := log_handler("json", stream))
    log.propagate = False
    try:
        log.warning("share code %s for %s", SHARE_CODE, ID_NUMBER)
        try:
            raise KeyError(f"password={PASSWORD} token={TOKEN}")
        except KeyError:
            log.exception("failed")
        # A record made before the scrubbing factory (e.g. by another library's own factory).
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "raw %s", (ID_NUMBER,), None)
        handler.handle(record)
    finally:
        log.removeHandler(handler)
        log.propagate = True
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["message"] for e in entries] == ["share code *** for ***", "failed", "raw ***"]
    assert entries[1]["exc"].startswith("Traceback") and "password=***" in entries[1]["exc"]
    assert set(entries[0]) == {"ts", "level", "logger", "message"}  # no request: no request_id
    for secret in SECRETS:
        assert secret not in stream.getvalue()


def test_text_format_is_scrubbed_too():
    stream = io.StringIO()
    handler = log_handler("text", stream)
    record = logging.LogRecord("jxjd.x", logging.INFO, __file__, 1, "id %s", (ID_NUMBER,), None)
    ScrubFilter().filter(record)
    handler.handle(record)
    assert stream.getvalue().endswith("INFO [None] jxjd.x: id ***\n")


def test_configure_logging_installs_one_handler_per_process(app, monkeypatch):
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        monkeypatch.setitem(app.config, "JXJD_LOG_FORMAT", "json")
        configure_logging(app)
        configure_logging(app)  # a second app in the same process replaces the first's
        ours = [h for h in root.handlers if getattr(h, "jxjd_handler", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, logging.Formatter)
        monkeypatch.setitem(app.config, "JXJD_LOG_FORMAT", "yaml")
        with pytest.raises(ValueError, match="JXJD_LOG_FORMAT"):
            configure_logging(app)
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)


# ---- /metrics -----------------------------------------------------------------------------------


def test_metrics_needs_an_admin_token_or_the_metrics_token(app, client, make_headers, monkeypatch):
    body = assert_problem(client.get("/metrics"), 401, "unauthorized")
    assert "JXJD_METRICS_TOKEN" in body["detail"]
    assert client.get("/metrics").headers["WWW-Authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer jx_not-a-token"}
    assert_problem(client.get("/metrics", headers=wrong), 401)
    assert_problem(
        client.get("/metrics", headers=make_headers("dept", department="湖南省财政厅")), 403
    )
    admin = client.get("/metrics", headers=make_headers("admin"))
    assert admin.status_code == 200
    assert admin.mimetype == "text/plain" and "version=" in admin.headers["Content-Type"]
    assert "# TYPE jxjd_http_requests_total counter" in admin.get_data(as_text=True)
    monkeypatch.setitem(app.config, "JXJD_METRICS_TOKEN", "scraper-secret-0123456789")
    scraper = client.get("/metrics", headers={"Authorization": "Bearer scraper-secret-0123456789"})
    assert scraper.status_code == 200
    assert_problem(client.get("/metrics", headers={"Authorization": "Bearer scraper-secret"}), 401)


def test_requests_are_counted_and_timed_by_endpoint_never_by_path(
    client, issue_certificates, admin_headers
):
    cert = issue_certificates()[0]
    labels = {"endpoint": "certificates.qr_svg", "method": "GET", "status": "200"}
    before = sample("jxjd_http_requests_total", **labels)
    timed = sample(
        "jxjd_http_request_duration_seconds_count", endpoint="certificates.qr_svg", method="GET"
    )
    for _ in range(3):
        resp = client.get(f"/api/v1/certificates/{cert['serial']}/qr.svg", headers=admin_headers)
        assert resp.status_code == 200
    assert sample("jxjd_http_requests_total", **labels) == before + 3
    assert (
        sample(
            "jxjd_http_request_duration_seconds_count",
            endpoint="certificates.qr_svg",
            method="GET",
        )
        == timed + 3
    )
    missing = sample("jxjd_http_requests_total", endpoint="unmatched", method="GET", status="404")
    client.get(f"/no/such/{cert['serial']}")
    after = sample("jxjd_http_requests_total", endpoint="unmatched", method="GET", status="404")
    assert after == missing + 1
    text = client.get("/metrics", headers=admin_headers).get_data(as_text=True)
    assert cert["serial"] not in text and "/api/v1/" not in text


def test_uploads_and_certificates_are_counted_once_committed(
    client, open_session, upload_json, admin_headers
):
    target = open_session()
    uploads = sample("jxjd_uploads_total", mode="strict")
    recorded = sample("jxjd_upload_rows_total", outcome="recorded")
    issued = sample("jxjd_certificates_issued_total")
    people = trainees(3) + [{**trainees(1)[0], "result": "不合格"}]
    check = client.post(
        f"/api/v1/sessions/{target.id}/attendance/error-report",
        json={"rows": people},
        headers=target.headers,
    )
    assert check.status_code == 200  # a check stores nothing and counts nothing
    refused = upload_json(target, people[:2] + [{**people[2], "id_number": "123"}])
    assert refused.status_code == 422  # strict: nothing stored
    assert sample("jxjd_uploads_total", mode="strict") == uploads
    resp = upload_json(target, people)
    assert resp.status_code == 200 and resp.get_json()["certificates_issued"] == 3
    assert sample("jxjd_uploads_total", mode="strict") == uploads + 1
    assert sample("jxjd_upload_rows_total", outcome="recorded") == recorded + 4
    assert sample("jxjd_certificates_issued_total") == issued + 3
    again = upload_json(target, people)  # the same roster again: already recorded, no new cert
    assert again.status_code == 200
    assert sample("jxjd_upload_rows_total", outcome="already_recorded") >= 4
    assert sample("jxjd_certificates_issued_total") == issued + 3


def test_verifications_are_counted_by_result(client, issue_certificates):
    cert = issue_certificates()[0]
    results = ("valid", "revoked", "invalid", "not_found")
    before = {r: sample("jxjd_verifications_total", result=r) for r in results}
    assert client.get(f"/api/v1/verify?serial={cert['serial']}").get_json()["result"] == "valid"
    assert client.get(f"/v/{cert['serial']}").status_code == 200  # the QR page counts too
    assert client.get("/api/v1/verify?serial=AAAAAAAAAAAAAAAAAAAAAA").status_code == 200
    assert client.get("/api/v1/verify?t=not.a.token").get_json()["result"] == "invalid"
    revoke = client.post(
        f"/api/v1/certificates/{cert['serial']}/revoke",
        json={"reason": "测试撤销"},
        headers=cert["headers"],
    )
    assert revoke.status_code == 200, revoke.get_json()
    assert client.get(f"/api/v1/verify?serial={cert['serial']}").get_json()["result"] == "revoked"
    after = {r: sample("jxjd_verifications_total", result=r) - before[r] for r in results}
    assert after == {"valid": 2, "revoked": 1, "invalid": 1, "not_found": 1}


def test_ready_lists_its_checks(client):
    resp = client.get("/api/v1/ready")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "checks": ["database", "key_store"]}
