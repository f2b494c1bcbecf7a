"""A corpus of hostile roster files, built by code (no committed binaries).

Each entry is a file a base — or anyone who obtained a base's token — could upload: far cells, a
huge declared or real extent, zip bombs with true and with forged sizes, XXE and billion laughs,
deep nesting, a shared-strings bomb, legacy .xls, 1,000,000-row files. `CORPUS` says what the
service must answer (status and problem code); tests/attendance/test_hostile.py sends each through
the API, the page upload and the error-report endpoint, and scripts/bench_hostile.py measures the
time and server memory each costs. The bytes are built once per process (`build`).
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
ID_A = "430104199003070015"
MB = 1024 * 1024

HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
)
DATA_ROW = (
    '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
    f'<c r="B2" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
)


# ------------------------------------------------------------------------------ building blocks


def sheet_xml(body: str, *, before: str = "", prolog: str = "") -> str:
    """A worksheet part whose sheetData holds `body`; `before` goes ahead of sheetData."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<worksheet xmlns="{MAIN}">{before}<sheetData>{body}</sheetData></worksheet>'
    )


def workbook(
    sheet: str | bytes | Iterable[bytes],
    *,
    strings: str | bytes | Iterable[bytes] | None = None,
    styles: str | None = None,
    extra: dict[str, bytes] | None = None,
    workbook_xml: str | None = None,
) -> bytes:
    """A minimal .xlsx: content types, relationships, workbook, one sheet, optional strings.

    A part given as an iterable of byte chunks is streamed into the zip (bombs are never held
    whole in memory). No zip64 records, so sizes can be forged in the 32-bit fields.
    """
    parts: dict[str, str | bytes | Iterable[bytes]] = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": workbook_xml
        or (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="学员名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (
                f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                if strings is not None
                else ""
            )
            + (
                f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
                if styles is not None
                else ""
            )
            + "</Relationships>"
        ),
        SHEET: sheet,
    }
    if strings is not None:
        parts[STRINGS] = strings
    if styles is not None:
        parts["xl/styles.xml"] = styles
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, content in parts.items():
            if isinstance(content, str | bytes):
                zf.writestr(name, content.encode() if isinstance(content, str) else content)
            else:
                with zf.open(name, "w") as out:
                    for chunk in content:
                        out.write(chunk)
    return buffer.getvalue()


