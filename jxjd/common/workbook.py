"""Reading an uploaded .xlsx workbook with bounded work and memory, whatever the file claims.

No reader here ever builds a grid. The roster sheet is streamed and handed out row by row:

- Every zip member read is inflated by our own loop, which counts the bytes that actually come out
  (the sizes written in the zip directory are never trusted) and refuses with 413 past the budget.
- Every XML part goes through expat with no DTD: a DOCTYPE refuses the file before any entity can
  be declared, so nothing is ever expanded or fetched (XXE, billion laughs). Nesting depth, the
  number of elements and the length of a single tag (bytes expat holds without reaching an event)
  are capped.
- The sheet's extent is checked as each element starts, before anything is stored: the declared
  `<dimension>`, every row number and cell reference, the number of rows and of cells in a row.
  Past the row cap or 64 columns → 413 `sheet_too_large`.
- Shared strings are read up front with their own caps (count, characters per string); a cell
  pointing at a string that does not exist makes the workbook invalid.

Cells come out as openpyxl gives them: text as str, whole numbers as int, other numbers as float,
booleans, numbers in a date format as date (whole days), datetime or time, error values (#N/A)
as their text, empty cells as None. A formula cell is read as the value Excel cached when it saved
the file; formulas are never evaluated (no cached value reads as blank). Text handed out is also
capped, since one shared string may be repeated in every cell.

A 10,000-row roster reads in about 0.2 s of CPU (scripts/bench_ingest.py prints the figure; the
callbacks are closures for speed). python-calamine read it in 0.06 s, but it builds the dense grid
from A1 to the farthest cell, and bounding it needs an expat pre-scan of the same XML (0.09 s)
that would have to agree with it on every cell's position: one parser is the simpler guarantee.
"""

from __future__ import annotations

import math
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import NoReturn
from xml.parsers import expat

from jxjd.errors import PayloadTooLarge, UnsupportedMediaType

MAX_COLUMNS = 64
# Rows a file may have beyond its data rows: the header and a few title rows above it.
HEADER_ALLOWANCE = 10
# Everything inflated for one upload, all parts together.
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
# Excel's own limit on the text of one cell.
MAX_CELL_CHARS = 32_767

NOT_A_WORKBOOK_DETAIL = (
    "文件不是有效的Excel工作簿（.xlsx）。如果是旧版.xls文件或设置了打开密码，"
    "请用Excel另存为不加密的.xlsx文件后再上传"
)

_CHUNK = 64 * 1024
_MAX_MEMBERS = 10_000
_MAX_DEPTH = 64
# Bytes expat may hold without reaching an event: one tag (with its attributes) or comment.
_MAX_PENDING_BYTES = 1024 * 1024
# workbook.xml and the .rels parts: a few KB in any real workbook.
_SMALL_PART_BYTES = 4 * 1024 * 1024
_SMALL_PART_ELEMENTS = 50_000
# styles.xml: Excel allows 64,000 cell formats; a bloated real one is a few MB.
_STYLES_BYTES = 16 * 1024 * 1024
_STYLES_ELEMENTS = 1_000_000
# Characters of text the sheet's cells may hand out, per row of the extent (~16 per column).
_TEXT_CHARS_PER_ROW = 1024
# Distinct texts a roster may have per row: a real one has 3 or 4 (name, ID, unit, result).
_STRINGS_PER_ROW = 16

# Element names are matched by local name, whatever the prefix (as Excel's other readers do).
_TAG: dict[str, str] = {
    local: local
    for local in "row c v t is rPh dimension si sheet workbookPr numFmt xf cellXfs Relationship".split()
}
_REF_RE = re.compile(r"([A-Za-z]+)([0-9]+)")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _column_letters(number: int) -> str:
    """1 → "A", 64 → "BL"."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMN: dict[str, int] = {_column_letters(n): n for n in range(1, MAX_COLUMNS + 1)}
# Built-in number formats that show dates or times (ECMA-376 18.8.30 and the CJK locales).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE_RE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')
_EXCEL_1900 = datetime(1899, 12, 30)
_EXCEL_1904 = datetime(1904, 1, 1)
_LAST_SERIAL = 2_958_466  # 10000-01-01


class SheetTooLarge(PayloadTooLarge):
    """The worksheet's extent exceeds the row cap or 64 columns (CONTRACT §11)."""

    code, title = "sheet_too_large", "工作表范围过大"


