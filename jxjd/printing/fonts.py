"""The CJK fonts PDFs embed: Noto CJK SC (Debian's fonts-noto-cjk), as small TrueType fonts.

reportlab embeds TrueType outlines only, and Noto CJK ships CFF (PostScript) outlines inside .ttc
collections. So a glyph is converted to quadratic outlines (cu2qu, within 1/1000 em) the first
time any document uses it, and kept; every document gets a TrueType font of exactly its
characters, which reportlab subsets and embeds once for all its pages.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as ReportlabTTFont

from jxjd.errors import Problem

log = logging.getLogger(__name__)

DEFAULT_FONT_DIR = "/usr/share/fonts/opentype/noto"
# (file in the font folder, PostScript name of the Simplified Chinese member of the collection)
FACES = {
    "sans": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular"),
    "serif_bold": ("NotoSerifCJK-Bold.ttc", "NotoSerifCJKsc-Bold"),
}


class FontMissing(Problem):
    status, code, title = 503, "pdf_font_missing", "服务器缺少中文字体，暂时无法生成 PDF"


@dataclass(frozen=True)
class _Converted:
    glyph: Glyph
    advance: int


@dataclass(frozen=True)
class _Metrics:
    upem: int
    ascent: int
    descent: int
    os2: dict[str, int]


class CjkFace:
    """One face of a Noto CJK collection, converted to TrueType glyph by glyph on demand.

    The opened face costs about 30 MB (its CFF table), so it is closed again after each
    conversion; the converted glyphs (a few hundred bytes each) and the characters the face
    lacks are kept for the life of the process.
    """

    def __init__(self, path: Path, ps_name: str) -> None:
        self.path, self.ps_name = path, ps_name
        self._lock = threading.Lock()
        self._glyphs: dict[int, _Converted | None] = {}  # code point (-1: .notdef) → glyph
        self._metrics: _Metrics | None = None

    def _open(self) -> TTFont:
        try:
            collection = TTCollection(str(self.path), lazy=True)
        except OSError as exc:
            log.error("CJK font %s cannot be read: %s", self.path, exc)
            raise FontMissing(f"字体文件 {self.path.name} 不可读（需安装 fonts-noto-cjk）") from exc
        for font in collection.fonts:
            if font["name"].getDebugName(6) == self.ps_name:
                return font
        raise FontMissing(f"字体文件 {self.path.name} 中没有 {self.ps_name}")

    def _convert_missing(self, codes: set[int]) -> None:
        """Convert the glyphs of `codes` (and .notdef) from the collection; then close it."""
        font = self._open()
        try:
            upem = font["head"].unitsPerEm
            if self._metrics is None:
                os2 = font["OS/2"]
                names = (
                    "fsType",
                    "sTypoAscender",
                    "sTypoDescender",
                    "sTypoLineGap",
                    "usWinAscent",
                    "usWinDescent",
                    "usWeightClass",
                )
                self._metrics = _Metrics(
                    upem,
                    font["hhea"].ascent,
                    font["hhea"].descent,
                    {name: getattr(os2, name) for name in names},
                )
            # By glyph id, from the raw tables: fontTools' name-keyed cmap and hmtx of 65,535
            # glyphs would cost about 90 MB; the CFF table is needed (about 30 MB) to draw.
            glyph_of = _unicode_cmap(font.getTableData("cmap"))
            advances = _advances(font.getTableData("hmtx"), font["hhea"].numberOfHMetrics)
            cff = font["CFF "].cff
            charstrings = cff[cff.fontNames[0]].CharStrings.charStringsIndex

            def convert(gid: int) -> _Converted:
                pen = TTGlyphPen(None)
                charstrings[gid].draw(Cu2QuPen(pen, upem / 1000, reverse_direction=True))
                return _Converted(pen.glyph(), advances(gid))

            if -1 not in self._glyphs:
                self._glyphs[-1] = convert(0)  # .notdef
            for code in codes:
                gid = glyph_of(code)
                self._glyphs[code] = convert(gid) if gid else None
        finally:
            font.close()

    def truetype(self, characters: set[str], ps_name: str) -> bytes:
        """A TrueType font with the glyphs of `characters` the face has (others fall to .notdef)."""
        wanted = sorted({ord(c) for c in characters} | {0x20})
        with self._lock:  # one conversion at a time; glyph objects are shared between fonts
            missing = {code for code in wanted if code not in self._glyphs}
            if missing or self._metrics is None:
                self._convert_missing(missing)
            metrics = self._metrics
            notdef = self._glyphs[-1]
            assert metrics is not None and notdef is not None  # set by the first conversion
            glyphs = {".notdef": notdef}
            cmap = {}
            for code in wanted:
                converted = self._glyphs[code]
                if converted is None:
                    continue  # the face has no glyph for it: reportlab shows .notdef
                name = f"uni{code:04X}" if code <= 0xFFFF else f"u{code:05X}"
                glyphs[name], cmap[code] = converted, name
            builder = FontBuilder(metrics.upem, isTTF=True)
            builder.setupGlyphOrder(list(glyphs))
            builder.setupCharacterMap(cmap)
            builder.setupGlyf({name: converted.glyph for name, converted in glyphs.items()})
            glyf = builder.font["glyf"]
            builder.setupHorizontalMetrics(
                {
                    name: (converted.advance, getattr(glyf[name], "xMin", 0))
                    for name, converted in glyphs.items()
                }
            )
            builder.setupHorizontalHeader(ascent=metrics.ascent, descent=metrics.descent)
            builder.setupNameTable(
                {"familyName": ps_name, "styleName": "Regular", "psName": ps_name}, mac=False
            )
            builder.setupOS2(**metrics.os2)  # fsType 0: installable embedding (OFL)
            builder.setupPost(keepGlyphNames=False)
            out = io.BytesIO()
            builder.save(out)
        return out.getvalue()


def _unicode_cmap(data: bytes) -> Callable[[int], int]:
    """Code point → glyph id (0: none) from a raw cmap table's Unicode format 12 subtable."""
    (count,) = struct.unpack_from(">H", data, 2)
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4)) and struct.unpack_from(">H", data, offset)[
            0
        ] == 12:
            (groups,) = struct.unpack_from(">I", data, offset + 12)
            table = np.frombuffer(data, dtype=">u4", count=3 * groups, offset=offset + 16)
            starts, ends, first = (
                table.reshape(groups, 3)[:, k].astype(np.int64) for k in range(3)
            )
            break
    else:
        raise FontMissing("字体缺少 Unicode（format 12）字符映射表")

    def glyph_of(code: int) -> int:
        at = int(np.searchsorted(starts, code, side="right")) - 1
        return int(first[at] + code - starts[at]) if at >= 0 and code <= ends[at] else 0

    return glyph_of


