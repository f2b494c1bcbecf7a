"""Fuzz every operation of the OpenAPI document with schemathesis: no input ever gets a 5xx.

Each operation gets a bounded number of generated requests, valid and invalid (deterministic:
the same cases on every run), sent through WSGI to the app under test with a token of a role the
operation admits, against a world that holds a base, a filed plan, a session with certificates,
a person, an applicant and an application, so generated ids and serials can hit real rows.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jxjd.extensions import db
from tests.fixtures.applications import application_payload
from tests.fixtures.attendance import trainees
from tests.fixtures.bases import new_credit_code

MAX_EXAMPLES = 25  # per operation, valid and invalid cases together
# Roles in the order a token is picked when an operation admits several (admin sees most).
ROLE_ORDER = ("admin", "base", "dept", "person", "applicant", "employer")
_ROLES = re.compile(r"角色：(.+)$")


@pytest.fixture
def fuzz_tokens(app, make_headers, open_session, upload_json, client) -> dict:
    """A small world for the fuzzer and a bearer header per role."""
    target = open_session()
    rows = trainees(3)
    assert upload_json(target, rows).status_code == 200
    person_id = rows[0]["id_number"]
    applicant_code = new_credit_code()
    headers = {
        "admin": make_headers("admin"),
        "base": target.headers,
        "dept": make_headers("dept", name="湖南省教育厅", department=target.base.department),
        "person": make_headers("person", name=rows[0]["name"], id_number=person_id),
        "applicant": make_headers("applicant", name="申报单位", credit_code=applicant_code),
        "employer": make_headers("employer", name="用人单位"),
    }
    resp = client.post(
        "/api/v1/applications",
        json=application_payload(applicant_code),
        headers=headers["applicant"],
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    db.session.commit()
    return headers


def _schema() -> schemathesis.BaseSchema:
    """The OpenAPI document as an app of this code serves it (read once, at collection)."""
    import tempfile

    from jxjd import create_app

    config = schemathesis.Config()
    config.projects.get_default().generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )
    with tempfile.TemporaryDirectory(prefix="jxjd-fuzz-") as keys:
        spec_app = create_app(
            {"TESTING_CONFIG": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "JXJD_KEY_DIR": keys}
        )
        # Only the document is read from this app; every case is sent to the test's `app`.
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", spec_app, config=config)


schema = _schema()


def _headers_for(case, tokens: dict) -> dict[str, str]:
    """A token of the first role in ROLE_ORDER the operation admits ("角色：…"); none if public."""
    match = _ROLES.search(case.operation.definition.raw.get("description") or "")
    if match is None:
        return {}
    allowed = set(match.group(1).split("、"))
    role = next((r for r in ROLE_ORDER if r in allowed), None)
    return dict(tokens[role]) if role else {}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gets_a_server_error(app, case, fuzz_tokens: dict[str, Any]):
    """No 5xx; statuses, content types and bodies as the OpenAPI document describes them."""
    headers = {**(case.headers or {}), **_headers_for(case, fuzz_tokens)}
    case.call_and_validate(
        app=app,
        headers=headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