def sheet_too_large(what: str, max_rows: int) -> SheetTooLarge:
    """413 for a roster file wider than 64 columns or longer than the row cap allows."""
    return SheetTooLarge(
        f"{what}，超过名单上限（{max_rows}行数据、{MAX_COLUMNS}列）。请删除名单以外的行和列"
        "（或把名单复制到新的工作簿），名单超过上限时请按班次拆分后再上传",
        max_rows=max_rows,
        max_columns=MAX_COLUMNS,
    )


# --------------------------------------------------------------------------------------------
# The roster sheet
# --------------------------------------------------------------------------------------------


def read_xlsx_rows(
    data: bytes, *, max_rows: int, preferred_sheet: str
) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) for each row element of the roster sheet, in file order.

    The sheet is `preferred_sheet` when the workbook has it, else the first visible worksheet.
    `max_rows` (data rows) bounds the extent: no row number or cell reference beyond
    max_rows + HEADER_ALLOWANCE, no more row elements than that; `cells[i]` is column i + 1.
    """
    # Each member has a directory entry: count them before zipfile builds an object for each.
    if data.count(b"PK\x01\x02") > _MAX_MEMBERS:
        raise _corrupt(f"压缩包内的文件超过{_MAX_MEMBERS}个")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise UnsupportedMediaType(NOT_A_WORKBOOK_DETAIL, code="unsupported_file") from exc
    with archive:
        members = archive.infolist()
        if len(members) > _MAX_MEMBERS:
            raise _corrupt(f"压缩包内有{len(members)}个文件")
        # An honest zip bomb says how big it is: refuse it before inflating anything.
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise _unzipped_too_large()
        book = _Package(data, archive)
        yield from book.roster_rows(max_rows=max_rows, preferred_sheet=preferred_sheet)


class _Package:
    """The parts of one workbook, read on demand within one inflation budget."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile) -> None:
        self.data = data
        self.archive = archive
        self.budget = _Budget(MAX_UNZIPPED_BYTES)

    def roster_rows(
        self, *, max_rows: int, preferred_sheet: str
    ) -> Iterator[tuple[int, list[object]]]:
        """Locate the sheet, read styles and shared strings, then stream the sheet's rows."""
        root = self._relationships("_rels/.rels", "")
        workbook_path = next(
            (target for kind, target in root.values() if kind == "officeDocument"),
            "xl/workbook.xml",
        )
        folder = posixpath.dirname(workbook_path)
        book = _WorkbookHandler(_SMALL_PART_ELEMENTS)
        self._parse_all(workbook_path, book, _SMALL_PART_BYTES)
        rels_path = posixpath.join(folder, "_rels", posixpath.basename(workbook_path) + ".rels")
        rels = self._relationships(rels_path, folder)
        name, sheet_path = _choose_sheet(book.sheets, rels, preferred_sheet)

        date_styles: frozenset[str] = frozenset()
        styles_path = next((t for kind, t in rels.values() if kind == "styles"), None)
        if styles_path is not None and self._member(styles_path, required=False) is not None:
            styles = _StylesHandler(_STYLES_ELEMENTS)
            self._parse_all(styles_path, styles, _STYLES_BYTES)
            date_styles = styles.date_styles()

        extent = max_rows + HEADER_ALLOWANCE
        cells_cap = extent * MAX_COLUMNS
        strings: list[str] = []
        strings_path = next((t for kind, t in rels.values() if kind == "sharedStrings"), None)
        if strings_path is not None and self._member(strings_path, required=False) is not None:
            max_strings = extent * _STRINGS_PER_ROW
            shared = _SharedStringsHandler(6 * max_strings, max_strings=max_strings)
            self._parse_all(strings_path, shared, MAX_UNZIPPED_BYTES)
            strings = shared.strings

        sheet = _SheetHandler(
            # c and v per cell, one row element per row, and a little besides.
            2 * cells_cap + extent + 100_000,
            name=name,
            strings=strings,
            date_styles=date_styles,
            epoch=_EXCEL_1904 if book.date1904 else _EXCEL_1900,
            max_rows=max_rows,
        )
        for _ in self._parse(sheet_path, sheet, MAX_UNZIPPED_BYTES):
            if sheet.rows:
                yield from sheet.rows
                sheet.rows.clear()
        yield from sheet.rows

    def _member(self, path: str, *, required: bool = True) -> zipfile.ZipInfo | None:
        """The zip entry of a part (None, or 415 when required, if the workbook lacks it)."""
        try:
            return self.archive.getinfo(path)
        except KeyError:
            if required:
                raise _corrupt(f"缺少{path}") from None
            return None

    def _relationships(self, path: str, folder: str) -> dict[str, tuple[str, str]]:
        """Id → (type's last segment, part path) of a .rels part; empty when it is absent."""
        if self._member(path, required=False) is None:
            return {}
        handler = _RelationshipsHandler(_SMALL_PART_ELEMENTS)
        self._parse_all(path, handler, _SMALL_PART_BYTES)
        out: dict[str, tuple[str, str]] = {}
        for rel_id, kind, target, mode in handler.relationships:
            if mode == "External" or not target:
                continue
            if target.startswith("/"):
                resolved = posixpath.normpath(target.lstrip("/"))
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[rel_id] = (kind.rsplit("/", 1)[-1], resolved)
        return out

    def _parse_all(self, path: str, handler: _Handler, limit: int) -> None:
        """Parse one whole part."""
        for _ in self._parse(path, handler, limit):
            pass

    def _parse(self, path: str, handler: _Handler, limit: int) -> Iterator[None]:
        """Feed a part to expat chunk by chunk (at most `limit` bytes), yielding after each."""
        info = self._member(path, required=True)
        assert info is not None  # required: a missing part was refused
        parser = expat.ParserCreate(encoding="UTF-8")
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.UnparsedEntityDeclHandler = _refuse_dtd
        parser.ExternalEntityRefHandler = _refuse_dtd
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
        fed = 0
        try:
            for chunk in _inflate(self.data, info, self.budget, limit):
                parser.Parse(chunk, False)
                fed += len(chunk)
                # Text is reported as it comes; a tag or comment is held until it ends.
                if fed - parser.CurrentByteIndex > _MAX_PENDING_BYTES:
                    raise _corrupt(f"{path}中有超长的标签")
                yield
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _corrupt(f"{path}不是有效的XML") from exc
        yield


