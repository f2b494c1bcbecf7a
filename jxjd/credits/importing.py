"""Bulk import of credits from other platforms (CONTRACT §14): .xlsx/.csv, strict or partial.

Reading is bounded like rosters: workbooks through attendance/workbook.py's streaming reader,
CSV through pandas with a row cap; the tabular work (header, columns, cleaning) is pandas. Each
row is checked like POST /api/v1/credits; the good rows are inserted set-based with
ON CONFLICT (live_key) DO NOTHING, so a re-upload (or a concurrent one) counts a row already
stored as `already_recorded` and never stores it twice.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from marshmallow import ValidationError

from jxjd.access import authorize, can, unrestricted
from jxjd.attendance.importing import row_prefix
from jxjd.attendance.models import AttendanceRecord
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.db import chunked, insert_ignoring_conflicts
from jxjd.common.ids import id_number_problem, normalize_id_number
from jxjd.common.schema import validation_errors
from jxjd.common.time import utcnow
from jxjd.common.workbook import HEADER_ALLOWANCE, MAX_COLUMNS, read_xlsx_rows, sheet_too_large
from jxjd.credits.models import Credit, CreditImport
from jxjd.credits.schemas import CreditArgs
from jxjd.credits.services import CreditInput, credit_problems, credit_values
from jxjd.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.people.services import NewPerson, ensure_people, id_hashes, people_by_hash
from jxjd.rules.conversions import conversions_for
from jxjd.sessions.models import TrainingSession

SHEET = "学时认定"
COLUMNS = {
    "姓名": "name",
    "身份证号": "id_number",
    "年度": "year",
    "形式": "form",
    "数量": "quantity",
    "学时": "hours",
    "名称": "title",
    "主办单位": "provider",
    "开始日期": "start_date",
    "结束日期": "end_date",
}
REQUIRED = ("name", "id_number", "year", "form", "title", "provider", "start_date", "end_date")


@dataclass
class CreditImportResult:
    """The receipt of one import (the §6 counts)."""

    received: int
    recorded: int = 0
    already_recorded: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    import_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "recorded": self.recorded,
            "already_recorded": self.already_recorded,
            "rejected": sorted(self.rejected, key=lambda e: e["row"] or 0),
            "import_id": self.import_id,
        }


# ---- reading -----------------------------------------------------------------------------------


def _csv_frame(data: bytes, max_rows: int) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnsupportedMediaType("CSV 文件须为 UTF-8 或 GBK 编码", code="unsupported_file")
    extent = max_rows + HEADER_ALLOWANCE
    try:
        frame = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, nrows=extent + 1, keep_default_na=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnsupportedMediaType("CSV 文件无法读取，请使用模板", code="unsupported_file") from exc
    if len(frame) > extent or frame.shape[1] > MAX_COLUMNS:
        raise sheet_too_large(f"文件超过{extent}行或{MAX_COLUMNS}列", max_rows)
    frame.index = frame.index + 1  # sheet row numbers
    return frame


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> pd.DataFrame:
    """The file as a frame of the known columns (English names), indexed by sheet row number."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"上传文件不能超过 {max_bytes // (1024 * 1024)} MB", code="file_too_large"
        )
    ext = posixpath.splitext((filename or "").lower())[1]
    if ext == ".xlsx" and data.startswith(b"PK"):
        rows = dict(read_xlsx_rows(data, max_rows=max_rows, preferred_sheet=SHEET))
        # Rows end at their last cell (a formatted, empty row has none): pad them to one width.
        width = max((len(cells) for cells in rows.values()), default=0)
        padded = {n: cells + [None] * (width - len(cells)) for n, cells in rows.items()}
        frame = pd.DataFrame.from_dict(padded, orient="index")
    elif ext == ".csv" and not data.startswith(b"PK"):
        frame = _csv_frame(data, max_rows)
    else:
        raise UnsupportedMediaType(
            "请上传 .xlsx 或 .csv 文件（.xls 请另存为 .xlsx）", code="unsupported_file"
        )
    return _known_columns(frame)


def _known_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Find the header row (the first naming 身份证号), keep the known columns, drop blank rows."""
    if frame.empty:
        raise ValidationFailed([field_error("empty_file", "文件中没有数据")], code="empty_file")
    text = frame.head(HEADER_ALLOWANCE).astype(str).apply(lambda col: col.str.strip())
    header_rows = text.index[(text == "身份证号").any(axis=1)]
    if len(header_rows) == 0:
        raise ValidationFailed(
            [field_error("missing_column", "缺少“身份证号”列", field="身份证号")]
        )
    header = text.loc[header_rows[0]]
    names = {col: COLUMNS[h] for col, h in header.items() if h in COLUMNS}
    missing = [zh for zh, en in COLUMNS.items() if en in REQUIRED and en not in names.values()]
    if missing:
        raise ValidationFailed(
            [field_error("missing_column", f"缺少“{zh}”列", field=zh) for zh in missing]
        )
    body = frame.loc[frame.index > header_rows[0], list(names)].rename(columns=names)
    body = body.where(body.notna(), None)
    blank = body.apply(lambda col: col.map(lambda v: v is None or str(v).strip() == "")).all(axis=1)
    body = body[~blank]
    if body.empty:
        raise ValidationFailed([field_error("empty_file", "文件中没有数据行")], code="empty_file")
    return body


# ---- checking ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN: pandas' empty cell
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _table(tables: dict[int, Any], year: int) -> Any:
    """The year's conversion table, read once per import."""
    if year not in tables:
        tables[year] = conversions_for(year)
    return tables[year]


