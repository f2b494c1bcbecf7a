"""Helpers shared by the verification and browser tests: real certificates, token surgery."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from tests.fixtures.plans import session_payload

# A session that has already taken place (attendance is refused before the start date).
YEAR = 2026

PEOPLE = [
    {"name": "张三", "id_number": "430104199003070015"},
    {"name": "李四", "id_number": "430104199003070023"},
]
FULL_IDS = [p["id_number"] for p in PEOPLE]


def issue_via_api(
    client, base, headers: dict[str, str], plan, rows: list[dict] | None = None
) -> list[dict]:
    """Schedule a past session of `plan`, upload `rows` through the API; the issued certificates.

    Each certificate is the full record the issuing base reads, plus its `headers`.
    """
    body = session_payload(plan.items[0], start_date=f"{YEAR}-03-01", end_date=f"{YEAR}-03-03")
    resp = client.post(f"/api/v1/bases/{base.id}/sessions", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    session_id = resp.get_json()["id"]
    rows = PEOPLE if rows is None else rows
    resp = client.post(
        f"/api/v1/sessions/{session_id}/attendance", json={"rows": rows}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["certificates_issued"] == len(rows)
    resp = client.get(f"/api/v1/sessions/{session_id}/certificates", headers=headers)
    certs = resp.get_json()["certificates"]
    for cert in certs:
        cert["headers"] = headers
    return certs


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def with_payload(token: str, change: Callable[[dict[str, Any]], Any]) -> str:
    """The token with its payload edited by `change(dict)` and the original signature kept."""
    header, body, signature = token.split(".")
    payload = json.loads(unb64(body))
    change(payload)
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{header}.{b64(text)}.{signature}"
