"""Issuing and reading 学时认定单 (transcripts): signed hours per year and category over a span.

The hours are the archive's (archive.services.year_lines, which counts through
attendance.counting.counted_hours): a transcript states what the archive said at issue time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from jxjd.access import authorize
from jxjd.archive.models import Grant
from jxjd.archive.services import (
    Viewer,
    YearLine,
    live_grant,
    record_access,
    year_lines,
    year_range,
)
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.certificates.services import resign_rows, signing_keys, verify_url
from jxjd.common import crockford
from jxjd.common.paging import Page, page_of
from jxjd.common.time import local_today, to_local, utcnow
from jxjd.common.types import hours_json
from jxjd.errors import NotFound, ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.people.models import Person
from jxjd.transcripts.models import Transcript
from jxjd.transcripts.pdf import TranscriptSheet, YearRow, render

KIND = "transcript"
SERIAL_LENGTH = 20  # Crockford characters: 100 random bits
# What the verify page tells a reader when the archive no longer says what the transcript does.
NOTICE_CHANGED = (
    "本认定单签发后，{years} 年度的学时记录已有变更，认定单仅证明签发时的学时情况；"
    "请请本人重新开具学时认定单。"
)
NOTICE_REDUCED = (
    "本认定单签发后，{years} 年度的学时已减少（如证书被撤销），认定单所列学时不再全部有效；"
    "请请本人重新开具学时认定单。"
)


class UnknownTranscript(NotFound):
    code, title = "unknown_transcript", "学时认定单不存在"


def new_serial() -> str:
    """A fresh serial: 20 Crockford characters (100 random bits), never reused (unique)."""
    return crockford.random_code(SERIAL_LENGTH)


def normalize_serial(raw: str) -> str | None:
    """The canonical serial for typed text (case, hyphens, spaces ignored), or None."""
    text = crockford.normalize(raw or "")
    return text if crockford.is_canonical(text, SERIAL_LENGTH) else None


def transcript_span(from_year: Any, to_year: Any) -> tuple[int, int]:
    """The validated span of a transcript: at most 10 years, none after this year."""
    start, end = year_range(from_year, to_year, default_span=5)
    this_year = local_today().year
    if end > this_year:
        raise ValidationFailed(
            [field_error("invalid_year_range", f"截止年份不能晚于今年（{this_year}）", field="to")]
        )
    return start, end


def _year_claim(line: YearLine) -> dict[str, Any]:
    """One year as signed: y (year), g (公需科目 hours), p (专业科目 hours), ok (meets the rule)."""
    return {
        "y": line.year,
        "g": hours_json(line.general),
        "p": hours_json(line.professional),
        "ok": line.compliant,
    }


def signed_payload(serial: str, person: Person, start: int, end: int, iat: int) -> dict[str, Any]:
    """What a transcript signs: who, the span, each year's counted hours and compliance."""
    lines = year_lines(person.id, list(range(start, end + 1)))
    return {
        "kind": KIND,
        "sn": serial,
        "name": person.name,
        "id_masked": person.id_masked,
        "from": start,
        "to": end,
        "years": [_year_claim(line) for line in lines],
        "ok": all(line.compliant for line in lines),
        "iat": iat,
    }


def issue(actor: Actor, person: Person, start: int, end: int, grant: Grant | None = None):
    """Sign and store a transcript of `person` for start..end, as of now (flushes, audited)."""
    if grant is None:
        authorize(actor, "transcript.issue", person)
    now = utcnow()
    key = signing_keys().active()
    serial = new_serial()
    payload = signed_payload(serial, person, start, end, int(now.timestamp()))
    transcript = Transcript(
        serial=serial,
        person_id=person.id,
        from_year=start,
        to_year=end,
        grant_id=grant.id if grant is not None else None,
        alg=key.alg,
        kid=key.kid,
        token=key.sign(payload),
        payload=payload,
        issued_at=now,
    )
    db.session.add(transcript)
    db.session.flush()
    record_event(
        actor,
        "transcript.issue",
        "transcript",
        serial,
        person_id=person.id,
        from_year=start,
        to_year=end,
        grant_id=transcript.grant_id,
    )
    return transcript


def issue_shared(actor: Actor | None, code: str, viewer: Viewer | None = None) -> Transcript:
    """An employer's transcript through a share code: the grant's years, as of now; logged.

    `actor` is an employer or admin; without an account it is None and `viewer` says who asks.
    The person sees the download (with the serial) among the grant's accesses.
    """
    authorize(actor, "grant.transcript")
    grant = live_grant(code, actor)
    authorize(actor, "grant.transcript", grant)
    if actor is None:
        if viewer is None:
            raise ValueError("a look-up without an account needs a declared viewer")
        actor = viewer.actor
    person = db.session.get_one(Person, grant.person_id)
    end = min(grant.to_year, local_today().year)
    start = min(grant.from_year, end)
    transcript = issue(actor, person, start, end, grant=grant)
    record_access(actor, grant, f"transcript:{transcript.serial}", viewer)
    return transcript


def url_of(transcript: Transcript) -> str:
    """The QR text of a transcript: the verify URL with its token, like a certificate's."""
    return verify_url(transcript.serial, transcript.token)


