"""scripts/verify_offline.py, run as a separate process the way a verifier would."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jxjd.certificates.qr import render_png
from tests.certificates.support import ACTIVE_KEY_IAT, new_signing_keys


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these tests need no app and no DB."""


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_offline.py"
PUBLIC_URL = "https://jxjd.example.cn"
SERIAL = "AbCdEfGhIjKlMnOpQrStUv"
PAYLOAD = {
    "sn": SERIAL,
    "name": "李四",
    "id_masked": "430102********5678",
    "hours": 12,
    "category": "general",
    "title": "2025年公需科目培训",
    "base": "长沙继续教育基地",
    "end_date": "2025-06-30",
    "iat": ACTIVE_KEY_IAT,
}


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the script from the project root with a clean environment."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def tamper(token: str) -> str:
    """The token with one payload character changed (hours 12 -> 92)."""
    header, body, signature = token.split(".")
    text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    assert '"hours":12' in text
    forged = base64.urlsafe_b64encode(text.replace('"hours":12', '"hours":92').encode())
    return f"{header}.{forged.rstrip(b'=').decode()}.{signature}"


@pytest.fixture
def issued(tmp_path: Path) -> tuple[Path, str]:
    """A saved JWKS file and a signed token."""
    keys = new_signing_keys(tmp_path / "keys")
    token = keys.active().sign(PAYLOAD)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()), encoding="utf-8")
    return jwks, token


def test_valid_url(issued: tuple[Path, str]) -> None:
    jwks, token = issued
    result = run("--jwks", jwks, f"{PUBLIC_URL}/v/{SERIAL}?t={token}")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for text in ("李四", "430102********5678", "2025年公需科目培训", "长沙继续教育基地"):
        assert text in out
    for label in (
        "姓名",
        "身份证号",
        "培训项目",
        "基地",
        "科目类别",
        "学时",
        "结束日期",
        "签发时间",
    ):
        assert label in out
    assert "公需科目" in out and "密钥" in out
    assert "离线验证无法确认证书是否已被撤销" in out
    assert "FAIL" not in out


def test_valid_bare_token(issued: tuple[Path, str]) -> None:
    jwks, token = issued
    result = run("--jwks", jwks, token)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tampered_url_is_invalid(issued: tuple[Path, str]) -> None:
    jwks, token = issued
    result = run("--jwks", jwks, f"{PUBLIC_URL}/v/{SERIAL}?t={tamper(token)}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout
    assert "李四" not in result.stdout  # nothing from an unverified payload is shown


def test_serial_mismatch_is_invalid(issued: tuple[Path, str]) -> None:
    jwks, token = issued
    result = run("--jwks", jwks, f"{PUBLIC_URL}/v/ZZZZZZZZZZZZZZZZZZZZZZ?t={token}")
    assert result.returncode == 1
    assert "serial" in result.stdout


def test_unknown_key_is_invalid(issued: tuple[Path, str], tmp_path: Path) -> None:
    _, token = issued
    other = new_signing_keys(tmp_path / "other")
    other.active()
    jwks = tmp_path / "other.json"
    jwks.write_text(json.dumps(other.jwks()), encoding="utf-8")
    result = run("--jwks", jwks, token)
    assert result.returncode == 1


def test_image(issued: tuple[Path, str], tmp_path: Path) -> None:
    pytest.importorskip("pyzbar.pyzbar")
    jwks, token = issued
    good = tmp_path / "good.png"
    good.write_bytes(render_png(f"{PUBLIC_URL}/v/{SERIAL}?t={token}"))
    result = run("--jwks", jwks, "--image", good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "李四" in result.stdout

    bad = tmp_path / "bad.png"
    bad.write_bytes(render_png(f"{PUBLIC_URL}/v/{SERIAL}?t={tamper(token)}"))
    result = run("--jwks", jwks, "--image", bad)
    assert result.returncode == 1, result.stdout + result.stderr


def test_usage_errors(issued: tuple[Path, str], tmp_path: Path) -> None:
    jwks, token = issued
    assert run(token).returncode == 2  # --jwks is required
    assert run("--jwks", jwks).returncode == 2  # nothing to verify
    assert run("--jwks", tmp_path / "missing.json", token).returncode == 2
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (50, 50), 255).save(blank)
    assert run("--jwks", jwks, "--image", blank).returncode == 2


def test_script_imports_no_flask(tmp_path: Path) -> None:
    code = (
        "import runpy, sys; sys.argv = ['verify_offline.py', '--help'];"
        f"\ntry:\n    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
        "\nexcept SystemExit:\n    pass"
        "\nassert 'flask' not in sys.modules, 'flask imported'"
        "\nassert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'"
        "\nassert 'jxjd.certificates.signing' in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_a_retired_key_signing_after_its_retirement_is_invalid_offline(tmp_path: Path) -> None:
    import time

    from jxjd.certificates.signing import KEY_WINDOW_LEEWAY, ActiveKey

    keys = new_signing_keys(tmp_path / "keys")
    old = keys.active()
    now = int(time.time())
    before = old.sign({**PAYLOAD, "iat": now})
    keys.rotate()
    # Whoever holds the retired key's private half can still sign, but not back into its window.
    stolen = ActiveKey(kid=old.kid, private_key=keys._private_key(old.kid))
    after = stolen.sign({**PAYLOAD, "iat": now + KEY_WINDOW_LEEWAY + 3600})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()), encoding="utf-8")

    assert run("--jwks", jwks, before).returncode == 0
    result = run("--jwks", jwks, f"{PUBLIC_URL}/v/{SERIAL}?t={after}")
    assert result.returncode == 1, result.stdout
    assert "[失败 FAIL] 签发时间在密钥有效期内" in result.stdout
    assert "retired" in result.stdout
    assert "李四" not in result.stdout


def test_a_key_marked_compromised_invalidates_its_tokens_offline(
    issued: tuple[Path, str], tmp_path: Path
) -> None:
    jwks, token = issued
    doc = json.loads(jwks.read_text(encoding="utf-8"))
    doc["keys"][0]["compromised"] = True
    jwks.write_text(json.dumps(doc), encoding="utf-8")
    result = run("--jwks", jwks, token)
    assert result.returncode == 1
    assert "compromised" in result.stdout


def test_an_old_jwks_without_windows_still_verifies_but_says_to_download_again(
    issued: tuple[Path, str],
) -> None:
    jwks, token = issued
    doc = json.loads(jwks.read_text(encoding="utf-8"))
    for key in doc["keys"]:
        key.pop("nbf", None)
        key.pop("exp", None)
    jwks.write_text(json.dumps(doc), encoding="utf-8")
    result = run("--jwks", jwks, token)
    assert result.returncode == 0, result.stdout
    assert "重新下载" in result.stdout
