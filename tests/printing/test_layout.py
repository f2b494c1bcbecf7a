"""The PDF building blocks without the database: fonts from Noto CJK, line wrapping, pages."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth

from jxjd.printing import fonts
from jxjd.printing.pdf import Sheet, render, wrap
from tests.printing import poppler

FONT_DIR = "/usr/share/fonts/opentype/noto"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override tests/conftest.py's autouse DB fixture: these tests need no app and no DB."""


@pytest.fixture(autouse=True)
def _need_noto() -> None:
    if not (Path(FONT_DIR) / fonts.FACES["sans"][0]).is_file():
        pytest.skip("fonts-noto-cjk is not installed")


def sheet(**overrides) -> Sheet:
    data = {
        "serial": "7Q3M9X2KD4RT8VHW5NZC1B6J0A",
        "verify_url": "https://jxjd.example.cn/v/7Q3M9X2KD4RT8VHW5NZC1B6J0A?t=" + "e" * 700,
        "name": "欧阳娜娜",
        "id_masked": "430104********0015",
        "title": "人工智能应用高级研修班（第1期）",
        "base": "湖南某某职业技术学院继续教育学院",
        "category": "general",
        "level": "intermediate",
        "hours": "22.5",
        "start_date": "2026-03-02",
        "end_date": "2026-03-04",
        "issued_at": datetime(2026, 3, 5, 10, 30),
        "alg": "EdDSA",
        "kid": "k2026030501",
    }
    data.update(overrides)
    return Sheet(**data)


def test_the_font_holds_exactly_the_document_characters_as_truetype():
    face = fonts.face(FONT_DIR, "sans")
    data = face.truetype(set("证书ABC１２"), "Test-Sans")
    font = TTFont(io.BytesIO(data))
    assert "glyf" in font and "CFF " not in font  # TrueType outlines, which reportlab embeds
    assert set(font.getBestCmap()) == {ord(c) for c in "证书ABC１２ "}
    assert font["OS/2"].fsType == 0  # installable embedding, as the OFL source says
    assert font["name"].getDebugName(6) == "Test-Sans"
    assert font["glyf"][font.getBestCmap()[ord("证")]].numberOfContours > 0


def test_the_collection_is_closed_after_converting_and_glyphs_are_kept():
    face = fonts.CjkFace(Path(FONT_DIR) / fonts.FACES["sans"][0], fonts.FACES["sans"][1])
    opened = []
    real_open = face._open
    face._open = lambda: opened.append(1) or real_open()
    face.truetype(set("湖南"), "A")
    face.truetype(set("南湖"), "B")  # nothing new: not reopened
    assert len(opened) == 1
    face.truetype(set("南湘\U0002a6a5"), "C")  # one new glyph, one the face lacks
    face.truetype(set("\U0002a6a5"), "D")  # a known absence: not reopened either
    assert len(opened) == 2
    assert face._glyphs[0x2A6A5] is None


def test_a_missing_font_folder_is_a_503_problem(tmp_path):
    with pytest.raises(fonts.FontMissing) as caught:
        fonts.face(str(tmp_path), "sans")
    assert caught.value.status == 503 and caught.value.code == "pdf_font_missing"


def test_document_fonts_are_unregistered_afterwards():
    before = set(pdfmetrics.getRegisteredFontNames())
    with fonts.DocumentFonts(FONT_DIR, {"sans": set("证书"), "serif_bold": set("证书")}) as f:
        assert set(f.names.values()) <= set(pdfmetrics.getRegisteredFontNames())
        assert f.names["sans"] != f.names["serif_bold"]
    assert set(pdfmetrics.getRegisteredFontNames()) == before


@pytest.fixture
def sans():
    with fonts.DocumentFonts(FONT_DIR, {"sans": set(TEXT + "，。")}) as f:
        yield f.names["sans"]


TEXT = "湖南省专业技术人员继续教育基地Python程序设计与人工智能应用高级研修班，第一期。"