def _choose_sheet(
    sheets: list[tuple[str, str, str]], rels: dict[str, tuple[str, str]], preferred: str
) -> tuple[str, str]:
    """(name, part path) of the sheet named `preferred`, else the first visible worksheet."""
    worksheets = [
        (name, state, rels[rel_id][1])
        for name, state, rel_id in sheets
        if rel_id in rels and rels[rel_id][0] == "worksheet"
    ]
    if not worksheets:
        raise _corrupt("工作簿中没有工作表")
    for name, _state, path in worksheets:
        if name == preferred:
            return name, path
    for name, state, path in worksheets:
        if state not in ("hidden", "veryHidden"):
            return name, path
    return worksheets[0][0], worksheets[0][2]


# --------------------------------------------------------------------------------------------
# Inflating zip members
# --------------------------------------------------------------------------------------------


class _Budget:
    """Bytes that may still be inflated for this upload."""

    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _unzipped_too_large()


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: _Budget, limit: int) -> Iterator[bytes]:
    """A member's content in chunks, counted as it is inflated: 413 past `limit` or the budget."""
    if info.flag_bits & 0x1:
        raise _corrupt("文件已加密")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt("压缩方式不受支持")
    start = info.header_offset
    header = data[start : start + 30]
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    begin = start + 30 + name_length + extra_length
    end = begin + info.compress_size
    if end > len(data):
        raise _corrupt()
    produced = 0
    crc = 0
    for chunk in _raw_chunks(memoryview(data)[begin:end], info.compress_type):
        produced += len(chunk)
        if produced > limit:
            raise _unzipped_too_large(info.filename)
        budget.take(len(chunk))
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if crc != info.CRC:
        raise _corrupt("校验和不符")


