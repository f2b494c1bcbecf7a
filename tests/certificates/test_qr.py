"""QR rendering of certificate verification URLs."""

from __future__ import annotations

import io
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from jxjd.certificates.qr import render_png, render_svg
from jxjd.certificates.signing import verify_token
from tests.certificates.support import ACTIVE_KEY_IAT, new_signing_keys


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these tests need no app and no DB."""


PUBLIC_URL = "https://jxjd.hrss.hunan.gov.cn"
LONG_TITLE = (
    "湖南省二〇二五年度专业技术人员继续教育公需科目网络培训"
    "暨数字经济与人工智能应用能力提升专题研修班第一期（线上线下混合式）"
)
LONG_BASE = "湖南省专业技术人员继续教育基地（长沙）"
# Each CJK character costs 3 UTF-8 bytes = 4 base64url characters in the URL.
CJK_COST = 4


def make_url(tmp_path: Path, *, title: str = LONG_TITLE, base: str = LONG_BASE) -> str:
    """A realistic verification URL with a real token."""
    serial = secrets.token_urlsafe(16)  # 22 url-safe characters
    assert len(serial) == 22
    active = new_signing_keys(tmp_path / "keys").active()
    payload = {
        "sn": serial,
        "name": "欧阳娜娜",
        "id_masked": "430102********123X",
        "hours": 90,
        "category": "professional",
        "title": title,
        "base": base,
        "end_date": "2025-12-31",
        "iat": ACTIVE_KEY_IAT,
    }
    return f"{PUBLIC_URL}/v/{serial}?t={active.sign(payload)}"


def zbar_texts(png: bytes) -> list[str]:
    """Every QR text pyzbar finds in a PNG."""
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    image = Image.open(io.BytesIO(png))
    return [symbol.data.decode("utf-8") for symbol in pyzbar.decode(image)]


def test_url_stays_under_800_chars(tmp_path: Path) -> None:
    assert len(LONG_TITLE) == 60 and len(LONG_BASE) == 19
    url = make_url(tmp_path)
    assert len(url) < 800, len(url)


def test_url_cost_per_cjk_character(tmp_path: Path) -> None:
    """The budget the issuer must respect: 4 URL characters per CJK character of the payload."""
    short = make_url(tmp_path, title="甲" * 30, base="乙" * 15)
    long = make_url(tmp_path, title="甲" * 60, base="乙" * 30)
    assert len(long) - len(short) == 45 * CJK_COST


def test_png_decodes_to_exactly_the_text(tmp_path: Path) -> None:
    url = make_url(tmp_path)
    png = render_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert zbar_texts(png) == [url]
    token = url.split("?t=", 1)[1]
    keys = new_signing_keys(tmp_path / "keys").public_keys()
    assert verify_token(token, keys).valid


def test_png_options(tmp_path: Path) -> None:
    text = "https://example.org/v/abc?t=x.y.z"
    small = Image.open(io.BytesIO(render_png(text, box_size=2, border=1)))
    large = Image.open(io.BytesIO(render_png(text, box_size=8, border=4)))
    assert small.size[0] < large.size[0]
    assert zbar_texts(render_png(text, box_size=8)) == [text]


def test_svg_is_a_standalone_document(tmp_path: Path) -> None:
    svg = render_svg(make_url(tmp_path))
    assert svg.startswith(b"<?xml")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1 and paths[0].get("d")


def test_svg_rasterised_through_png_matches(tmp_path: Path) -> None:
    """The SVG and the PNG encode the same QR matrix (same module count)."""
    url = make_url(tmp_path)
    root = ET.fromstring(render_svg(url))
    modules_svg = int(float(root.get("viewBox", "0 0 0 0").split()[2]))
    png = Image.open(io.BytesIO(render_png(url, box_size=1, border=4)))
    assert png.size[0] == modules_svg
