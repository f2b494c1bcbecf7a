"""QR code images (PNG, SVG) of a certificate's verification URL."""

from __future__ import annotations

import io
import logging
import os
import secrets
from pathlib import Path

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

from jxjd.common.files import PRIVATE_FILE, private_dir

log = logging.getLogger(__name__)
_warned_dirs: set[str] = set()


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


def read_cached(path: Path) -> bytes | None:
    """The cached image at `path`; None when it is missing, empty or cannot be read."""
    try:
        return path.read_bytes() or None
    except OSError:
        return None


def write_cached(path: Path, data: bytes) -> bool:
    """Store `data` at `path` atomically; a folder that cannot be written is skipped, not fatal.

    Returns whether the file was stored. A failure (read-only or full disk, a path that is not a
    folder) is logged once per folder and leaves no temporary file behind.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        private_dir(path.parent)  # owner-only: the images name people's certificates
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)  # atomic: concurrent renders never serve a half-written file
        return True
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if str(path.parent) not in _warned_dirs:
            _warned_dirs.add(str(path.parent))
            log.warning(
                "QR cache folder %s is not writable (%s); serving uncached", path.parent, exc
            )
        return False