def test_wrap_keeps_lines_within_the_width_and_loses_nothing(sans):
    lines = wrap(TEXT, sans, 12, 120)
    assert len(lines) > 2
    assert "".join(lines) == TEXT
    assert all(stringWidth(line, sans, 12) <= 120 for line in lines[:-1] if line[-1] not in "，。")


def test_wrap_keeps_latin_words_whole_and_punctuation_off_line_starts(sans):
    for width in range(60, 200, 7):
        lines = wrap(TEXT, sans, 12, width)
        assert any("Python" in line for line in lines), (width, lines)
        assert not any(line[0] in "，。" for line in lines), (width, lines)


def test_sheet_lists_every_field_in_chinese():
    fields = dict(sheet().fields())
    assert fields["科目类别"] == "公需科目" and fields["培训层次"] == "中级"
    assert fields["学时"] == "22.5" and fields["证书状态"] == "有效"
    assert fields["培训日期"] == "2026-03-02 至 2026-03-04"
    revoked = dict(sheet(revoked_at=datetime(2026, 11, 30), revoked_reason="重复签发").fields())
    assert revoked["证书状态"] == "已撤销"


def test_long_titles_and_a_revocation_still_fit_one_page():
    """The upper half shrinks to fit above the QR code; nothing is drawn over it."""
    long = sheet(
        title="湖南省二〇二六年度专业技术人员继续教育公需科目网络培训暨数字经济与人工智能应用"
        "能力提升专题研修班第一期（线上线下混合式教学，含实操考核与结业答辩环节）",
        base="湖南某某职业技术学院继续教育学院（长沙市岳麓区专业技术人员继续教育基地）",
        revoked_at=datetime(2026, 11, 30, 9),
        revoked_reason="学员身份信息有误，已更正后重新签发新证书。" * 6,
    )
    data = render(
        [long, sheet()], public_url="https://jxjd.example.cn", font_dir=FONT_DIR, title="t"
    )
    assert poppler.page_count(data) == 2
    first = poppler.text(data, page=1).replace("\n", "")
    assert "已撤销" in first and "撤销原因：学员身份信息有误" in first
    assert "…" in first  # the six-times reason is cut to three lines
    y = poppler.baselines(data, 1)
    assert y["证书状态"] > y["培训机构（盖章）"] + 12  # the table ends above the issuer block
    assert (
        y["培训机构（盖章）"]
        > y["主管机关"]
        > y["发证日期"]
        > y["请用手机扫描二维码核验本证书真伪"]
    )
    assert poppler.qr_texts_per_page(data) == [[long.verify_url], [sheet().verify_url]]


def test_render_needs_a_certificate():
    with pytest.raises(ValueError):
        render([], public_url="https://x", font_dir=FONT_DIR, title="t")


def test_raw_cmap_and_advances_agree_with_fonttools():
    """The glyph ids and widths read from the raw tables are fontTools' own, code by code."""
    import random

    from fontTools.ttLib import TTCollection

    path = Path(FONT_DIR) / fonts.FACES["sans"][0]
    font = next(
        f
        for f in TTCollection(str(path), lazy=True).fonts
        if f["name"].getDebugName(6) == fonts.FACES["sans"][1]
    )
    glyph_of = fonts._unicode_cmap(font.getTableData("cmap"))
    advance = fonts._advances(font.getTableData("hmtx"), font["hhea"].numberOfHMetrics)
    best, hmtx = font.getBestCmap(), font["hmtx"]
    rng = random.Random(11)
    codes = list(range(0x20, 0x7F)) + [0x3000, 0xFF01, 0x2A6A5, 0x10FFFF, 0]
    codes += [rng.randint(0x3400, 0x9FFF) for _ in range(1500)]
    codes += [rng.randint(0x20000, 0x2FFFF) for _ in range(300)]
    for code in codes:
        name = best.get(code)
        assert glyph_of(code) == (font.getGlyphID(name) if name else 0), hex(code)
        if name:
            assert advance(glyph_of(code)) == hmtx[name][0], hex(code)
    font.close()
