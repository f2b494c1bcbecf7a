"""An independent implementation verifies a credential: npm `jose` (JWS), `jsonld` (safe-mode
expansion with the vendored contexts) and Node's zlib (the status bit), in tests/interop/.

Skipped where Node or tests/interop/node_modules is missing (`npm ci --prefix tests/interop`),
unless JXJD_REQUIRE_INTEROP=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jxjd.credentials import vc
from tests.credentials.conftest import vendored

INTEROP = Path(__file__).resolve().parents[1] / "interop"
CONTEXTS = {
    vc.VC_CONTEXT: vendored("w3c/credentials-v2.jsonld"),
    vc.OB_CONTEXT: vendored("openbadges/context-3.0.3.json"),
}


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "jose").is_dir():
        if os.environ.get("JXJD_REQUIRE_INTEROP") == "1":
            pytest.fail("node and tests/interop/node_modules are required (JXJD_REQUIRE_INTEROP=1)")
        pytest.skip("node or tests/interop/node_modules missing: npm ci --prefix tests/interop")
    return node


def independent_verdict(node: str, credential: str, status_list: str, did_document: dict) -> dict:
    stdin = json.dumps(
        {
            "credential": credential,
            "status_list": status_list,
            "did_document": did_document,
            "contexts": CONTEXTS,
        }
    )
    done = subprocess.run(
        [node, str(INTEROP / "verify.mjs")],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def fetch_all(client, cert) -> tuple[str, str, dict]:
    resp = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=cert["headers"])
    assert resp.status_code == 200
    credential = resp.get_data(as_text=True)
    payload = json.loads(vc.decode_segment(credential.split(".")[1]))
    list_path = payload["credentialStatus"]["statusListCredential"].removeprefix(
        "https://jxjd.example.cn"
    )
    status_list = client.get(list_path).get_data(as_text=True)
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    return credential, status_list, did_document


def test_jose_and_jsonld_verify_a_credential_and_read_its_status(
    node, client, certificate, admin_headers
):
    credential, status_list, did_document = fetch_all(client, certificate)
    verdict = independent_verdict(node, credential, status_list, did_document)
    assert verdict == {
        "ok": True,
        "revoked": False,
        "errors": [],
        "list_bits": vc.STATUS_LIST_SIZE,
        "subject_hours": certificate["hours"],
    }

    resp = client.post(
        f"/api/v1/certificates/{certificate['serial']}/revoke",
        json={"reason": "学时造假"},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    _, status_list, _ = fetch_all(client, certificate)
    assert independent_verdict(node, credential, status_list, did_document)["revoked"] is True


def test_the_independent_verifier_refuses_a_tampered_credential(node, client, certificate):
    credential, status_list, did_document = fetch_all(client, certificate)
    head, body, signature = credential.split(".")
    claims = json.loads(vc.decode_segment(body))
    claims["credentialSubject"]["creditsEarned"] = 240
    forged = f"{head}.{vc.encode_segment(json.dumps(claims).encode())}.{signature}"
    verdict = independent_verdict(node, forged, status_list, did_document)
    assert verdict["ok"] is False
    assert "signature verification failed" in " ".join(verdict["errors"])


def test_the_independent_verifier_refuses_an_undefined_json_ld_term(node, client, certificate):
    # The JSON-LD check can fail: a member no context defines is caught by safe mode.
    from jxjd.certificates.services import signing_keys

    credential, status_list, did_document = fetch_all(client, certificate)
    claims = json.loads(vc.decode_segment(credential.split(".")[1]))
    claims["credentialSubject"]["学时"] = 24
    claims.pop("iss")
    iat = claims.pop("iat")
    resigned = vc.sign_vc_jwt(signing_keys().active(), claims, iat)
    verdict = independent_verdict(node, resigned, status_list, did_document)
    assert verdict["ok"] is False and verdict["errors"]
