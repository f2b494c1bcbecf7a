"""QR codes must carry an address others can reach: a loopback JXJD_PUBLIC_URL is warned about."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from jxjd.config import public_url_warning

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5000", "http://localhost:8080", "http://[::1]:5000", "http://127.1.2.3"],
)
def test_a_loopback_public_url_is_warned_about(url):
    message = public_url_warning(url)
    assert message is not None and url in message and "JXJD_PUBLIC_URL" in message


@pytest.mark.parametrize("url", ["https://jxjd.example.gov.cn", "http://192.168.1.20:5000"])
def test_a_reachable_public_url_is_not(url):
    assert public_url_warning(url) is None


def test_the_run_script_points_qr_codes_at_the_port_it_serves(tmp_path):
    """scripts/run.sh derives JXJD_PUBLIC_URL from PORT unless it is set (the demo's QR codes)."""
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    prelude = script.split(".venv/bin/flask db upgrade", 1)[0].replace("bash scripts/setup.sh", ":")
    probe = prelude + 'echo "$JXJD_PUBLIC_URL"\n'
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "JXJD_PUBLIC_URL")}
    run = subprocess.run(
        ["bash", "-c", probe], cwd=ROOT, env={**env, "PORT": "8123"}, capture_output=True, text=True
    )
    assert run.stdout.strip() == "http://127.0.0.1:8123", run.stderr
    run = subprocess.run(
        ["bash", "-c", probe],
        cwd=ROOT,
        env={**env, "PORT": "8123", "JXJD_PUBLIC_URL": "https://jxjd.example.gov.cn"},
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == "https://jxjd.example.gov.cn"