def _advances(data: bytes, count: int) -> Callable[[int], int]:
    """Glyph id → advance width, from a raw hmtx table with `count` long metrics."""

    def advance(gid: int) -> int:
        return struct.unpack_from(">H", data, 4 * min(gid, count - 1))[0]

    return advance


_faces: dict[tuple[str, str], CjkFace] = {}
_faces_lock = threading.Lock()


def face(font_dir: str, kind: str) -> CjkFace:
    """The process-wide face `kind` ("sans" or "serif_bold") from `font_dir`."""
    file_name, ps_name = FACES[kind]
    key = (font_dir, kind)
    with _faces_lock:
        if key not in _faces:
            path = Path(font_dir) / file_name
            if not path.is_file():
                raise FontMissing(f"未找到字体文件 {path}（需安装 fonts-noto-cjk）")
            _faces[key] = CjkFace(path, ps_name)
        return _faces[key]


class DocumentFonts:
    """The fonts of one PDF, registered with reportlab under names of their own; a context manager.

    reportlab keeps fonts in a global registry: each document registers fresh names (so concurrent
    documents never share a font's subset state) and unregisters them when it is done.
    """

    def __init__(self, font_dir: str, texts: dict[str, set[str]]) -> None:
        self.font_dir, self.texts = font_dir, texts
        self.names: dict[str, str] = {}
        self._fonts: list[ReportlabTTFont] = []

    def __enter__(self) -> DocumentFonts:
        tag = secrets.token_hex(4)  # this document's names in reportlab's registry
        try:
            for kind, characters in self.texts.items():
                source = face(self.font_dir, kind)
                # The embedded name follows the subset's characters: the same text makes the
                # same bytes (a job's PDF is the synchronous one); the registry name is unique.
                subset = hashlib.sha256("".join(sorted(characters)).encode()).hexdigest()[:8]
                ps_name = f"{source.ps_name}-{subset}"
                data = source.truetype(characters, ps_name)
                font = ReportlabTTFont(f"{ps_name}-{tag}", io.BytesIO(data))
                pdfmetrics.registerFont(font)
                self._fonts.append(font)
                self.names[kind] = font.fontName
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for font in self._fonts:
            font.unregister()
        self._fonts.clear()