def _raw_chunks(compressed: memoryview, method: int) -> Iterator[bytes]:
    """Inflate (or copy) a member's bytes, never more than one chunk of output at a time."""
    if method == zipfile.ZIP_STORED:
        for i in range(0, len(compressed), _CHUNK):
            yield bytes(compressed[i : i + _CHUNK])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for i in range(0, len(compressed), _CHUNK):
            pending: bytes | memoryview = compressed[i : i + _CHUNK]
            while pending:
                chunk = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                if chunk:
                    yield chunk
            if inflater.eof:
                break
        while not inflater.eof:
            chunk = inflater.decompress(b"", _CHUNK)
            if not chunk:
                break
            yield chunk
    except zlib.error as exc:
        raise _corrupt("压缩数据损坏") from exc
    if not inflater.eof:
        raise _corrupt("压缩数据不完整")


# --------------------------------------------------------------------------------------------
# XML handlers
# --------------------------------------------------------------------------------------------


_Callbacks = tuple[
    Callable[[str, dict[str, str]], None], Callable[[str], None], Callable[[str], None]
]


class _Handler:
    """Expat callbacks that count elements and depth; subclasses act on the elements they need."""

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self.depth = 0
        self.elements = 0
        # What expat calls; the hot handlers replace them with closures over local state.
        self.start: Callable[[str, dict[str, str]], None] = self._start
        self.end: Callable[[str], None] = self._end
        self.text: Callable[[str], None] = self._text

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > _MAX_DEPTH:
            raise _corrupt("XML嵌套过深")
        if self.elements > self.max_elements:
            raise _too_many_elements()
        tag = _TAG.get(name) or _prefixed_tag(name)
        if tag is not None:
            self.open(tag, attrs)

    def _end(self, name: str) -> None:
        self.depth -= 1
        tag = _TAG.get(name) or _prefixed_tag(name)
        if tag is not None:
            self.close(tag)

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        """An element we know starts."""

    def close(self, tag: str) -> None:
        """An element we know ends."""

    def _text(self, data: str) -> None:
        """Character data."""


class _RelationshipsHandler(_Handler):
    """A .rels part: (Id, Type, Target, TargetMode) of each relationship."""

    def __init__(self, max_elements: int) -> None:
        super().__init__(max_elements)
        self.relationships: list[tuple[str, str, str, str]] = []

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship":
            self.relationships.append(
                (
                    attrs.get("Id", ""),
                    attrs.get("Type", ""),
                    attrs.get("Target", ""),
                    attrs.get("TargetMode", ""),
                )
            )


class _WorkbookHandler(_Handler):
    """workbook.xml: the sheets (name, state, relationship id) and the date system."""

    def __init__(self, max_elements: int) -> None:
        super().__init__(max_elements)
        self.sheets: list[tuple[str, str, str]] = []
        self.date1904 = False

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            self.sheets.append((attrs.get("name", ""), attrs.get("state", ""), rel_id))
        elif tag == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")