_ARGS = CreditArgs()  # one schema for every row (building it costs more than loading a row)


def _row_input(number: int, values: dict[str, Any]) -> tuple[CreditInput | None, list[dict]]:
    """One row as a CreditInput, or its errors (numbered with the sheet row)."""
    raw = {key: _cell(value) for key, value in values.items()}
    raw["id_number"] = normalize_id_number(raw.get("id_number") or "")
    try:
        args = _ARGS.load({k: v for k, v in raw.items() if v is not None})
    except ValidationError as err:
        errors = validation_errors(err)
        for e in errors:
            e["row"], e["message"] = (
                number,
                row_prefix(number, raw.get("name") or "") + e["message"],
            )
        return None, errors
    problem = id_number_problem(args["id_number"])
    if problem:
        return None, [field_error("invalid_id_number", problem, field="身份证号", row=number)]
    data = CreditInput(**{k: args[k] for k in CreditInput.__dataclass_fields__})
    return data, []


def _base_records(person_ids: list[int]) -> dict[tuple[int, str], list[tuple[date, date]]]:
    """(person id, title) of base sessions, with their dates, for the duplicate check."""
    found: dict[tuple[int, str], list[tuple[date, date]]] = {}
    for batch in chunked(sorted(set(person_ids))):
        query = (
            sa.select(
                AttendanceRecord.person_id,
                TrainingSession.title,
                TrainingSession.start_date,
                TrainingSession.end_date,
            )
            .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
            .where(AttendanceRecord.person_id.in_(batch))
        )
        for row in db.session.execute(query):
            found.setdefault((row.person_id, row.title), []).append((row.start_date, row.end_date))
    return found


@dataclass
class _Checked:
    """The rows that passed the file checks, with their look-up hashes."""

    rows: list[tuple[int, CreditInput]]
    hashes: list[str]


def check_rows(frame: pd.DataFrame, result: CreditImportResult) -> _Checked:
    """Every row against the file and the year's table; in-file duplicates are errors."""
    good: list[tuple[int, CreditInput]] = []
    seen: set[tuple] = set()
    tables: dict[int, Any] = {}
    for number, values in zip(frame.index, frame.to_dict("records"), strict=True):
        data, errors = _row_input(int(number), values)
        if data is not None:
            table = _table(tables, data.year)
            errors = credit_problems(data, table.get(data.form))
            for e in errors:
                e["row"] = int(number)
        if errors or data is None:
            result.rejected.extend(errors)
            continue
        key = (
            data.id_number,
            data.form,
            data.title,
            data.start_date,
            data.end_date,
        )
        if key in seen:
            result.rejected.append(
                field_error(
                    "duplicate_row",
                    row_prefix(int(number), data.name) + "与前面的行重复",
                    row=int(number),
                )
            )
            continue
        seen.add(key)
        good.append((int(number), data))
    return _Checked(good, id_hashes(data.id_number for _, data in good))


def _people(actor: Actor, checked: _Checked, result: CreditImportResult) -> dict[str, int]:
    """Look-up hash → person id for rows the caller may enter; the others become row errors."""
    known = people_by_hash(checked.hashes)
    if unrestricted(actor, "credit.create"):
        new = {
            h: NewPerson(data.id_number, data.name)
            for (_, data), h in zip(checked.rows, checked.hashes, strict=True)
            if h not in known
        }
        known = {**known, **ensure_people(new, known=known)}
        return {h: ref.id for h, ref in known.items()}
    allowed = {}
    for h, ref in known.items():
        if can(actor, "credit.create", db.session.get(Person, ref.id)):
            allowed[h] = ref.id
    for (number, data), h in zip(checked.rows, checked.hashes, strict=True):
        if h not in allowed:
            result.rejected.append(
                field_error(
                    "unknown_person",
                    row_prefix(number, data.name) + "未找到该人员（须为本部门、本单位人员）",
                    field="身份证号",
                    row=number,
                )
            )
    return allowed


def import_credits(
    actor: Actor,
    frame: pd.DataFrame,
    *,
    mode: str = "strict",
    filename: str | None = None,
    sha256: str | None = None,
) -> CreditImportResult:
    """Check every row, then store the good ones (strict: only when there is no error)."""
    authorize(actor, "credit.create")
    result = CreditImportResult(received=len(frame))
    checked = check_rows(frame, result)
    people = _people(actor, checked, result)
    records = _base_records(list(people.values()))
    now = utcnow()
    entries: list[_Entry] = []
    tables: dict[int, Any] = {}
    for (number, data), h in zip(checked.rows, checked.hashes, strict=True):
        if h not in people:
            continue
        table = _table(tables, data.year)
        conversion = table.get(data.form)
        if any(
            s <= data.end_date and e >= data.start_date
            for s, e in records.get((people[h], data.title), [])
        ):
            result.rejected.append(
                field_error(
                    "duplicate_credit",
                    row_prefix(number, data.name)
                    + "与该人员的基地培训记录重复（日期重叠、名称相同）",
                    row=number,
                )
            )
            continue
        value = credit_values(actor, people[h], data, conversion, now, table.version)
        entries.append(_Entry(number, data, value))
    entries = _drop_conflicting(entries, result)
    _refuse_in_strict(result, mode)
    return _store(actor, entries, result, mode, filename, sha256, now)