def forge_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size rewritten, in its local header and directory."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
        pos = zf.start_dir  # type: ignore[attr-defined]
    out[info.header_offset + 22 : info.header_offset + 26] = struct.pack("<I", size)
    while out[pos : pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", out[pos + 28 : pos + 34])
        if out[pos + 46 : pos + 46 + name_len] == member.encode():
            out[pos + 24 : pos + 28] = struct.pack("<I", size)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


def _repeat(prefix: str, unit: bytes, count: int, suffix: str) -> Iterable[bytes]:
    """prefix, `unit` × count, suffix — as chunks of about 1 MB."""
    yield prefix.encode()
    per_chunk = max(1, MB // len(unit))
    block = unit * per_chunk
    left = count
    while left >= per_chunk:
        yield block
        left -= per_chunk
    if left:
        yield unit * left
    yield suffix.encode()


def _open_close_around(prefix: str, suffix: str, body: Callable[[], Iterable[bytes]]):
    """prefix + body chunks + suffix."""
    yield prefix.encode()
    yield from body()
    yield suffix.encode()


# ------------------------------------------------------------------------------ the files


def far_cell(ref: str = "XFD1048576") -> bytes:
    """2 KB: a header and one cell at the far corner of Excel's grid."""
    return workbook(sheet_xml(HEADER_ROW + f'<row r="2"><c r="{ref}"><v>1</v></c></row>'))


def far_row() -> bytes:
    """A row element numbered 1,048,576 holding one ordinary cell."""
    return workbook(sheet_xml(HEADER_ROW + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'))


def declared_dimension() -> bytes:
    """A small sheet that declares the whole grid as its extent."""
    return workbook(sheet_xml(HEADER_ROW + DATA_ROW, before='<dimension ref="A1:XFD1048576"/>'))


def wide_rows() -> bytes:
    """A real extent of 100 columns (cells without references, as some writers emit)."""
    cells = "".join(f"<c><v>{n}</v></c>" for n in range(100))
    return workbook(sheet_xml(HEADER_ROW + f'<row r="2">{cells}</row>'))


def many_cells_in_one_row() -> bytes:
    """One row with 500,000 cells all claiming to be A2."""
    cell = b'<c r="A2"><v>1</v></c>'
    return workbook(_stream_sheet(HEADER_ROW + '<row r="2">', cell, 500_000, "</row>"))


def _stream_sheet(head: str, unit: bytes, count: int, tail: str) -> Iterable[bytes]:
    """A worksheet whose sheetData is head + unit × count + tail, streamed."""
    opening = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}"><sheetData>{head}'
    )
    return _repeat(opening, unit, count, f"{tail}</sheetData></worksheet>")


def million_rows_xlsx() -> bytes:
    """1,000,000 data rows (cells without references: 42 MB of XML, a few hundred KB zipped)."""
    return workbook(
        _stream_sheet(HEADER_ROW, b"<row><c><v>1</v></c><c><v>2</v></c></row>", 1_000_000, "")
    )


def million_blank_rows_xlsx() -> bytes:
    """A header and 1,000,000 empty row elements: nothing to import, a huge real extent."""
    return workbook(_stream_sheet(HEADER_ROW + DATA_ROW, b"<row/>", 1_000_000, ""))


def million_rows_csv() -> bytes:
    """1,000,000 data rows in under 5 MB."""
    return ("姓名,身份证号\n" + "a,1\n" * 1_000_000).encode()


def wide_csv() -> bytes:
    """A CSV line of 200 fields."""
    return ("姓名,身份证号\n" + ",".join(["x"] * 200) + "\n").encode()


def zip_bomb(*, forged: bool, part: str = SHEET) -> bytes:
    """80 MB of whitespace in the sheet (or the shared strings), about 80 KB zipped.

    `forged`: the zip directory claims the part is 1 KB, so only counting the bytes that come out
    of the inflater stops it.
    """
    spaces = b" " * MB
    if part == SHEET:
        data = workbook(
            _open_close_around(
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}{DATA_ROW}',
                "</sheetData></worksheet>",
                lambda: (spaces for _ in range(80)),
            )
        )
    else:
        data = workbook(
            sheet_xml(
                '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                + DATA_ROW
            ),
            strings=_open_close_around(
                f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>',
                "</sst>",
                lambda: (spaces for _ in range(80)),
            ),
        )
    return forge_size(data, part, 1024) if forged else data


def lying_large_size() -> bytes:
    """An ordinary workbook whose zip directory claims a 3 GB sheet."""
    return forge_size(workbook(sheet_xml(HEADER_ROW + DATA_ROW)), SHEET, 3 * 1024 * MB)


def xxe() -> bytes:
    """An external entity pointing at /etc/passwd, used in a cell."""
    body = (
        HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
    )
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return workbook(sheet_xml(body, prolog=prolog))


def xxe_parameter_entity() -> bytes:
    """An external DTD fetched through a parameter entity, in workbook.xml."""
    return workbook(
        sheet_xml(HEADER_ROW + DATA_ROW),
        workbook_xml=(
            '<?xml version="1.0"?>\n'
            '<!DOCTYPE workbook [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="学员名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
    )


def billion_laughs() -> bytes:
    """The classic entity expansion, in the shared strings."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    return workbook(
        sheet_xml(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c>'
            f'<c r="B2" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
        ),
        strings=(
            f'<?xml version="1.0"?>\n<!DOCTYPE sst [{entities}]>'
            f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>'
            "<si><t>&lol9;</t></si></sst>"
        ),
    )


def deep_nesting() -> bytes:
    """A sheet nested 200,000 elements deep."""
    return workbook(_nested(200_000))


def _nested(depth: int) -> Iterable[bytes]:
    """A worksheet with `depth` nested <a> elements inside sheetData."""
    yield from _repeat(
        f'<?xml version="1.0"?>\n<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}',
        b"<a>",
        depth,
        "",
    )
    yield from _repeat("", b"</a>", depth, "</sheetData></worksheet>")


def long_tag() -> bytes:
    """One start tag of 2 MB: 250,000 attributes (each value a legal '>')."""
    attrs = b"".join(b' a%d=">"' % n for n in range(250_000))
    return workbook(
        _open_close_around(
            f'<?xml version="1.0"?>\n<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}<row r="2"><c',
            "><v>1</v></c></row></sheetData></worksheet>",
            lambda: [attrs],
        )
    )


def shared_strings_bomb() -> bytes:
    """2,000,000 empty shared strings (10 MB of XML, a few KB zipped)."""
    return workbook(
        sheet_xml(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + DATA_ROW
        ),
        strings=_repeat(
            f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>',
            b"<si/>",
            2_000_000,
            "</sst>",
        ),
    )


def shared_string_repeated() -> bytes:
    """One 30,000-character shared string referenced by 5 cells of 20,000 rows (3 GB of text)."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>2</v></c><c r="B%d" t="s"><v>2</v></c>'
        b'<c r="C%d" t="s"><v>2</v></c><c r="D%d" t="s"><v>2</v></c>'
        b'<c r="E%d" t="s"><v>2</v></c></row>' % ((n,) * 6)
        for n in range(2, 20_002)
    )
    return workbook(
        _open_close_around(
            f'<?xml version="1.0"?>\n<worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
            "</sheetData></worksheet>",
            lambda: [rows],
        ),
        strings=(
            f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>'
            f"<si><t>{'长' * 30_000}</t></si></sst>"
        ),
    )


def huge_shared_string() -> bytes:
    """One shared string of 1,000,000 characters (Excel allows 32,767)."""
    return workbook(
        sheet_xml(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + DATA_ROW
        ),
        strings=(
            f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>'
            f"<si><t>{'x' * 1_000_000}</t></si></sst>"
        ),
    )


def string_index_out_of_range() -> bytes:
    """A cell pointing at shared string 99,999,999 of 2."""
    return workbook(
        sheet_xml(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>99999999</v></c></row>'
        ),
        strings=f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si></sst>',
    )


def formula_cells() -> bytes:
    """Formulas, including a DDE command, with and without cached values: never evaluated.

    Row 2: the name is a formula whose cached text is 李四, the ID a formula whose cached value
    is a number (the ID column must be text). Row 3: a DDE formula with no cached value as the
    name. Read as cached values, both rows are row errors.
    """
    return workbook(
        sheet_xml(
            HEADER_ROW + '<row r="2"><c r="A2" t="str"><f>CONCAT("李","四")</f><v>李四</v></c>'
            '<c r="B2"><f>430104199003070000+15</f><v>4.30104199003070E+17</v></c></row>'
            '<row r="3"><c r="A3"><f>cmd|\' /C calc\'!A0</f></c>'
            f'<c r="B3" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
        )
    )


def legacy_xls() -> bytes:
    """The OLE2 compound-file signature of an Excel 97–2003 workbook, then filler."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096


def html_as_xls() -> bytes:
    """An HTML table saved with an .xls name, as some systems export."""
    return "<html><table><tr><td>姓名</td><td>身份证号</td></tr></table></html>".encode()


def utf16_csv() -> bytes:
    """Excel's "Unicode text": UTF-16 with a BOM, tab-separated; one valid trainee."""
    return f"姓名\t身份证号\r\n张三\t{ID_A}\r\n".encode("utf-16")


def many_members() -> bytes:
    """A zip of 20,000 tiny members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for n in range(20_000):
            zf.writestr(f"x/{n}", b"")
    return buffer.getvalue()


def bzip2_members() -> bytes:
    """A workbook compressed with bzip2, a method Excel never uses."""
    plain = workbook(sheet_xml(HEADER_ROW + DATA_ROW))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain)) as src,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    return buffer.getvalue()


def garbage_ref() -> bytes:
    """A cell reference that is not one."""
    return workbook(sheet_xml(HEADER_ROW + '<row r="2"><c r="1A$"><v>1</v></c></row>'))


# ------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Hostile:
    """One hostile file and the answer it must get."""

    name: str
    filename: str
    make: Callable[[], bytes]
    status: int
    code: str
    note: str


CORPUS: tuple[Hostile, ...] = (
    Hostile("far_cell_xfd1048576", "a.xlsx", far_cell, 413, "sheet_too_large", "used to abort"),
    Hostile(
        "far_cell_xfd2000",
        "a.xlsx",
        lambda: far_cell("XFD2000"),
        413,
        "sheet_too_large",
        "used to cost 11 s and 1.5 GB",
    ),
    Hostile("far_row", "a.xlsx", far_row, 413, "sheet_too_large", "row 1,048,576"),
    Hostile(
        "declared_dimension",
        "a.xlsx",
        declared_dimension,
        413,
        "sheet_too_large",
        "<dimension ref=A1:XFD1048576>",
    ),
    Hostile("wide_rows", "a.xlsx", wide_rows, 413, "sheet_too_large", "100 real columns"),
    Hostile(
        "many_cells_one_row",
        "a.xlsx",
        many_cells_in_one_row,
        413,
        "sheet_too_large",
        "500,000 cells claiming A2",
    ),
    Hostile(
        "million_rows_xlsx",
        "a.xlsx",
        million_rows_xlsx,
        413,
        "sheet_too_large",
        "1,000,000 data rows",
    ),
    Hostile(
        "million_blank_rows_xlsx",
        "a.xlsx",
        million_blank_rows_xlsx,
        413,
        "sheet_too_large",
        "1,000,000 empty row elements",
    ),
    Hostile(
        "million_rows_csv",
        "a.csv",
        million_rows_csv,
        413,
        "sheet_too_large",
        "1,000,000 data rows, 4 MB",
    ),
    Hostile("wide_csv", "a.csv", wide_csv, 413, "sheet_too_large", "200 fields"),
    Hostile(
        "zip_bomb_true_sizes",
        "a.xlsx",
        lambda: zip_bomb(forged=False),
        413,
        "file_too_large",
        "80 MB sheet, honest directory",
    ),
    Hostile(
        "zip_bomb_forged_sizes",
        "a.xlsx",
        lambda: zip_bomb(forged=True),
        413,
        "file_too_large",
        "80 MB sheet, directory says 1 KB",
    ),
    Hostile(
        "zip_bomb_forged_strings",
        "a.xlsx",
        lambda: zip_bomb(forged=True, part=STRINGS),
        413,
        "file_too_large",
        "80 MB shared strings, directory says 1 KB",
    ),
    Hostile(
        "lying_large_size",
        "a.xlsx",
        lying_large_size,
        413,
        "file_too_large",
        "directory claims 3 GB",
    ),
    Hostile("xxe", "a.xlsx", xxe, 415, "unsupported_file", "SYSTEM entity file:///etc/passwd"),
    Hostile(
        "xxe_parameter_entity",
        "a.xlsx",
        xxe_parameter_entity,
        415,
        "unsupported_file",
        "external DTD via %remote;",
    ),
    Hostile(
        "billion_laughs",
        "a.xlsx",
        billion_laughs,
        415,
        "unsupported_file",
        "10^9 lols in sharedStrings",
    ),
    Hostile("deep_nesting", "a.xlsx", deep_nesting, 415, "unsupported_file", "200,000 levels"),
    Hostile(
        "long_tag",
        "a.xlsx",
        long_tag,
        415,
        "unsupported_file",
        "2 MB start tag, 250,000 attributes",
    ),
    Hostile(
        "shared_strings_bomb",
        "a.xlsx",
        shared_strings_bomb,
        413,
        "file_too_large",
        "2,000,000 shared strings",
    ),
    Hostile(
        "shared_string_repeated",
        "a.xlsx",
        shared_string_repeated,
        413,
        "file_too_large",
        "a 30,000-character string in 100,000 cells",
    ),
    Hostile(
        "huge_shared_string",
        "a.xlsx",
        huge_shared_string,
        413,
        "file_too_large",
        "1,000,000 characters in one string",
    ),
    Hostile(
        "string_index_out_of_range",
        "a.xlsx",
        string_index_out_of_range,
        415,
        "unsupported_file",
        "t=s pointing past the table",
    ),
    Hostile(
        "formula_cells",
        "a.xlsx",
        formula_cells,
        422,
        "invalid_id_number",
        "cached values read, never evaluated",
    ),
    Hostile("legacy_xls", "a.xls", legacy_xls, 415, "unsupported_file", "OLE2 .xls"),
    Hostile(
        "legacy_xls_named_xlsx",
        "a.xlsx",
        legacy_xls,
        415,
        "unsupported_file",
        "OLE2 content, .xlsx name",
    ),
    Hostile(
        "legacy_xls_named_csv",
        "a.csv",
        legacy_xls,
        415,
        "unsupported_file",
        "OLE2 content, .csv name",
    ),
    Hostile("html_as_xls", "a.xls", html_as_xls, 415, "unsupported_file", "HTML table"),
    Hostile("many_members", "a.xlsx", many_members, 415, "unsupported_file", "20,000 members"),
    Hostile("bzip2_members", "a.xlsx", bzip2_members, 415, "unsupported_file", "bzip2 method"),
    Hostile("garbage_ref", "a.xlsx", garbage_ref, 415, "unsupported_file", 'r="1A$"'),
)
# Not hostile, only unusual: decoded, not refused.
UTF16_CSV = Hostile("utf16_csv", "a.csv", utf16_csv, 200, "", "UTF-16, tab-separated")


@functools.cache
def build(name: str) -> bytes:
    """The bytes of a corpus entry, built once per process."""
    entry = next(h for h in (*CORPUS, UTF16_CSV) if h.name == name)
    return entry.make()