class _StylesHandler(_Handler):
    """styles.xml: which cell formats (the `s` of a cell) show numbers as dates."""

    def __init__(self, max_elements: int) -> None:
        super().__init__(max_elements)
        self.formats: dict[str, str] = {}
        self.cell_formats: list[str] = []
        self.in_cell_xfs = False

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            self.formats[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            self.in_cell_xfs = True
        elif tag == "xf" and self.in_cell_xfs:
            self.cell_formats.append(attrs.get("numFmtId", "0"))

    def close(self, tag: str) -> None:
        if tag == "cellXfs":
            self.in_cell_xfs = False

    def date_styles(self) -> frozenset[str]:
        """The `s` values (as written in the sheet) whose number format is a date or time."""
        return frozenset(
            str(index)
            for index, format_id in enumerate(self.cell_formats)
            if _is_date_format(format_id, self.formats.get(format_id))
        )


def _is_date_format(format_id: str, code: str | None) -> bool:
    """True for a built-in date/time format, or a custom code with d, m, y, h or s in it."""
    if code is None:
        return format_id.isdigit() and int(format_id) in _DATE_FORMAT_IDS
    visible = _FORMAT_NOISE_RE.sub("", code.split(";", 1)[0]).lower()
    return any(ch in visible for ch in "dmyhs")


class _SharedStringsHandler(_Handler):
    """sharedStrings.xml: the text of each <si> (runs joined, phonetic runs left out).

    Closures over local state, as for the sheet: a shared-string table may be large.
    """

    def __init__(self, max_elements: int, *, max_strings: int) -> None:
        super().__init__(max_elements)
        self.strings: list[str] = []
        self.start, self.end, self.text = self._callbacks(self.strings, max_strings)

    def _callbacks(self, strings: list[str], max_strings: int) -> _Callbacks:
        """start, end and text for expat."""
        tag_of = _TAG.get
        max_elements = self.max_elements
        depth = elements = length = phonetic = 0
        parts: list[str] = []
        capture = False

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, elements, length, phonetic, parts, capture
            depth += 1
            elements += 1
            if depth > _MAX_DEPTH or elements > max_elements:
                raise _corrupt("XML嵌套过深") if depth > _MAX_DEPTH else _too_many_elements()
            tag = tag_of(name) or _prefixed_tag(name)
            if tag == "t":
                capture = not phonetic
            elif tag == "si":
                parts = []
                length = 0
            elif tag == "rPh":
                phonetic += 1

        def end(name: str) -> None:
            nonlocal depth, phonetic, capture
            depth -= 1
            tag = tag_of(name) or _prefixed_tag(name)
            if tag == "t":
                capture = False
            elif tag == "si":
                strings.append("".join(parts))
                if len(strings) > max_strings:
                    raise PayloadTooLarge(
                        f"工作簿的共享字符串超过{max_strings}个，内容远多于一份名单，"
                        "请只保留学员名单后再上传",
                        code="file_too_large",
                    )
            elif tag == "rPh":
                phonetic -= 1

        def text(data: str) -> None:
            nonlocal length
            if capture:
                parts.append(data)
                length += len(data)
                if length > MAX_CELL_CHARS:
                    raise _cell_too_long()

        return start, end, text


class _SheetHandler(_Handler):
    """A worksheet, streamed: finished rows collect in `rows` for the caller to take.

    The callbacks are closures over local state (about twice as fast as attributes of self):
    they run for every element of a sheet that may have a million.
    """

    def __init__(
        self,
        max_elements: int,
        *,
        name: str,
        strings: list[str],
        date_styles: frozenset[str],
        epoch: datetime,
        max_rows: int,
    ) -> None:
        super().__init__(max_elements)
        self.name = name
        self.max_rows = max_rows
        self.rows: list[tuple[int, list[object]]] = []
        self.start, self.end, self.text = self._callbacks(
            strings, date_styles, epoch, max_rows + HEADER_ALLOWANCE
        )

    def _callbacks(
        self, strings: list[str], date_styles: frozenset[str], epoch: datetime, extent: int
    ) -> _Callbacks:
        """start, end and text for expat."""
        tag_of = _TAG.get
        max_elements = self.max_elements
        too_large = self._too_large
        depth = elements = row_count = row = col = cell_count = length = phonetic = 0
        text_left = extent * _TEXT_CHARS_PER_ROW
        row_text = ""
        cells: list[object] | None = None
        cell_type = cell_style = raw = inline = None
        parts: list[str] = []
        capture = in_inline = False

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, elements, row_count, row, col, cell_count, length, phonetic
            nonlocal row_text, cells, cell_type, cell_style, raw, inline, parts, capture
            nonlocal in_inline
            depth += 1
            elements += 1
            if depth > _MAX_DEPTH or elements > max_elements:
                raise _corrupt("XML嵌套过深") if depth > _MAX_DEPTH else _too_many_elements()
            tag = tag_of(name) or _prefixed_tag(name)
            if tag is None:
                return
            if tag == "c":
                col = _cell_column(attrs.get("r"), col, row, row_text, extent, too_large)
                cell_count += 1
                if cell_count > MAX_COLUMNS:
                    raise too_large(f"第{row}行有{cell_count}个以上单元格")
                cell_type, cell_style, raw, inline = attrs.get("t"), attrs.get("s"), None, None
            elif tag == "v":
                parts, length, capture = [], 0, True
            elif tag == "is":
                parts, length, in_inline = [], 0, True
            elif tag == "t":
                capture |= in_inline and not phonetic
            elif tag == "row":
                row_count += 1
                row = _next_row(attrs.get("r"), row, row_count, extent, too_large)
                row_text, cells, col, cell_count = str(row), [], 0, 0
            elif tag == "rPh":
                phonetic += 1
            elif tag == "dimension":
                self._check_dimension(attrs.get("ref", ""), extent)

        def end(name: str) -> None:
            nonlocal depth, text_left, capture, raw, inline, in_inline, phonetic, cells
            depth -= 1
            tag = tag_of(name) or _prefixed_tag(name)
            if tag is None:
                return
            if tag == "c" and cells is not None:
                value = _cell_value(cell_type, cell_style, raw, inline, strings, date_styles, epoch)
                if value is not None:
                    text_left = _place(cells, col, value, text_left)
            elif tag == "v":
                raw, capture = "".join(parts), False
            elif tag == "t":
                capture = False
            elif tag == "is":
                inline, in_inline = "".join(parts), False
            elif tag == "row":
                if cells is not None:
                    self.rows.append((row, cells))
                cells = None
            elif tag == "rPh":
                phonetic -= 1

        def text(data: str) -> None:
            nonlocal length
            if capture:
                parts.append(data)
                length += len(data)
                if length > MAX_CELL_CHARS:
                    raise _cell_too_long()

        return start, end, text

    def _check_dimension(self, ref: str, extent: int) -> None:
        """The declared extent, e.g. "A1:E10001": refused when it exceeds the caps."""
        last = ref.rsplit(":", 1)[-1].replace("$", "")
        if not _REF_RE.fullmatch(last):
            return  # malformed: the cells themselves are checked as they come
        col, row = _cell_ref(last)
        if row > extent or col > MAX_COLUMNS:
            raise self._too_large(f"声明的范围{ref[:40]}")

    def _too_large(self, where: str) -> SheetTooLarge:
        return sheet_too_large(f"工作表“{self.name[:31]}”的范围过大（{where}）", self.max_rows)


def _cell_column(
    ref: str | None, col: int, row: int, row_text: str, extent: int, too_large: Callable
) -> int:
    """The column of a cell: its reference's, or the next one; refused past the caps."""
    if ref is None:
        col += 1
    else:
        letters = ref.rstrip("0123456789")
        found = _COLUMN.get(letters)
        if found is None or ref[len(letters) :] != row_text:
            found, cell_row = _cell_ref(ref)
            if cell_row > extent:
                raise too_large(f"单元格{ref[:20]}")
        col = found
    if col > MAX_COLUMNS:
        raise too_large(f"单元格{ref[:20]}" if ref else f"第{row}行第{col}列")
    return col


def _next_row(number: str | None, row: int, count: int, extent: int, too_large: Callable) -> int:
    """The number of the row that starts (its r attribute, or the next); refused past the cap."""
    row = row + 1 if number is None else _row_number(number)
    if row > extent or count > extent:
        raise too_large(f"第{max(row, count)}行")
    return row


def _place(cells: list[object], col: int, value: object, text_left: int) -> int:
    """Put a cell's value in its column of the row; the text budget left afterwards."""
    if value.__class__ is str:
        # A shared string may be repeated in every cell: bound the text handed out.
        text_left -= len(value)
        if text_left < 0:
            raise _too_much_text()
    missing = col - len(cells)
    if missing > 0:
        if missing > 1:
            cells.extend([None] * (missing - 1))
        cells.append(value)
    else:
        cells[col - 1] = value
    return text_left


def _cell_value(
    kind: str | None,
    style: str | None,
    raw: str | None,
    inline: str | None,
    strings: list[str],
    date_styles: frozenset[str],
    epoch: datetime,
) -> object:
    """A finished cell's value, typed as openpyxl would type it."""
    if kind == "s":
        if raw is None:
            return None
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) >= len(strings):
            raise _corrupt(f"单元格引用了不存在的共享字符串（{raw[:20]}）")
        return strings[int(raw)] or None
    if kind is None or kind == "n":
        if not raw:
            return None
        if not _NUMBER_RE.fullmatch(raw):
            return raw
        number = float(raw)
        if not math.isfinite(number):  # 1e999: no number Excel can hold
            return raw
        if style in date_styles and 0 <= number < _LAST_SERIAL:
            return _excel_date(number, epoch)
        if number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number
    if kind == "inlineStr":
        return inline or None
    if kind == "b":
        return {"1": True, "0": False, "true": True, "false": False}.get(raw or "", raw or None)
    if kind == "d" and raw:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return raw
    return raw or None  # "str" (a formula's text result), "e" (#N/A…), anything else