def _refuse_in_strict(result: CreditImportResult, mode: str) -> None:
    if result.rejected and mode == "strict":
        raise ValidationFailed(
            result.to_dict()["rejected"],
            detail=f"文件中有 {len(result.rejected)} 处错误，全部未保存；请修正后重新上传",
        )


@dataclass(frozen=True)
class _Entry:
    """A checked row and the credits columns it would insert."""

    number: int
    data: CreditInput
    value: dict[str, Any]


def _live(keys: list[str]) -> dict[str, sa.Row]:
    """live_key → the stored live credit's compared columns."""
    c = Credit.__table__.c
    found: dict[str, sa.Row] = {}
    for batch in chunked(sorted(set(keys))):
        query = sa.select(
            c.live_key, c.quantity, c.hours, c.provider, c.hours_per_unit, c.yearly_cap
        ).where(c.live_key.in_(batch))
        for row in db.session.execute(query):
            found[row.live_key] = row
    return found


def _same_credit(stored: sa.Row, data: CreditInput) -> bool:
    """Whether a row says what the live credit with its key says (quantity, hours, provider);
    hours from a quantity are computed with the rate and cap the stored credit used."""
    if data.hours is not None:
        hours = data.hours
    elif data.quantity is not None:
        hours = (data.quantity * stored.hours_per_unit).quantize(Decimal("0.1"))
        if stored.yearly_cap is not None:
            hours = min(hours, stored.yearly_cap)
    else:  # check_rows refused a row with neither
        return False
    return (
        stored.quantity == data.quantity
        and stored.hours == hours
        and stored.provider == data.provider.strip()
    )


def _conflict(entry: _Entry, stored: sa.Row) -> dict[str, Any]:
    quantity = "" if stored.quantity is None else f"数量 {stored.quantity.normalize():f}，"
    return field_error(
        "conflicting_record",
        row_prefix(entry.number, entry.data.name)
        + f"该人员已录入这项活动（{quantity}{stored.hours.normalize():f} 学时，"
        f"主办单位“{stored.provider}”），与本行不一致；如需更正请先将原记录不予认定或撤销",
        row=entry.number,
    )


def _drop_conflicting(entries: list[_Entry], result: CreditImportResult) -> list[_Entry]:
    """Rows whose activity is already live with other values become conflicting_record
    errors (as roster rows do); identical ones stay and count as already_recorded."""
    stored = _live([e.value["live_key"] for e in entries])
    kept = []
    for entry in entries:
        live = stored.get(entry.value["live_key"])
        if live is not None and not _same_credit(live, entry.data):
            result.rejected.append(_conflict(entry, live))
        else:
            kept.append(entry)
    return kept


def _store(actor, entries, result, mode, filename, sha256, now) -> CreditImportResult:
    receipt = CreditImport(
        actor_ref=actor.ref,
        actor_name=actor.name[:200],
        mode=mode,
        filename=(filename or "")[:255] or None,
        sha256=sha256,
        received=result.received,
        recorded=0,
        already_recorded=0,
        rejected=0,
        created_at=now,
    )
    db.session.add(receipt)
    db.session.flush()
    insert = insert_ignoring_conflicts(Credit.__table__, conflict_target=["live_key"]).returning(
        Credit.__table__.c.live_key
    )
    # One lock order for concurrent imports.
    ordered = sorted(entries, key=lambda e: e.value["live_key"])
    inserted: set[str] = set()
    for batch in chunked(ordered):
        rows = [{**e.value, "import_id": receipt.id} for e in batch]
        inserted.update(key for (key,) in db.session.execute(insert, rows))
    # A row another import stored in between with other values is a conflict too.
    before = len(result.rejected)
    _drop_conflicting([e for e in entries if e.value["live_key"] not in inserted], result)
    late = len(result.rejected) - before
    _refuse_in_strict(result, mode)  # the request rolls back what this import inserted
    result.recorded = len(inserted)
    result.already_recorded = len(entries) - result.recorded - late
    receipt.recorded, receipt.already_recorded = result.recorded, result.already_recorded
    receipt.rejected = len(result.rejected)
    result.import_id = receipt.id
    record_event(
        actor,
        "credit.import",
        "credit_import",
        receipt.id,
        mode=mode,
        received=result.received,
        recorded=result.recorded,
        already_recorded=result.already_recorded,
        rejected=len(result.rejected),
    )
    db.session.flush()
    return result


def file_sha256(data: bytes) -> str:
    """The digest a receipt keeps of the file."""
    return hashlib.sha256(data).hexdigest()
