"""One registry of certificate fields (jxjd/certificates/fields.py) drives every place a field
appears: the signed payload, the API schemas and the fast dump, the OpenAPI document, the print
and verify pages, and the offline verifier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jxjd.certificates.fields import (
    BY_KEY,
    CERTIFICATE_FIELDS,
    PAGE_FIELDS,
    PRINT_FIELDS,
    SCHEMA_FIELDS,
    SHORTENABLE,
)
from jxjd.certificates.schemas import CertificateSchema
from jxjd.verify.schemas import PublicCertificateSchema
from tests.certificates.support import new_signing_keys
from tests.fixtures.attendance import roster_xlsx, trainees

ROOT = Path(__file__).resolve().parents[2]
KEYS = [f.key for f in CERTIFICATE_FIELDS]


@pytest.fixture
def certificate(open_session, upload_roster, client):
    """One issued certificate as the base sees it (JSON), with the session's headers."""
    target = open_session()
    people = trainees(1, hours=22.5)
    assert upload_roster(target, roster_xlsx(people)).status_code == 200
    listed = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
    return {**listed.json["certificates"][0], "headers": target.headers}


def test_the_registry_has_unique_keys_and_labels():
    assert len(set(KEYS)) == len(KEYS)
    assert len({f.label for f in CERTIFICATE_FIELDS}) == len(KEYS)
    assert set(SHORTENABLE) == {"name", "title", "base"}
    assert set(PRINT_FIELDS) <= set(PAGE_FIELDS)


def test_the_signed_payload_has_exactly_the_registered_fields_in_order(app, certificate):
    from jxjd.certificates.models import Certificate
    from jxjd.extensions import db

    stored = db.session.query(Certificate).filter_by(serial=certificate["serial"]).one()
    assert list(stored.payload) == KEYS
    assert stored.payload["hours"] == 22.5


def test_every_schema_field_is_in_both_api_shapes_and_the_openapi_document(client, certificate):
    for schema in (CertificateSchema, PublicCertificateSchema):
        assert [k for k in schema().fields if k in BY_KEY] == [f.key for f in SCHEMA_FIELDS]
    for f in SCHEMA_FIELDS:
        assert certificate[f.key] is not None, f.key
    verified = client.get("/api/v1/verify", query_string={"serial": certificate["serial"]})
    shown = verified.json["certificate"]
    assert {f.key: shown[f.key] for f in SCHEMA_FIELDS} == {
        f.key: certificate[f.key] for f in SCHEMA_FIELDS
    }
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("Certificate", "PublicCertificate"):
        properties = spec[name]["properties"]
        for f in SCHEMA_FIELDS:
            assert properties[f.key]["description"] == f.label


def test_the_verify_and_print_pages_list_every_page_field(client, certificate):
    html = client.get(f"/v/{certificate['serial']}").get_data(as_text=True)
    for f in PAGE_FIELDS:
        assert f"<dt>{f.page_label}</dt>" in html, f.key
    assert "<dd>22.5</dd>" in html


def test_the_offline_verifier_prints_every_field_with_its_label(tmp_path):
    keys = new_signing_keys(tmp_path / "keys")
    payload = {
        "sn": "S1",
        "name": "李四",
        "id_masked": "430102********5678",
        "title": "培训",
        "base": "基地",
        "category": "general",
        "hours": 12,
        "start_date": "2025-03-01",
        "end_date": "2025-03-03",
        "iat": 4102444800,
    }
    assert list(payload) == KEYS  # a new field needs a value here: the test says so
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_offline.py"), "--jwks", str(jwks)]
        + [keys.active().sign(payload)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for f in CERTIFICATE_FIELDS:
        assert f"  {f.label} ({f.key}): " in result.stdout, f.key
    assert "科目类别 (category): 公需科目 (general)" in result.stdout
    assert "签发时间 (iat): 2100-01-01 08:00:00 +0800" in result.stdout
