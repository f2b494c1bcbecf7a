"""Certificates as PDF (CONTRACT §13): one A4 page per certificate, CJK fonts embedded.

Each page carries every signed field (the masked ID number only), the issuer block with a seal
area, and the QR code of the verify URL drawn as vectors on a grid of whole pixels at 150 dpi
(three pixels a module), so that a 150 dpi print or render still decodes. A revoked certificate
is printed with 已撤销, the date and the reason, across the page and above the fields: a printout
kept on file then says what the register says. No database access here: see services.py.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from reportlab import rl_config
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from jxjd.certificates import qr
from jxjd.common.enums import label
from jxjd.printing.fonts import DocumentFonts

# Binary (Flate only) streams: reportlab's default ASCII85 layer makes every stream a quarter
# larger and, without its C accelerator, takes most of the time of a 600-page document.
rl_config.useA85 = 0

AUTHORITY = "湖南省人力资源和社会保障厅"
TITLE = "继续教育培训证书"
SUBTITLE = "电子培训证书"
SCAN_LINE = "请用手机扫描二维码核验本证书真伪"
PAGE_W, PAGE_H = A4
MARGIN = 64.0
INK = Color(0.13, 0.13, 0.13)
MUTED = Color(0.42, 0.42, 0.42)
RULE = Color(0.82, 0.82, 0.82)
ACCENT = Color(0.55, 0.09, 0.09)
REVOKED = Color(0.78, 0.05, 0.05)
SEAL = Color(0.6, 0.6, 0.6)

# The QR grid: at 150 dpi a pixel is 72/150 pt; a module is at least three of them.
PIXEL_150DPI = 72 / 150
MIN_MODULE_PIXELS = 3
QR_TARGET = 150.0  # pt: the symbol's width when its modules may be larger than the minimum
QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)


@dataclass(frozen=True)
class Sheet:
    """What one printed certificate states: its signed fields and what the register adds."""

    serial: str
    verify_url: str
    name: str
    id_masked: str
    title: str
    base: str
    category: str
    level: str
    hours: str
    start_date: str
    end_date: str
    issued_at: datetime  # local time
    alg: str
    kid: str
    revoked_at: datetime | None = None  # local time
    revoked_reason: str | None = None

    def fields(self) -> list[tuple[str, str]]:
        """(label, value) rows of the field table, in print order."""
        return [
            ("姓名", self.name),
            ("身份证号", self.id_masked),
            ("培训班次", self.title),
            ("培训机构", self.base),
            ("科目类别", label("category", self.category)),
            ("培训层次", label("level", self.level) if self.level else "—"),
            ("学时", self.hours),
            ("培训日期", f"{self.start_date} 至 {self.end_date}"),
            ("证书编号", self.serial),
            ("签发时间", f"{self.issued_at:%Y-%m-%d %H:%M}"),
            ("证书状态", "已撤销" if self.revoked_at else "有效"),
        ]


def _chinese_date(value: datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _revoked_lines(sheet: Sheet) -> tuple[str, str]:
    when = f"{sheet.revoked_at:%Y-%m-%d}" if sheet.revoked_at else ""
    return f"本证书已于 {when} 撤销，不再有效", f"撤销原因：{sheet.revoked_reason or '未说明'}"


def _page_texts(sheet: Sheet, public_url: str) -> tuple[str, str]:
    """Every string a page may draw, as (sans text, bold serif text), for the font subsets."""
    sans = [SUBTITLE, SCAN_LINE, AUTHORITY, _caption(public_url), _footer(sheet)]
    sans += [f"{k}{v}" for k, v in sheet.fields()]
    sans += [_statement(sheet), *_issuer_lines(sheet), "主管机关发证日期盖章处…"]
    if sheet.revoked_at:
        sans += _revoked_lines(sheet)
    return "".join(sans), TITLE + "已撤销"


def _statement(sheet: Sheet) -> str:
    return f"兹证明 {sheet.name} 参加下列继续教育培训，经考核合格，特发此证。"


def _issuer_lines(sheet: Sheet) -> list[str]:
    return ["培训机构（盖章）", sheet.base, AUTHORITY, _chinese_date(sheet.issued_at)]


def _caption(public_url: str) -> str:
    return f"或访问 {public_url}/verify 输入证书编号"


def _footer(sheet: Sheet) -> str:
    return f"电子签名 {sheet.alg} · 密钥 {sheet.kid} · 证书内容以扫码核验结果为准"


_TOKEN = re.compile(r"[A-Za-z0-9_\-./:@?=&%]+|\s|.", re.S)
_NO_LINE_START = set("，。、；：？！）》」』】〕”’…,.;:?!)]}·")


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`: CJK breaks anywhere, Latin runs stay whole when
    they fit, and closing punctuation never starts a line (it hangs at the end instead)."""
    lines: list[str] = []
    line, line_width = "", 0.0
    for token in _TOKEN.findall(text):
        token_width = stringWidth(token, font, size)
        if line_width + token_width <= width or not line or token in _NO_LINE_START:
            line, line_width = line + token, line_width + token_width
            continue
        if token_width > width:  # a run longer than a line: break it by character
            for char in token:
                char_width = stringWidth(char, font, size)
                if line and line_width + char_width > width:
                    lines.append(line)
                    line, line_width = "", 0.0
                line, line_width = line + char, line_width + char_width
            continue
        lines.append(line.rstrip())
        line, line_width = token.lstrip(), stringWidth(token.lstrip(), font, size)
    if line or not lines:
        lines.append(line.rstrip())
    return lines


