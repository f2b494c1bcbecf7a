"""The fields of a certificate, declared once: what is signed, shown, documented and verified.

Each `CertificateField` says where its value comes from when a certificate is issued, its
Chinese label, how it is shown, and whether it may be shortened to fit the QR code. The signed
payload (certificates.services), the API schemas (certificates.schemas, verify.schemas), the
fast dump of the public look-up, the print and verify pages, and the offline verifier
(scripts/verify_offline.py) all read this list. Adding a field: one entry here (and its tests).

Pure Python (no Flask, no database): the offline verifier imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jxjd.common.enums import CATEGORIES

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # certificates are issued in Hunan


@dataclass(frozen=True)
class IssueContext:
    """What one certificate is made from: its serial, the record's item, the session, the base."""

    serial: str
    item: Any  # certificates.services.Issuable: name, id_masked, hours
    session: Any  # TrainingSession: title, category, start_date, end_date
    base_name: str
    iat: int  # NumericDate of the issue (or re-signing)


def _text(value: Any, _payload: Mapping[str, Any]) -> str:
    """A plain value as text (numbers as JSON would write them)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _category(value: Any, _payload: Mapping[str, Any]) -> str:
    """The category's Chinese label (the value itself when unknown)."""
    return CATEGORIES.get(value, str(value)) if isinstance(value, str) else _text(value, {})


def _date_range(value: Any, payload: Mapping[str, Any]) -> str:
    """start 至 end, or the end date alone for a one-day class (or an old payload)."""
    start = payload.get("start_date")
    return f"{start} 至 {value}" if start and start != value else _text(value, payload)


def _signed_hours(context: IssueContext) -> int | float | None:
    """The credited hours as a JSON number (24, 22.5)."""
    from jxjd.common.types import hours_json  # server side only: keeps this module SQL-free

    return hours_json(context.item.hours)


def local_time(value: Any, _payload: Mapping[str, Any] | None = None) -> str:
    """A NumericDate as China Standard Time, whatever the machine's zone."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value, {})
    try:
        local = datetime.fromtimestamp(value, tz=LOCAL_TZ)
    except (OverflowError, OSError, ValueError):
        return str(value)
    return local.strftime("%Y-%m-%d %H:%M:%S %z")


@dataclass(frozen=True)
class CertificateField:
    """One signed field of a certificate."""

    key: str  # the payload member
    label: str  # its Chinese name, everywhere it is shown or documented
    value: Callable[[IssueContext], Any]  # what is signed, from the issue context
    per_session: bool = False  # the same for every certificate of one upload
    shortenable: bool = False  # free text that gives way (with "…") when the QR text is too long
    in_schema: bool = True  # a member of the API's certificate objects (sn, iat: columns instead)
    show: Callable[[Any, Mapping[str, Any]], str] = _text  # (value, payload) → display text
    # The print and verify pages list the field under `page_label` (None: not listed there),
    # shown by `page_show` (default: `show`).
    page_label: str | None = None
    page_show: Callable[[Any, Mapping[str, Any]], str] | None = None
    print_list: bool = True  # listed on the printed certificate too (not only in its sentence)
    mono: bool = False  # shown in a fixed-width font (numbers people compare digit by digit)

    def text(self, payload: Mapping[str, Any]) -> str:
        """The field's display text in `payload` (empty when absent)."""
        return self.show(payload.get(self.key), payload) if self.key in payload else ""

    def page_text(self, payload: Mapping[str, Any]) -> str:
        """The field's text on the print and verify pages (empty when absent)."""
        if self.key not in payload:
            return ""
        return (self.page_show or self.show)(payload.get(self.key), payload)


CERTIFICATE_FIELDS: tuple[CertificateField, ...] = (
    CertificateField("sn", "证书编号", lambda c: c.serial, in_schema=False, mono=True),
    CertificateField(
        "name",
        "姓名",
        lambda c: c.item.name,
        shortenable=True,
        page_label="姓名",
        print_list=False,
    ),
    CertificateField(
        "id_masked",
        "身份证号",
        lambda c: c.item.id_masked,
        page_label="身份证号",
        print_list=False,
        mono=True,
    ),
    CertificateField(
        "title",
        "培训项目",
        lambda c: c.session.title,
        per_session=True,
        shortenable=True,
        page_label="培训项目",
        print_list=False,
    ),
    CertificateField(
        "base",
        "举办基地",
        lambda c: c.base_name,
        per_session=True,
        shortenable=True,
        page_label="举办基地",
        print_list=False,
    ),
    CertificateField(
        "category",
        "科目类别",
        # A corrected record's own category (certificates.services.Issuable), else the session's.
        lambda c: getattr(c.item, "category", None) or c.session.category,
        show=_category,
        page_label="科目类别",
    ),
    CertificateField("hours", "学时", _signed_hours, page_label="学时"),
    CertificateField(
        "start_date", "开始日期", lambda c: c.session.start_date.isoformat(), per_session=True
    ),
    CertificateField(
        "end_date",
        "结束日期",
        lambda c: c.session.end_date.isoformat(),
        per_session=True,
        page_label="培训日期",
        page_show=_date_range,
        print_list=False,
    ),
    CertificateField(
        "iat", "签发时间", lambda c: c.iat, per_session=True, in_schema=False, show=local_time
    ),
)

BY_KEY: dict[str, CertificateField] = {f.key: f for f in CERTIFICATE_FIELDS}
SCHEMA_FIELDS = tuple(f for f in CERTIFICATE_FIELDS if f.in_schema)
PAGE_FIELDS = tuple(f for f in CERTIFICATE_FIELDS if f.page_label)
PRINT_FIELDS = tuple(f for f in PAGE_FIELDS if f.print_list)
SHORTENABLE = tuple(f.key for f in CERTIFICATE_FIELDS if f.shortenable)


def signed_payload(context: IssueContext, common: Mapping[str, Any] | None = None) -> dict:
    """The payload to sign, in field order; `common` holds the per-session values precomputed."""
    common = common if common is not None else session_values(context)
    return {f.key: common[f.key] if f.per_session else f.value(context) for f in CERTIFICATE_FIELDS}


def session_values(context: IssueContext) -> dict[str, Any]:
    """The values every certificate of one upload shares (computed once per upload)."""
    return {f.key: f.value(context) for f in CERTIFICATE_FIELDS if f.per_session}
