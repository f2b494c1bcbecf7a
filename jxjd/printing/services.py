"""Certificates as PDF: what each page states, read from the register, rendered by pdf.py.

Access is the caller's: views pass a certificate from get_certificate_for or a session from
get_session_for, so these functions only read and render.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from jxjd.attendance.models import AttendanceRecord
from jxjd.certificates.models import Certificate
from jxjd.certificates.services import verify_url
from jxjd.common.params import invalid_parameter, query_int
from jxjd.common.time import to_local
from jxjd.errors import Conflict, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.printing.pdf import Sheet, render
from jxjd.sessions.models import TrainingSession

DEFAULT_MAX_PAGES = 1000
_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


class NoCertificates(Conflict):
    code, title = "no_certificates", "本班次尚无已签发的证书"


def max_pages() -> int:
    """The most certificates one session PDF holds (JXJD_PDF_MAX_PAGES)."""
    return int(current_app.config.get("JXJD_PDF_MAX_PAGES") or DEFAULT_MAX_PAGES)


def _sheet(cert: Any, session: TrainingSession) -> Sheet:
    """The page of one certificate row (an ORM object or a row with the same attributes)."""
    p = cert.payload
    return Sheet(
        serial=cert.serial,
        verify_url=verify_url(cert.serial, cert.token),
        name=p["name"],
        id_masked=p["id_masked"],
        title=p["title"],
        base=p["base"],
        category=p["category"],
        level=session.level,
        hours=str(p["hours"]),
        start_date=p.get("start_date") or session.start_date.isoformat(),
        end_date=p.get("end_date") or session.end_date.isoformat(),
        issued_at=to_local(cert.issued_at),
        alg=cert.alg,
        kid=cert.kid,
        revoked_at=to_local(cert.revoked_at) if cert.revoked_at else None,
        revoked_reason=cert.revoked_reason,
    )


def _render(
    sheets: list[Sheet], title: str, progress: Callable[[int, int], None] | None = None
) -> bytes:
    config = current_app.config
    return render(
        sheets,
        public_url=config["JXJD_PUBLIC_URL"],
        font_dir=config.get("JXJD_CJK_FONT_DIR") or "/usr/share/fonts/opentype/noto",
        title=title,
        progress=progress,
    )


def certificate_pdf(cert: Certificate) -> bytes:
    """One certificate as a one-page PDF (a revoked one says so, with the reason)."""
    session = db.session.get_one(TrainingSession, cert.session_id)
    return _render([_sheet(cert, session)], f"继续教育培训证书 {cert.serial}")


def session_part() -> int | None:
    """The `part` query parameter of a session PDF (1, 2, …), or None when absent."""
    return query_int("part", minimum=1, maximum=1_000_000)


def _current_of(session: TrainingSession) -> tuple[sa.ColumnElement[bool], ...]:
    """A session's certificates as printed: each record's current one (a correction's
    replaced certificate stays in the register but is not printed again)."""
    cert = Certificate.__table__.c
    return cert.session_id == session.id, cert.replaced_by_id.is_(None)


def session_pdf_part(session: TrainingSession, part: int | None) -> tuple[int, int]:
    """The part of a session's PDF asked for and the number of parts; refusals as problems.

    A session with more certificates than one PDF may hold comes in parts of max_pages();
    without `part` such a session is refused with a message naming the parts.
    """
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Certificate).where(*_current_of(session))
    )
    if not total:
        raise NoCertificates(f"班次“{session.title}”尚无已签发的证书，没有可打印的内容")
    size = max_pages()
    parts = math.ceil(total / size)
    if part is None and parts > 1:
        raise ValidationFailed(
            [
                field_error(
                    "too_many_certificates",
                    f"本班次共 {total} 张证书，一个 PDF 最多 {size} 页，"
                    f"请分 {parts} 次下载（part=1 至 {parts}）",
                    field="part",
                )
            ],
            code="too_many_certificates",
        )
    part = part or 1
    if part > parts:
        raise invalid_parameter("part", f"本班次的证书共 {parts} 部分，参数 part 应为 1 到 {parts}")
    return part, parts


def session_pdf(
    session: TrainingSession,
    part: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[bytes, int, int]:
    """A session's certificates, one A4 page each, in roster order: (PDF, part, parts);
    `progress(pages drawn, pages)` as it renders."""
    part, parts = session_pdf_part(session, part)
    size = max_pages()
    cert = Certificate.__table__.c
    rows = db.session.execute(
        sa.select(
            cert.serial,
            cert.token,
            cert.payload,
            cert.issued_at,
            cert.alg,
            cert.kid,
            cert.revoked_at,
            cert.revoked_reason,
        )
        .join(AttendanceRecord.__table__, AttendanceRecord.id == cert.record_id)
        .where(*_current_of(session))
        .order_by(AttendanceRecord.id)  # roster order: as the records were uploaded
        .offset((part - 1) * size)
        .limit(size)
    ).all()
    title = f"继续教育培训证书 {session.title}"
    if parts > 1:
        title += f"（第 {part}/{parts} 部分）"
    return _render([_sheet(row, session) for row in rows], title, progress), part, parts


def filename_part(text: str, limit: int = 60) -> str:
    """`text` made safe for a file name: no separators or reserved characters, at most `limit`."""
    cleaned = _UNSAFE_IN_FILENAME.sub("_", text).strip(" .")
    return cleaned[:limit] or "证书"