def _clip(lines: list[str], limit: int, font: str, size: float, width: float) -> list[str]:
    """At most `limit` lines; the last one ends with "…" when text was cut."""
    if len(lines) <= limit:
        return lines
    kept = lines[:limit]
    last = kept[-1]
    while last and stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def qr_module(modules: int) -> float:
    """The module size in pt: whole 150-dpi pixels, at least three, about QR_TARGET wide."""
    pixels = max(MIN_MODULE_PIXELS, math.floor(QR_TARGET / modules / PIXEL_150DPI))
    return pixels * PIXEL_150DPI


def _snap(value: float) -> float:
    """`value` moved onto the 150-dpi pixel grid."""
    return round(value / PIXEL_150DPI) * PIXEL_150DPI


_NUMBERS = [f"{i} " for i in range(200)]  # module coordinates: 177 at most (version 40)


def qr_operators(symbol: np.ndarray, x: float, top: float, module: float) -> str:
    """PDF operators that fill the dark modules of `symbol`: one rectangle per horizontal run,
    in module units under one transformation (a few kB a page once compressed)."""
    n = symbol.shape[0]
    padded = np.zeros((n, n + 2), dtype=np.int8)
    padded[:, 1:-1] = symbol
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    num = _NUMBERS
    runs = "1 re\n".join(
        [
            num[c] + num[r] + num[w]
            for r, c, w in zip(
                rows.tolist(), starts.tolist(), (ends - starts).tolist(), strict=True
            )
        ]
    )
    return f"q 0 g {module:.4f} 0 0 {-module:.4f} {x:.4f} {top:.4f} cm\n{runs}1 re\nf Q"


@dataclass(frozen=True)
class _TableStyle:
    size: float  # value font size
    leading: float  # between wrapped lines of a value
    above: float  # from a row's rule to its first baseline
    below: float  # from a row's last baseline to its rule


# Tried in order until the upper half fits above the QR code (long titles, a revocation banner).
TABLE_STYLES = (
    _TableStyle(12, 16, 17, 8),
    _TableStyle(11, 14, 15, 6),
    _TableStyle(10, 12.5, 13, 5),
)
LINE_LIMITS = {"姓名": 2, "培训班次": 4, "培训机构": 2}
QR_BOTTOM = 104.0  # pt above the page's foot; the scan line and the address go below it
HEADER_BOTTOM = PAGE_H - 158.0


