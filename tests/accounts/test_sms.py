"""The text-message senders: the outbox file and an HTTP gateway (a tiny local server here)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jxjd.accounts.sms import HttpSender, OutboxSender, SmsError, deliver, sender_for
from tests.accounts.conftest import ZHANG

PORTS = range(18200, 18300)  # this worktree's range


class Gateway:
    """A local SMS gateway: records each request, answers with `status`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.received = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook
                length = int(self.headers.get("Content-Length", 0))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(gateway.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                gateway.received.set()

            def log_message(self, *args):
                pass

        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            pytest.skip("no free port in 18200-18299")
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    gw = Gateway()
    yield gw
    gw.close()


def test_http_sender_posts_json_with_the_bearer_token(gateway):
    HttpSender(gateway.url, token="gw-secret", timeout=2).send("13812341234", "验证码 123456")
    (req,) = gateway.requests
    assert req["path"] == "/sms/send" and req["auth"] == "Bearer gw-secret"
    assert req["type"].startswith("application/json")
    assert req["body"] == {"to": "13812341234", "text": "验证码 123456"}


def test_http_sender_failures_are_sms_errors_without_personal_data(gateway):
    gateway.status = 500
    with pytest.raises(SmsError) as failed:
        HttpSender(gateway.url, timeout=2).send("13812341234", "验证码 123456")
    assert "500" in str(failed.value) and "1381234" not in str(failed.value)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    with pytest.raises(SmsError) as unreachable:
        HttpSender(dead, timeout=1).send("13812341234", "验证码 123456")
    assert "123456" not in str(unreachable.value)


def test_deliver_logs_a_failure_without_the_number_or_the_code(gateway, caplog):
    gateway.status = 503
    with caplog.at_level(logging.INFO):
        thread = deliver(HttpSender(gateway.url, timeout=2), "13812341234", "验证码 654321")
        thread.join(5)
    assert "503" in caplog.text
    assert "13812341234" not in caplog.text and "654321" not in caplog.text


def test_the_http_backend_sends_the_code_and_the_public_answer_is_unchanged(
    app, client, trained, gateway, monkeypatch
):
    trained(ZHANG)
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "JXJD_SMS_URL", gateway.url)
    monkeypatch.setitem(app.config, "JXJD_SMS_TOKEN", "gw-secret")
    assert isinstance(sender_for(app), HttpSender)
    body = {"id_number": ZHANG["id_number"], "name": ZHANG["name"]}
    sent = client.post("/api/v1/register/otp", json=body)
    assert gateway.received.wait(5)
    (req,) = gateway.requests
    assert req["body"]["to"] == "13812341234" and len(req["body"]["text"]) < 70
    gateway.status = 500  # the gateway fails: the caller still gets the same answer
    failed = client.post("/api/v1/register/otp", json={**body, "name": "张叁"})
    assert sent.status_code == failed.status_code == 202 and sent.data == failed.data


def test_outbox_lines_are_json_with_the_masked_number(tmp_path):
    path = tmp_path / "sub" / "outbox.jsonl"
    sender = OutboxSender(str(path))
    sender.send("13812341234", "一")
    sender.send("13900001111", "二")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(m["to"], m["text"]) for m in lines] == [("138****1234", "一"), ("139****1111", "二")]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_an_unknown_backend_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "carrier-pigeon")
    with pytest.raises(RuntimeError):
        sender_for(app)
    monkeypatch.setitem(app.config, "JXJD_SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "JXJD_SMS_URL", None)
    with pytest.raises(RuntimeError):
        sender_for(app)
