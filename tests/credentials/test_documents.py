"""The credential documents as pure functions, against the specifications' schemas and examples."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft201909Validator, FormatChecker

from jxjd.credentials import vc
from tests.credentials.conftest import vendored

ID_NUMBER = "430104199003070015"
PAYLOAD = {
    "sn": "7Q0X3M8N2K4P6R9T1V5W8Y2Z",
    "name": "张三",
    "id_masked": "430104********0015",
    "hours": 24,
    "title": "人工智能应用高级研修班（第一期）",
    "base": "湖南某某职业技术学院继续教育学院",
    "category": "professional",
    "start_date": "2026-03-01",
    "end_date": "2026-03-03",
    "iat": 1772503200,
}


def facts(**changes) -> vc.CertificateFacts:
    values = {
        "serial": PAYLOAD["sn"],
        "payload": PAYLOAD,
        "issued_at": datetime(2026, 3, 3, 2, 0, tzinfo=UTC),
        "session_id": 7,
        "id_number": ID_NUMBER,
        "salt": "9f2c4a61b0d84e57a3c1e2f4d5b6a7c8",
        "status": vc.StatusEntry("https://jxjd.example.cn/status/1", 94567),
        "public_url": "https://jxjd.example.cn",
    }
    values.update(changes)
    return vc.CertificateFacts(**values)


@pytest.fixture(scope="module")
def ob_validator():
    schema = vendored("openbadges/ob_v3p0_achievementcredential_schema.json")
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=FormatChecker())


def errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_vendored_schema_accepts_the_specifications_own_examples(ob_validator):
    # The schema and examples come from the same 1EdTech repository: a sanity check of both.
    for name in ("example-basic-openbadgecredential", "example-complete-openbadgecredential"):
        assert errors(ob_validator, vendored(f"openbadges/{name}.json")) == []


def test_a_certificate_credential_is_a_valid_open_badge_credential(ob_validator):
    credential = vc.openbadge_credential(facts())
    assert errors(ob_validator, credential) == []
    assert credential["@context"] == [vc.VC_CONTEXT, vc.OB_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:jxjd.example.cn"
    assert credential["issuer"]["name"] == "湖南省人力资源和社会保障厅"
    assert credential["validFrom"] == "2026-03-03T02:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["creditsEarned"] == 24
    achievement = subject["achievement"]
    assert achievement["creditsAvailable"] == 24
    assert achievement["fieldOfStudy"] == "专业科目"
    assert achievement["name"] == PAYLOAD["title"]
    assert achievement["creator"]["name"] == PAYLOAD["base"]
    assert subject["activityEndDate"] == "2026-03-03T00:00:00+08:00"


def test_the_schema_refuses_a_credential_without_its_achievement(ob_validator):
    # The validation above can fail: a credential missing a required member does.
    credential = vc.openbadge_credential(facts())
    del credential["credentialSubject"]["achievement"]
    assert errors(ob_validator, credential)


def test_the_subject_is_a_salted_hash_of_the_id_number_never_the_number():
    credential = vc.openbadge_credential(facts())
    text = json.dumps(credential, ensure_ascii=False)
    assert ID_NUMBER not in text
    assert ID_NUMBER[6:14] not in text  # not even the birth date part
    hashed = credential["credentialSubject"]["identifier"][0]
    assert hashed == {
        "type": "IdentityObject",
        "identityType": "nationalIdentityNumber",
        "hashed": True,
        "identityHash": vc.identity_hash(ID_NUMBER, hashed["salt"]),
        "salt": "9f2c4a61b0d84e57a3c1e2f4d5b6a7c8",
    }
    # A verifier holding the card checks it the OB 3.0 way: sha256 of number + salt.
    import hashlib

    digest = hashlib.sha256((ID_NUMBER + hashed["salt"]).encode()).hexdigest()
    assert hashed["identityHash"] == f"sha256${digest}"
    other = vc.openbadge_credential(facts(salt="0" * 32))
    assert other["credentialSubject"]["identifier"][0]["identityHash"] != hashed["identityHash"]


def test_identity_hash_matches_the_open_badges_specifications_example():
    # The OB 3.0 schema's IdentityHash comment: 'a@example.com' salted with 'Kosher'.
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert vc.identity_hash("a@example.com", "Kosher") == expected
    schema_text = json.dumps(vendored("openbadges/ob_v3p0_achievementcredential_schema.json"))
    assert expected in schema_text


def test_the_status_entry_follows_the_bitstring_status_list_example():
    entry = vc.openbadge_credential(facts())["credentialStatus"]
    # Same members and shapes as the spec's "A Revocable Verifiable Credential" example.
    assert entry == {
        "id": "https://jxjd.example.cn/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://jxjd.example.cn/status/1",
    }


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://jxjd.example.cn", "did:web:jxjd.example.cn"),
        ("https://JXJD.example.cn/", "did:web:jxjd.example.cn"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://hrss.hunan.gov.cn/jxjd", "did:web:hrss.hunan.gov.cn:jxjd"),
    ],
)
def test_did_web_of_the_public_url(url, did):
    assert vc.did_web(url) == did


def test_did_document_path_follows_did_web():
    assert vc.did_document_path("https://jxjd.example.cn") == "/.well-known/did.json"
    assert vc.did_document_path("https://hrss.hunan.gov.cn/jxjd") == "/jxjd/did.json"


def test_the_specifications_status_list_decodes_to_sixteen_kib_of_zeros():
    example = vendored("w3c/bitstring-status-list-example.json")
    bits = vc.decode_bitstring(example["credentialSubject"]["encodedList"])
    assert bits == bytes(vc.STATUS_LIST_SIZE // 8)
    # An empty list of ours decodes to the same bitstring.
    assert vc.decode_bitstring(vc.encode_bitstring(vc.bitstring([]))) == bits


def test_bits_are_set_from_the_left_of_the_first_byte():
    bits = vc.bitstring([0, 9, vc.STATUS_LIST_SIZE - 1])
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert sum(bin(b).count("1") for b in bits) == 3
    decoded = vc.decode_bitstring(vc.encode_bitstring(bits))
    assert [i for i in (0, 1, 8, 9, 131071) if vc.bit_is_set(decoded, i)] == [0, 9, 131071]
    encoded = vc.encode_bitstring(bits)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded


def test_status_list_credential_matches_the_specifications_example():
    example = vendored("w3c/bitstring-status-list-example.json")
    ours = vc.status_list_credential(
        "https://jxjd.example.cn/status/3",
        "did:web:jxjd.example.cn",
        vc.encode_bitstring(vc.bitstring([])),
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert ours["@context"] == example["@context"]
    assert ours["type"] == example["type"]
    assert set(example) <= set(ours)
    assert set(example["credentialSubject"]) <= set(ours["credentialSubject"])
    assert ours["credentialSubject"]["id"] == ours["id"] + "#list"
    assert ours["credentialSubject"]["type"] == "BitstringStatusList"


@pytest.mark.parametrize(
    "encoded",
    ["", "H4sIAAAA", "u!!!", "u" + "A" * 40, "z" + vc.encode_bitstring(bytes(8))[1:]],
)
def test_a_malformed_encoded_list_is_refused(encoded):
    with pytest.raises(ValueError):
        vc.decode_bitstring(encoded)


def test_a_gzip_bomb_is_refused_without_inflating_it():
    bomb = gzip.compress(bytes(64 * 1024 * 1024), mtime=0)
    import base64

    encoded = "u" + base64.urlsafe_b64encode(bomb).rstrip(b"=").decode()
    with pytest.raises(ValueError, match="too large"):
        vc.decode_bitstring(encoded)


def test_bitstring_refuses_indices_outside_the_list():
    with pytest.raises(ValueError):
        vc.bitstring([vc.STATUS_LIST_SIZE])
    with pytest.raises(ValueError):
        vc.bitstring([-1])


def test_the_credential_is_built_only_from_the_signed_payload():
    changed = copy.deepcopy(PAYLOAD)
    changed["hours"] = 36
    credential = vc.openbadge_credential(facts(payload=changed))
    assert credential["credentialSubject"]["creditsEarned"] == 36