class _Page:
    """Draws one certificate on the canvas."""

    def __init__(self, canvas: Canvas, fonts: dict[str, str], public_url: str) -> None:
        self.c, self.public_url = canvas, public_url
        self.sans, self.serif = fonts["sans"], fonts["serif_bold"]
        self.width = PAGE_W - 2 * MARGIN

    def text(self, x, y, s, *, font=None, size=11.0, color=INK, align="left") -> None:
        c = self.c
        c.setFont(font or self.sans, size)
        c.setFillColor(color)
        if align == "center":
            c.drawCentredString(x, y, s)
        else:
            c.drawString(x, y, s)

    def draw(self, sheet: Sheet) -> None:
        symbol = qr.matrix(sheet.verify_url)
        module = qr_module(symbol.shape[0])
        upper_limit = QR_BOTTOM + (symbol.shape[0] + QUIET_ZONE) * module + 10
        if sheet.revoked_at:
            self.watermark()
        self.frame()
        self.text(
            PAGE_W / 2, PAGE_H - 104, TITLE, font=self.serif, size=30, color=ACCENT, align="center"
        )
        self.text(PAGE_W / 2, PAGE_H - 132, SUBTITLE, size=13, color=MUTED, align="center")
        y = HEADER_BOTTOM
        if sheet.revoked_at:
            y = self.revoked_banner(sheet, y)
        statement = _clip(
            wrap(_statement(sheet), self.sans, 13, self.width), 3, self.sans, 13, self.width
        )
        for line in statement:
            y -= 22
            self.text(MARGIN, y, line, size=13)
        y -= 14
        for style in TABLE_STYLES:
            rows = self.table_rows(sheet, style)
            if y - self.table_height(rows, style) >= upper_limit:
                break
        self.table(sheet, rows, style, y)
        self.qr(symbol, module)
        self.issuer(sheet, upper_limit)
        self.text(PAGE_W / 2, 42, _footer(sheet), size=7.5, color=MUTED, align="center")

    def frame(self) -> None:
        c = self.c
        c.setStrokeColor(ACCENT)
        c.setLineWidth(2.2)
        c.rect(28, 28, PAGE_W - 56, PAGE_H - 56)
        c.setLineWidth(0.6)
        c.rect(34, 34, PAGE_W - 68, PAGE_H - 68)

    def watermark(self) -> None:
        c = self.c
        c.saveState()
        c.setFillColor(REVOKED)
        c.setFillAlpha(0.10)
        c.translate(PAGE_W / 2, PAGE_H / 2)
        c.rotate(35)
        c.setFont(self.serif, 150)
        c.drawCentredString(0, -50, "已撤销")
        c.restoreState()

    def revoked_banner(self, sheet: Sheet, y: float) -> float:
        c = self.c
        headline, reason = _revoked_lines(sheet)
        inner = self.width - 110
        lines = _clip(wrap(reason, self.sans, 11, inner), 3, self.sans, 11, inner)
        height = 30 + 15 * len(lines)
        top = y - 4
        c.setStrokeColor(REVOKED)
        c.setFillColor(Color(1, 0.94, 0.94))
        c.setLineWidth(1.5)
        c.rect(MARGIN, top - height, self.width, height, fill=1, stroke=1)
        self.text(
            MARGIN + 14, top - height / 2 - 9, "已撤销", font=self.serif, size=24, color=REVOKED
        )
        self.text(MARGIN + 100, top - 19, headline, size=12, color=REVOKED)
        for i, line in enumerate(lines):
            self.text(MARGIN + 100, top - 36 - 15 * i, line, size=11, color=REVOKED)
        return top - height - 4

    def table_rows(self, sheet: Sheet, style: _TableStyle) -> list[tuple[str, list[str]]]:
        width = self.width - 78
        return [
            (
                key,
                _clip(
                    wrap(value, self.sans, style.size, width),
                    LINE_LIMITS.get(key, 2),
                    self.sans,
                    style.size,
                    width,
                ),
            )
            for key, value in sheet.fields()
        ]

    @staticmethod
    def table_height(rows: list[tuple[str, list[str]]], style: _TableStyle) -> float:
        return sum(
            style.above + style.leading * (len(lines) - 1) + style.below for _, lines in rows
        )

    def table(self, sheet: Sheet, rows, style: _TableStyle, y: float) -> None:
        c = self.c
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, y, PAGE_W - MARGIN, y)
        for key, lines in rows:
            y -= style.above
            self.text(MARGIN + 4, y, key, size=style.size - 1.5, color=MUTED)
            color = REVOKED if key == "证书状态" and sheet.revoked_at else INK
            for i, line in enumerate(lines):
                self.text(MARGIN + 78, y - style.leading * i, line, size=style.size, color=color)
            y -= style.leading * (len(lines) - 1) + style.below
            c.line(MARGIN, y, PAGE_W - MARGIN, y)

    def qr(self, symbol: np.ndarray, module: float) -> None:
        c = self.c
        n = symbol.shape[0]
        quiet = QUIET_ZONE * module
        x, bottom = _snap(MARGIN + quiet), _snap(QR_BOTTOM)
        side = (n + 2 * QUIET_ZONE) * module
        c.setFillColor(white)
        c.rect(x - quiet, bottom - quiet, side, side, fill=1, stroke=0)
        c.addLiteral(qr_operators(symbol, x, bottom + n * module, module))
        # Below the code: the line telling the reader to scan, and the way without a phone.
        text_w = max(side, QR_TARGET + 2 * quiet)
        y = bottom - quiet - 10
        for line in wrap(SCAN_LINE, self.sans, 10, text_w):
            self.text(MARGIN, y, line, size=10)
            y -= 13
        for line in _clip(
            wrap(_caption(self.public_url), self.sans, 8, text_w), 2, self.sans, 8, text_w
        ):
            self.text(MARGIN, y, line, size=8, color=MUTED)
            y -= 11

    def issuer(self, sheet: Sheet, top: float) -> None:
        c = self.c
        left = PAGE_W / 2 + 10
        width = PAGE_W - MARGIN - left
        head, base, authority, date = _issuer_lines(sheet)
        base_lines = _clip(wrap(base, self.sans, 12.5, width), 3, self.sans, 12.5, width)
        y = top - 22
        self.text(left, y, head, size=10, color=MUTED)
        for line in base_lines:
            y -= 19
            self.text(left, y, line, size=12.5)
        base_bottom = y
        y -= 30
        self.text(left, y, "主管机关", size=10, color=MUTED)
        y -= 17
        self.text(left, y, authority, size=12)
        y -= 28
        self.text(left, y, "发证日期", size=10, color=MUTED)
        y -= 17
        self.text(left, y, date, size=12)
        # The seal area: a dashed circle over the organiser's name, where the base stamps the
        # printout. No seal is drawn: an image of one would only imitate a real stamp.
        cx, cy, radius = PAGE_W - MARGIN - 50, base_bottom - 6, 46
        c.saveState()
        c.setStrokeColor(SEAL)
        c.setDash(3, 3)
        c.setLineWidth(0.8)
        c.circle(cx, cy, radius)
        c.restoreState()
        self.text(cx, cy - radius + 14, "盖章处", size=10, color=SEAL, align="center")


def render(
    sheets: Sequence[Sheet] | Iterable[Sheet],
    *,
    public_url: str,
    font_dir: str,
    title: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """One PDF with a page per sheet (at least one sheet); `progress(pages drawn, pages)`."""
    sheets = list(sheets)
    if not sheets:
        raise ValueError("a PDF needs at least one certificate")
    sans: set[str] = set()
    serif: set[str] = set()
    for sheet in sheets:
        s, b = _page_texts(sheet, public_url)
        sans.update(s)
        serif.update(b)
    out = io.BytesIO()
    with DocumentFonts(font_dir, {"sans": sans, "serif_bold": serif}) as fonts:
        canvas = Canvas(
            out,
            pagesize=A4,
            pageCompression=1,
            initialFontName=fonts.names["sans"],
            invariant=0,
        )
        canvas.setTitle(title)
        canvas.setAuthor(AUTHORITY)
        canvas.setSubject("继续教育培训证书")
        canvas.setCreator("jxjd")
        page = _Page(canvas, fonts.names, public_url)
        for done, sheet in enumerate(sheets, start=1):
            page.draw(sheet)
            canvas.showPage()
            if progress is not None:
                progress(done, len(sheets))
        canvas.save()
    return out.getvalue()
