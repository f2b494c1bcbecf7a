"""QR codes of a certificate's verification URL: the module matrix, PNG and SVG images.

Symbols come from zxing-cpp (its encoder is zint's, compiled): byte mode, error correction level
M. It builds an 800-character code in about 2 ms, where the pure-Python qrcode package took 80 ms
scoring its masks, so a class PDF of 600 certificates no longer waits on QR codes. The PNG, the
SVG and the PDF all draw the same matrix.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image

from jxjd.common.files import PRIVATE_FILE, private_dir

log = logging.getLogger(__name__)
_warned_dirs: set[str] = set()
EC_LEVEL = "M"


def _barcode(text: str) -> zxingcpp.Barcode:
    """The QR symbol of `text` at error correction level M."""
    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)


def matrix(text: str) -> np.ndarray:
    """The modules of the QR code of `text` as a square boolean array (True = dark), no border."""
    image = np.asarray(_barcode(text).to_image(scale=1, add_quiet_zones=False))
    return image < 128


def render_png(text: str, *, box_size: int = 6, border: int = 4) -> bytes:
    """A black-on-white PNG of the QR code of `text`: `box_size` pixels a module, `border` modules."""
    dark = np.pad(matrix(text), border)
    pixels = np.where(dark, 0, 255).astype(np.uint8).repeat(box_size, 0).repeat(box_size, 1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def render_svg(text: str, *, border: int = 4) -> bytes:
    """A standalone SVG document of the QR code of `text`: one path, a rectangle per dark run."""
    dark = np.pad(matrix(text), border)
    size = dark.shape[0]
    runs: list[str] = []
    for y, row in enumerate(dark):
        # Where a run of dark modules starts and ends: the edges of the row padded with light.
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        runs.extend(
            f"M{a},{y}h{b - a}v1h{a - b}z" for a, b in zip(edges[::2], edges[1::2], strict=True)
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size * 10}" height="{size * 10}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>\n'
    ).encode()


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