def find(serial: str) -> Transcript | None:
    """A transcript by typed serial, or None."""
    canonical = normalize_serial(serial)
    if canonical is None:
        return None
    return db.session.scalar(sa.select(Transcript).where(Transcript.serial == canonical))


def transcript_for(actor: Actor, serial: str) -> Transcript:
    """A transcript the actor may read: 404 unknown, 403 someone else's."""
    authorize(actor, "transcript.read")
    transcript = find(serial)
    if transcript is None:
        raise UnknownTranscript(f"学时认定单 {serial} 不存在")
    authorize(actor, "transcript.read", transcript)
    return transcript


def transcripts_of(person: Person, page: Page | None = None) -> list[Transcript]:
    """The person's transcripts, newest first (one page of them, if given)."""
    return list(
        db.session.scalars(
            page_of(
                sa.select(Transcript)
                .where(Transcript.person_id == person.id)
                .order_by(Transcript.issued_at.desc(), Transcript.id.desc()),
                page,
            )
        )
    )


# ---- what changed since issue ------------------------------------------------------------------


def changes_since(transcript: Transcript | Any) -> dict[str, Any]:
    """Which signed years the archive no longer matches, and whether hours went down.

    The answer names years only (never the current figures): a verifier learns that the
    statement was true at issue and which years to ask the person about, nothing newer.
    """
    payload = transcript.payload
    signed = {y["y"]: y for y in payload.get("years", [])}
    current = year_lines(transcript.person_id, sorted(signed))
    changed, reduced = [], []
    for line in current:
        claim = signed[line.year]
        was = (Decimal(str(claim["g"])), Decimal(str(claim["p"])))
        if (line.general, line.professional) != was or line.compliant != claim["ok"]:
            changed.append(line.year)
            if line.general < was[0] or line.professional < was[1]:
                reduced.append(line.year)
    notice = None
    if changed:
        template = NOTICE_REDUCED if reduced else NOTICE_CHANGED
        notice = template.format(years="、".join(str(y) for y in (reduced or changed)))
    return {
        "record_changed": bool(changed),
        "changed_years": changed,
        "hours_reduced_years": reduced,
        "notice": notice,
    }


def public_view(transcript: Any) -> dict[str, Any]:
    """What anyone holding the QR code may see: the signed statement, as people read it."""
    p = transcript.payload
    return {
        "serial": transcript.serial,
        "name": p["name"],
        "id_masked": p["id_masked"],
        "from": p["from"],
        "to": p["to"],
        "years": [
            {
                "year": y["y"],
                "general_hours": y["g"],
                "professional_hours": y["p"],
                "total_hours": hours_json(Decimal(str(y["g"])) + Decimal(str(y["p"]))),
                "compliant": y["ok"],
            }
            for y in p["years"]
        ],
        "all_years_compliant": p["ok"],
        "issued_at": transcript.issued_at,
        "kid": transcript.kid,
        "alg": transcript.alg,
    }


def detail(transcript: Transcript) -> dict[str, Any]:
    """The owner's view: the public view, the QR text and what changed since."""
    return {**public_view(transcript), "url": url_of(transcript), **changes_since(transcript)}


# ---- a compromised signing key: re-sign what it signed ---------------------------------------


def count_signed_by(kid: str) -> int:
    """How many transcripts carry a token of `kid`."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Transcript).where(Transcript.kid == kid)
        )
        or 0
    )


def resign_batch(actor: Actor, kid: str, *, limit: int = 500) -> int:
    """Re-sign up to `limit` transcripts of `kid` with the active key (same serials, same hours).

    As for certificates: every signed fact stays, `iat` becomes the re-signing time (within the
    new key's window); `issued_at` keeps the original issue time, so "as of issue" is unchanged.
    """
    return resign_rows(
        actor,
        Transcript.__table__,
        kid,
        limit=limit,
        sign=lambda key, payload: (payload, key.sign(payload)),
        event="transcript.resign",
    )


def public_url() -> str:
    """JXJD_PUBLIC_URL without a trailing slash."""
    return current_app.config["JXJD_PUBLIC_URL"].rstrip("/")


# ---- printing ----------------------------------------------------------------------------------


def sheet(transcript: Transcript) -> TranscriptSheet:
    """What the printed transcript states (the signed statement, as people read it)."""
    view = public_view(transcript)
    return TranscriptSheet(
        serial=transcript.serial,
        verify_url=url_of(transcript),
        name=view["name"],
        id_masked=view["id_masked"],
        from_year=view["from"],
        to_year=view["to"],
        years=[
            YearRow(
                y["year"],
                str(y["general_hours"]),
                str(y["professional_hours"]),
                str(y["total_hours"]),
                y["compliant"],
            )
            for y in view["years"]
        ],
        compliant=view["all_years_compliant"],
        issued_at=to_local(transcript.issued_at),
        alg=transcript.alg,
        kid=transcript.kid,
        public_url=public_url(),
    )


def pdf(transcript: Transcript) -> bytes:
    """The transcript as a one-page A4 PDF."""
    font_dir = current_app.config.get("JXJD_CJK_FONT_DIR") or "/usr/share/fonts/opentype/noto"
    return render(sheet(transcript), font_dir=font_dir)
