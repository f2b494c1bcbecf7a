"""Credits fixtures: a credit body, evidence files and a person trained at a department's base."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.fixtures.attendance import trainee


def credit_body(row: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A POST /api/v1/credits body for a roster row's person: one paper in 2026."""
    body = {
        "id_number": row["id_number"],
        "name": row["name"],
        "year": 2026,
        "form": "paper",
        "quantity": 1,
        "title": "人工智能在基层医疗中的应用",
        "provider": "湖南医学杂志",
        "start_date": "2026-05-01",
        "end_date": "2026-05-01",
    }
    body.update(overrides)
    return body


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real PNG (a phone photo stand-in)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, format="PNG")
    return out.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def trained(create_base, open_session, upload_json):
    """trained(department=..., **row) → (roster row, OpenSession): a person with a base record
    (24 学时 of 专业科目, 2026-03-01..03) at a base of `department`."""

    def make(department: str = "湖南省教育厅", **row: Any):
        target = open_session(base=create_base(department=department))
        person = trainee(**row)
        resp = upload_json(target, [person])
        assert resp.status_code == 200, resp.json
        return person, target

    return make


@pytest.fixture
def session_on(create_base, create_filed_plan, create_session, base_headers):
    """session_on(base=None, **session fields) → an OpenSession with those dates and hours."""
    from tests.fixtures.attendance import OpenSession

    def make(base=None, **fields: Any) -> OpenSession:
        base = base or create_base()
        plan = create_filed_plan(base, year=2026)
        session = create_session(base, plan.items[0], **fields)
        return OpenSession(base, session, base_headers(base), session.id)

    return make