def _prefixed_tag(name: str) -> str | None:
    """The local name of a prefixed element we act on ("x:c" → "c"), else None."""
    return _TAG.get(name.rpartition(":")[2]) if ":" in name else None


def _cell_ref(ref: str) -> tuple[int, int]:
    """(column, row) of a reference like "B17"; beyond Excel's grid counts as too far."""
    match = _REF_RE.fullmatch(ref)
    if match is None:
        raise _corrupt(f"单元格引用“{ref[:20]}”无效")
    letters, digits = match.groups()
    column = _COLUMN.get(letters)
    if column is None:
        column = 0
        for ch in letters[:4].upper():
            column = column * 26 + ord(ch) - 64
    return column, int(digits) if len(digits) <= 9 else 10**9


def _row_number(text: str) -> int:
    """A row element's r attribute (a number past any cap when it has more than 9 digits)."""
    if not (text.isascii() and text.isdigit()):
        raise _corrupt(f"行号“{text[:20]}”无效")
    number = int(text) if len(text) <= 9 else 10**9
    if number == 0:
        raise _corrupt("行号为0")
    return number


def _excel_date(serial: float, epoch: datetime) -> date | datetime | time:
    """An Excel date serial (0 to 10000-01-01) as date, datetime or time."""
    days = int(serial)
    if epoch is _EXCEL_1900 and days < 60:
        days += 1  # Excel counts a 29 February 1900 that never was
    moment = epoch + timedelta(days=days, milliseconds=round((serial - int(serial)) * 86_400_000))
    if serial == int(serial):
        return moment.date()
    if serial < 1:
        return moment.time()
    return moment


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


