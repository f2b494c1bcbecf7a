"""The print QR encoder against the qrcode package: the same symbol, module for module."""

from __future__ import annotations

import random

import numpy as np
import pytest
import qrcode
import qrcode.constants
from qrcode.util import MODE_8BIT_BYTE, QRData

from jxjd.printing import qrmatrix
from jxjd.printing.pdf import PIXEL_150DPI, qr_module, qr_operators


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these tests need no app and no DB."""


URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/?="
# Both sides of every version boundary up to the 800-character QR texts (qrcode picks the
# version independently, so an off-by-one here shows as a different symbol), and beyond.
LENGTHS = sorted(
    {0, 1, 799, 1000, 2331}
    | {qrmatrix.capacity(v) - (2 if v < 10 else 3) + d for v in range(1, 24) for d in (0, 1)}
)


def reference(data: bytes, mask: int | None = None) -> np.ndarray:
    """qrcode's symbol for `data` as one 8-bit segment at level M, without the quiet zone."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=mask
    )
    code.add_data(QRData(data, MODE_8BIT_BYTE))
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def url_bytes(length: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return "".join(rng.choice(URL_CHARS) for _ in range(length)).encode()


@pytest.mark.parametrize("length", LENGTHS)
def test_symbol_and_chosen_mask_match_qrcode(length):
    data = url_bytes(length, length)
    assert np.array_equal(qrmatrix.encode(data), reference(data))


@pytest.mark.parametrize("mask", range(8))
@pytest.mark.parametrize("length", [5, 150, 420, 799])
def test_each_mask_matches_qrcode(length, mask):
    data = url_bytes(length, 1000 + length)
    assert np.array_equal(qrmatrix.encode(data, mask=mask), reference(data, mask))


def test_text_is_encoded_as_utf8():
    text = "https://jxjd.example.cn/v/证书?t=abc"
    assert np.array_equal(qrmatrix.encode(text), reference(text.encode("utf-8")))


def test_the_smallest_version_that_fits_is_chosen():
    assert qrmatrix.fitting_version(14) == 1 and qrmatrix.fitting_version(15) == 2
    assert qrmatrix.fitting_version(779) == 22 and qrmatrix.fitting_version(780) == 23
    assert qrmatrix.encode(url_bytes(799, 1)).shape == (109, 109)


def test_text_beyond_version_40_is_refused():
    with pytest.raises(ValueError, match="do not fit"):
        qrmatrix.encode(b"x" * 2332)


def test_modules_are_whole_pixels_at_150_dpi():
    """An 800-character code gets three 150-dpi pixels a module; small codes get more."""
    large = qr_module(109)
    assert large == pytest.approx(3 * PIXEL_150DPI)
    small = qr_module(29)
    assert small / PIXEL_150DPI == pytest.approx(round(small / PIXEL_150DPI))
    assert small > large


def test_vector_operators_cover_exactly_the_dark_modules():
    symbol = qrmatrix.encode(url_bytes(300, 7))
    ops = qr_operators(symbol, 10.0, 200.0, 1.44).splitlines()
    assert ops[0].startswith("q 0 g 1.4400 0 0 -1.4400 10.0000 200.0000 cm")
    assert ops[-1] == "f Q"
    painted = np.zeros_like(symbol)
    for line in ops[1:-1]:
        col, row, width, height, op = line.split()
        assert op == "re" and height == "1"
        painted[int(row), int(col) : int(col) + int(width)] = True
    assert np.array_equal(painted, symbol)
