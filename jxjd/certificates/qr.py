"""QR code images (PNG, SVG) of a certificate's verification URL."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage


def _qr(text: str, *, box_size: int, border: int) -> qrcode.QRCode:
    """A fitted QR code of `text` with error correction level M."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def render_png(text: str, *, box_size: int = 6, border: int = 4) -> bytes:
    """A black-on-white PNG of the QR code of `text` (error correction M)."""
    image = _qr(text, box_size=box_size, border=border).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_svg(text: str) -> bytes:
    """A standalone SVG document (one path) of the QR code of `text` (error correction M)."""
    image = _qr(text, box_size=10, border=4).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