def _refuse_dtd(*_args: object) -> NoReturn:
    """Any DTD (a DOCTYPE, an entity or notation declaration): refused, never processed."""
    raise UnsupportedMediaType(
        "工作簿中含有DTD或实体声明（Excel不会生成这种内容），出于安全考虑不予处理。"
        "请用Excel另存为.xlsx文件后再上传",
        code="unsupported_file",
    )


def _corrupt(reason: str = "") -> UnsupportedMediaType:
    """The file is a zip but not a workbook we can read."""
    detail = NOT_A_WORKBOOK_DETAIL
    if reason:
        detail = f"文件不是有效的Excel工作簿（{reason}）。请用Excel打开后另存为.xlsx文件再上传"
    return UnsupportedMediaType(detail, code="unsupported_file")


def _unzipped_too_large(part: str = "") -> PayloadTooLarge:
    """More bytes came out of the zip than any roster needs."""
    mb = MAX_UNZIPPED_BYTES // (1024 * 1024)
    where = f"（{part}）" if part else ""
    return PayloadTooLarge(
        f"工作簿解压后超过{mb}MB{where}，远大于一份名单，请只保留学员名单后再上传",
        code="file_too_large",
    )


def _too_many_elements() -> PayloadTooLarge:
    """More XML elements than a roster of the maximum size has."""
    return PayloadTooLarge(
        "工作簿中的内容远多于一份名单，请只保留学员名单后再上传", code="file_too_large"
    )


def _too_much_text() -> PayloadTooLarge:
    """More text in the sheet's cells than any roster of the maximum size has."""
    return PayloadTooLarge(
        "工作表中的文字内容远多于一份名单，请只保留学员名单后再上传", code="file_too_large"
    )


def _cell_too_long() -> PayloadTooLarge:
    """A text longer than Excel allows in a cell."""
    return PayloadTooLarge(
        f"工作簿中有超过{MAX_CELL_CHARS}个字符的单元格（Excel单元格最多{MAX_CELL_CHARS}个字符），"
        "请检查后再上传",
        code="file_too_large",
    )
