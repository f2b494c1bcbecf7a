"""QR symbols for print, fast enough for a class of 600: byte mode, error correction level M.

The qrcode package (behind the PNG and SVG images) spends about 0.1 s on an 800-character code,
most of it scoring the eight masks in pure Python; a session's PDF needs hundreds of codes in one
request. This encoder does the same work with numpy arrays and yields the same symbol, module for
module, as qrcode does for the text as one 8-bit segment at level M (tests compare the two for
every mask and many lengths). qrcode's tables (block structure, alignment pattern positions, BCH
codes of the format and version information) are reused, so there is one source for them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from qrcode import base as qr_base
from qrcode import constants as qr_constants
from qrcode import util as qr_util

EC_LEVEL = qr_constants.ERROR_CORRECT_M
MODE_BYTE = 0b0100
MAX_VERSION = 40
PAD_BYTES = (0xEC, 0x11)

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = np.zeros(512, dtype=np.int32)
_LOG = np.zeros(256, dtype=np.int32)
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
_EXP[255:510] = _EXP[:255]
_MUL = np.zeros((256, 256), dtype=np.uint8)
_MUL[1:, 1:] = _EXP[(_LOG[1:, None] + _LOG[None, 1:]) % 255]


@lru_cache(maxsize=MAX_VERSION)
def _blocks(version: int) -> tuple[tuple[int, int], ...]:
    """(data codewords, total codewords) of each error-correction block of `version`."""
    return tuple((b.data_count, b.total_count) for b in qr_base.rs_blocks(version, EC_LEVEL))


@lru_cache(maxsize=64)
def _generator_products(ec_count: int) -> np.ndarray:
    """256 × ec_count: each possible feedback byte times the generator's coefficients."""
    poly = np.array([1], dtype=np.int32)
    for i in range(ec_count):  # ∏ (x + α^i)
        nxt = np.zeros(len(poly) + 1, dtype=np.int32)
        nxt[:-1] = poly
        nxt[1:] ^= _MUL[poly, _EXP[i]]
        poly = nxt
    return _MUL[:, poly[1:]]


@lru_cache(maxsize=MAX_VERSION)
def capacity(version: int) -> int:
    """Data codewords of `version` at level M."""
    return sum(data for data, _ in _blocks(version))


def fitting_version(length: int) -> int:
    """The smallest version holding `length` bytes in one 8-bit segment at level M."""
    for version in range(1, MAX_VERSION + 1):
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * length <= 8 * capacity(version):
            return version
    raise ValueError(f"{length} bytes do not fit a QR code at level M")


