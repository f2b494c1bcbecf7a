"""A transcript as a one-page A4 PDF, drawn with the certificate PDF's fonts, frame and QR grid.

No database access: services build the TranscriptSheet. The QR code is drawn on the 150-dpi
pixel grid of jxjd.printing.pdf, so a print at 150 dpi still decodes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.colors import white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jxjd.certificates import qr
from jxjd.printing.fonts import DocumentFonts
from jxjd.printing.pdf import (
    ACCENT,
    AUTHORITY,
    INK,
    MARGIN,
    MUTED,
    PIXEL_150DPI,
    QUIET_ZONE,
    REVOKED,
    RULE,
    qr_module,
    qr_operators,
)

TITLE = "继续教育学时认定单"
SUBTITLE = "专业技术人员继续教育学时电子认定单"
SCAN_LINE = "请用手机扫描二维码核验本认定单真伪"
HEADERS = ("年度", "公需科目", "专业科目", "合计", "是否达标")
PAGE_W, PAGE_H = A4


@dataclass(frozen=True)
class YearRow:
    """One year of the table."""

    year: int
    general: str
    professional: str
    total: str
    compliant: bool


@dataclass(frozen=True)
class TranscriptSheet:
    """What a printed transcript states: the signed statement, serial, key and QR text."""

    serial: str
    verify_url: str
    name: str
    id_masked: str
    from_year: int
    to_year: int
    years: list[YearRow]
    compliant: bool
    issued_at: datetime  # local time
    alg: str
    kid: str
    public_url: str

    def statement(self) -> str:
        return (
            f"兹认定 {self.name}（身份证号 {self.id_masked}）{self.from_year}—{self.to_year} 年度"
            "继续教育学时如下（截至签发时，按各年度学时要求核算）："
        )

    def conclusion(self) -> str:
        verdict = "各年度均达到" if self.compliant else "未全部达到"
        return f"结论：{self.from_year}—{self.to_year} 年度{verdict}当年学时要求。"

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows under the table."""
        return [
            ("认定单编号", _grouped(self.serial)),
            ("签发时间", f"{self.issued_at:%Y-%m-%d %H:%M}"),
            ("签发机构", AUTHORITY),
        ]

    def footer(self) -> str:
        return f"电子签名 {self.alg} · 密钥 {self.kid} · 学时以扫码核验结果为准，仅证明签发时的记录"

    def caption(self) -> str:
        return f"或访问 {self.public_url}/verify 输入认定单编号"

    def texts(self) -> str:
        """Every character the page draws (for the font subset)."""
        parts = [SUBTITLE, SCAN_LINE, self.statement(), self.conclusion(), self.footer()]
        parts += [self.caption(), *HEADERS, "达标", "未达标", "0123456789.—-:"]
        parts += [f"{k}{v}" for k, v in self.lines()]
        for row in self.years:
            parts += [str(row.year), row.general, row.professional, row.total]
        return "".join(parts)


def _grouped(serial: str) -> str:
    return "-".join(serial[i : i + 4] for i in range(0, len(serial), 4))


def _chunks(text: str, width: int) -> list[str]:
    """Plain fixed-width wrapping (the statement is CJK text with few Latin runs)."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


class _Page:
    def __init__(self, canvas: Canvas, fonts: dict[str, str]) -> None:
        self.c, self.sans, self.serif = canvas, fonts["sans"], fonts["serif_bold"]

    def text(self, x, y, s, *, font=None, size=11.0, color=INK, align="left") -> None:
        self.c.setFont(font or self.sans, size)
        self.c.setFillColor(color)
        (self.c.drawCentredString if align == "center" else self.c.drawString)(x, y, s)

    def draw(self, sheet: TranscriptSheet) -> None:
        c = self.c
        c.setStrokeColor(ACCENT)
        c.setLineWidth(2.2)
        c.rect(28, 28, PAGE_W - 56, PAGE_H - 56)
        c.setLineWidth(0.6)
        c.rect(34, 34, PAGE_W - 68, PAGE_H - 68)
        self.text(
            PAGE_W / 2, PAGE_H - 100, TITLE, font=self.serif, size=26, color=ACCENT, align="center"
        )
        self.text(PAGE_W / 2, PAGE_H - 126, SUBTITLE, size=12, color=MUTED, align="center")
        y = PAGE_H - 160
        for line in _chunks(sheet.statement(), 36):
            self.text(MARGIN, y, line, size=12)
            y -= 19
        y = self.table(sheet, y - 6)
        self.text(
            MARGIN, y - 22, sheet.conclusion(), size=12, color=INK if sheet.compliant else REVOKED
        )
        y -= 50
        for key, value in sheet.lines():
            self.text(MARGIN + 4, y, key, size=10, color=MUTED)
            self.text(MARGIN + 90, y, value, size=11)
            y -= 20
        self.qr(sheet)
        self.text(PAGE_W / 2, 42, sheet.footer(), size=7.5, color=MUTED, align="center")

    def table(self, sheet: TranscriptSheet, y: float) -> float:
        c = self.c
        width = PAGE_W - 2 * MARGIN
        columns = [MARGIN + width * f for f in (0.02, 0.22, 0.42, 0.62, 0.80)]
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, y, PAGE_W - MARGIN, y)
        y -= 18
        for x, head in zip(columns, HEADERS, strict=True):
            self.text(x, y, head, size=10, color=MUTED)
        y -= 8
        c.line(MARGIN, y, PAGE_W - MARGIN, y)
        for row in sheet.years:
            y -= 18
            cells = (str(row.year), row.general, row.professional, row.total)
            for x, value in zip(columns, cells, strict=False):
                self.text(x, y, value, size=11)
            self.text(
                columns[4],
                y,
                "达标" if row.compliant else "未达标",
                size=11,
                color=INK if row.compliant else REVOKED,
            )
            y -= 8
            c.line(MARGIN, y, PAGE_W - MARGIN, y)
        return y

    def qr(self, sheet: TranscriptSheet) -> None:
        symbol = qr.matrix(sheet.verify_url)
        n = symbol.shape[0]
        module = qr_module(n)
        quiet = QUIET_ZONE * module
        x = round((PAGE_W - MARGIN - n * module - quiet) / PIXEL_150DPI) * PIXEL_150DPI
        bottom = round(96 / PIXEL_150DPI) * PIXEL_150DPI
        side = (n + 2 * QUIET_ZONE) * module
        self.c.setFillColor(white)
        self.c.rect(x - quiet, bottom - quiet, side, side, fill=1, stroke=0)
        self.c.addLiteral(qr_operators(symbol, x, bottom + n * module, module))
        self.text(MARGIN, bottom + 40, SCAN_LINE, size=10)
        self.text(MARGIN, bottom + 24, sheet.caption(), size=8, color=MUTED)


def render(sheet: TranscriptSheet, *, font_dir: str) -> bytes:
    """The transcript as a one-page PDF."""
    out = io.BytesIO()
    texts = {"sans": set(sheet.texts()), "serif_bold": set(TITLE)}
    with DocumentFonts(font_dir, texts) as fonts:
        canvas = Canvas(
            out, pagesize=A4, pageCompression=1, initialFontName=fonts.names["sans"], invariant=0
        )
        canvas.setTitle(f"{TITLE} {sheet.serial}")
        canvas.setAuthor(AUTHORITY)
        canvas.setSubject(TITLE)
        canvas.setCreator("jxjd")
        _Page(canvas, fonts.names).draw(sheet)
        canvas.showPage()
        canvas.save()
    return out.getvalue()