def _data_codewords(data: bytes, version: int) -> np.ndarray:
    """Mode, count, the bytes, terminator, bit padding and pad codewords (ISO/IEC 18004 7.4)."""
    count_bits = 8 if version < 10 else 16
    limit = 8 * capacity(version)
    value = ((MODE_BYTE << count_bits) | len(data)) << (8 * len(data))
    value |= int.from_bytes(data, "big")
    bits = 4 + count_bits + 8 * len(data)
    terminator = min(4, limit - bits)
    value, bits = value << terminator, bits + terminator
    pad = -bits % 8
    value, bits = value << pad, bits + pad
    out = bytearray(value.to_bytes(bits // 8, "big"))
    while len(out) < limit // 8:
        out.append(PAD_BYTES[(len(out) - bits // 8) % 2])
    return np.frombuffer(bytes(out), dtype=np.uint8)


def _codewords(data: bytes, version: int) -> np.ndarray:
    """The final interleaved codeword sequence: data blocks, then their error correction."""
    blocks = _blocks(version)
    ec_count = blocks[0][1] - blocks[0][0]
    widest = max(d for d, _ in blocks)
    stream = _data_codewords(data, version)
    # Row b holds block b's data; for the division, shorter blocks are padded with leading
    # zeros (which leave the remainder unchanged); for interleaving, with trailing markers.
    lead = np.zeros((len(blocks), widest), dtype=np.uint8)
    trail = np.full((len(blocks), widest), -1, dtype=np.int16)
    offset = 0
    for row, (count, _) in enumerate(blocks):
        lead[row, widest - count :] = stream[offset : offset + count]
        trail[row, :count] = stream[offset : offset + count]
        offset += count
    products = _generator_products(ec_count)
    remainder = np.zeros((len(blocks), ec_count), dtype=np.uint8)
    for column in range(widest):
        feedback = lead[:, column] ^ remainder[:, 0]
        remainder[:, :-1] = remainder[:, 1:]
        remainder[:, -1] = 0
        remainder ^= products[feedback]
    interleaved = trail.T.ravel()
    return np.concatenate([interleaved[interleaved >= 0].astype(np.uint8), remainder.T.ravel()])


class _Layout:
    """Everything about a version that does not depend on the data."""

    def __init__(self, version: int) -> None:
        n = 4 * version + 17
        self.size = n
        modules = np.zeros((n, n), dtype=bool)
        reserved = np.zeros((n, n), dtype=bool)

        def put(rows, cols, values) -> None:
            modules[rows, cols] = values
            reserved[rows, cols] = True

        for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):  # finders and their separators
            for r in range(-1, 8):
                for c in range(-1, 8):
                    if 0 <= row + r < n and 0 <= col + c < n:
                        dark = (
                            (0 <= r <= 6 and c in (0, 6))
                            or (0 <= c <= 6 and r in (0, 6))
                            or (2 <= r <= 4 and 2 <= c <= 4)
                        )
                        put(row + r, col + c, dark)
        positions = qr_util.pattern_position(version)
        for row in positions:  # alignment patterns, except where a finder already is
            for col in positions:
                if reserved[row, col]:
                    continue
                for r in range(-2, 3):
                    for c in range(-2, 3):
                        put(row + r, col + c, max(abs(r), abs(c)) != 1)
        for i in range(8, n - 8):  # timing patterns
            if not reserved[i, 6]:
                put(i, 6, i % 2 == 0)
            if not reserved[6, i]:
                put(6, i, i % 2 == 0)

        # Format information (15 bits, twice) and the dark module; version information (v ≥ 7).
        self.format_cells = [
            (i if i < 6 else i + 1 if i < 8 else n - 15 + i, 8) for i in range(15)
        ] + [(8, n - i - 1 if i < 8 else 15 - i if i < 9 else 15 - i - 1) for i in range(15)]
        self.dark_cell = (n - 8, 8)
        self.version_cells = []
        if version >= 7:
            self.version_cells = [(i // 3, i % 3 + n - 11) for i in range(18)] + [
                (i % 3 + n - 11, i // 3) for i in range(18)
            ]
        for r, c in [*self.format_cells, self.dark_cell, *self.version_cells]:
            put(r, c, False)  # light while the masks are scored, as qrcode scores them
        self.version_bits = qr_util.BCH_type_number(version) if version >= 7 else 0

        # Data modules in placement order: two-column strips from the right, up then down.
        order_rows, order_cols = [], []
        row, step = n - 1, -1
        for col in range(n - 1, 0, -2):
            if col <= 6:
                col -= 1  # skip the vertical timing pattern
            while True:
                for c in (col, col - 1):
                    if not reserved[row, c]:
                        order_rows.append(row)
                        order_cols.append(c)
                row += step
                if row < 0 or row >= n:
                    row -= step
                    step = -step
                    break
        self.rows = np.array(order_rows, dtype=np.intp)
        self.cols = np.array(order_cols, dtype=np.intp)
        self.template = modules

        i, j = np.indices((n, n))
        patterns = [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i * j) % 3 + (i + j) % 2) % 2 == 0,
        ]
        # Each mask, restricted to the data modules, in placement order.
        self.masks = np.stack([p[self.rows, self.cols] for p in patterns])


@lru_cache(maxsize=MAX_VERSION)
def _layout(version: int) -> _Layout:
    return _Layout(version)


def _runs_penalty(lines: np.ndarray) -> np.ndarray:
    """N1 per leading index: each run of five or more same-coloured modules costs its length − 2.

    A run of length L holds L − 4 windows of five equal modules, and L − 2 = (L − 4) + 2: so the
    penalty is the number of such windows plus two for each window that starts a run.
    """
    same = lines[..., 1:] == lines[..., :-1]  # module i+1 continues module i's colour
    width = same.shape[-1]
    window = same[..., : width - 3] & same[..., 1 : width - 2] & same[..., 2 : width - 1]
    window &= same[..., 3:]
    starts = window[..., 0].sum(axis=-1) + (window[..., 1:] & ~same[..., : width - 4]).sum(
        axis=(-2, -1)
    )
    return window.sum(axis=(-2, -1)) + 2 * starts


def _finder_like(lines: np.ndarray) -> np.ndarray:
    """N3 count per leading index: 1:1:3:1:1 patterns with four light modules on one side."""
    width = lines.shape[-1]

    def at(k: int) -> np.ndarray:
        return lines[..., k : width - 10 + k]

    def core(k: int) -> np.ndarray:  # dark, light, dark ×3, light, dark from k on
        return at(k) & ~at(k + 1) & at(k + 2) & at(k + 3) & at(k + 4) & ~at(k + 5) & at(k + 6)

    after = core(0) & ~(at(7) | at(8) | at(9) | at(10))
    before = ~(at(0) | at(1) | at(2) | at(3)) & core(4)
    return (after | before).sum(axis=(-2, -1))


def _penalties(symbols: np.ndarray) -> list[int]:
    """qrcode's lost points (ISO/IEC 18004 N1–N4) of each of the stacked symbols."""
    masks, n, _ = symbols.shape
    runs = _runs_penalty(symbols) + _runs_penalty(symbols.transpose(0, 2, 1))
    top_left = symbols[:, :-1, :-1]
    blocks = (
        (top_left == symbols[:, 1:, :-1])
        & (top_left == symbols[:, :-1, 1:])
        & (top_left == symbols[:, 1:, 1:])
    ).sum(axis=(1, 2))
    finders = _finder_like(symbols) + _finder_like(symbols.transpose(0, 2, 1))
    dark = symbols.sum(axis=(1, 2))
    scores = []
    for m in range(masks):
        percent = float(dark[m]) / (n**2)
        balance = int(abs(percent * 100 - 50) / 5) * 10
        scores.append(int(runs[m]) + 3 * int(blocks[m]) + 40 * int(finders[m]) + balance)
    return scores


def encode(text: str | bytes, *, mask: int | None = None) -> np.ndarray:
    """The QR symbol of `text` (UTF-8) as a square bool array, True = dark, without quiet zone.

    Level M, one 8-bit segment, the smallest version that fits, and (unless `mask` is given) the
    mask qrcode would choose.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    version = fitting_version(len(data))
    layout = _layout(version)
    bits = np.unpackbits(_codewords(data, version)).astype(bool)
    placed = np.zeros(len(layout.rows), dtype=bool)
    placed[: len(bits)] = bits  # the remainder bits stay light before masking
    if mask is None:
        candidates = np.repeat(layout.template[None], 8, axis=0)
        candidates[:, layout.rows, layout.cols] = placed[None] ^ layout.masks
        scores = _penalties(candidates)
        mask = scores.index(min(scores))
    symbol = layout.template.copy()
    symbol[layout.rows, layout.cols] = placed ^ layout.masks[mask]
    format_bits = qr_util.BCH_type_info((EC_LEVEL << 3) | mask)
    for i, (r, c) in enumerate(layout.format_cells):
        symbol[r, c] = bool((format_bits >> (i % 15)) & 1)
    symbol[layout.dark_cell] = True
    for i, (r, c) in enumerate(layout.version_cells):
        symbol[r, c] = bool((layout.version_bits >> (i % 18)) & 1)
    return symbol
