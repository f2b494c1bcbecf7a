#!/usr/bin/env python3
"""Verify an electronic training certificate offline, against a saved JWKS (no server needed).

The checks are the server's own (jxjd.certificates.signing.verify_token): signature by a
published key, and the token's `iat` within that key's window [nbf, exp] (5 minutes' leeway),
never under a key the JWKS marks "compromised".
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "jxjd" not in sys.modules:
    # jxjd/__init__.py builds the Flask app; the verifier needs none of it, so register the
    # bare package without running it (jxjd.certificates and jxjd.common have empty __init__s).
    _package = types.ModuleType("jxjd")
    _package.__path__ = [str(ROOT / "jxjd")]
    sys.modules["jxjd"] = _package

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import parse_qs, unquote, urlsplit  # noqa: E402

from jxjd.certificates.fields import BY_KEY, CERTIFICATE_FIELDS  # noqa: E402
from jxjd.certificates.signing import (  # noqa: E402
    KEY_WINDOW_LEEWAY,
    jwks_from_document,
    verify_token,
)

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

REVOCATION_NOTE = "离线验证无法确认证书是否已被撤销，请以在线查询为准。"
TRANSCRIPT_NOTE = (
    "学时认定单证明签发时的学时情况；离线验证无法得知签发后记录是否变更（如证书被撤销），"
    "请以在线查询为准。 A transcript states the record as of its issue time; only the online "
    "check tells whether the record has changed since."
)
TRANSCRIPT = "transcript"
OLD_JWKS_NOTE = (
    "公钥集未标注密钥有效期（旧版文件），无法检查签发时间是否在密钥有效期内，请重新下载 "
    "/.well-known/jwks.json。 The saved JWKS has no key windows (nbf/exp): download it again."
)

STEP_LABELS = {
    "well_formed": "令牌格式 well-formed",
    "key_known": "签名密钥已知 key known",
    "signature": "签名有效 signature",
    "key_window": "签发时间在密钥有效期内 issued within the key's validity",
    "serial_match": "证书编号一致 serial matches URL",
}
_SERIAL_PATH = re.compile(r"/v/([^/?#]+)/?$")


def parse_qr_text(text: str) -> tuple[str, str | None]:
    """The token and, when `text` is a verification URL, the serial in its path."""
    text = text.strip()
    if "://" not in text and "?" not in text and "/" not in text:
        return text, None
    parts = urlsplit(text)
    tokens = parse_qs(parts.query).get("t")
    if not tokens:
        raise ValueError("URL has no t= parameter / 链接中没有 t= 参数")
    match = _SERIAL_PATH.search(parts.path)
    if match is None:
        raise ValueError("URL path is not /v/<serial> / 链接路径不是 /v/<证书编号>")
    return tokens[0], unquote(match.group(1))


def decode_image(path: Path) -> list[str]:
    """Every QR code's text in an image file (pyzbar + Pillow)."""
    from PIL import Image
    from pyzbar.pyzbar import ZBarSymbol
    from pyzbar.pyzbar import decode as zbar_decode

    with Image.open(path) as image:
        image.load()
        symbols = zbar_decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])
    return [symbol.data.decode("utf-8", errors="replace") for symbol in symbols]


def _format_value(key: str, payload: dict[str, Any]) -> str:
    """A payload member as the certificate field shows it (a code with its label)."""
    value, field = payload[key], BY_KEY.get(key)
    if field is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    shown = field.text(payload)
    return f"{shown} ({value})" if isinstance(value, str) and shown != value else shown


def _print_transcript(payload: dict[str, Any]) -> None:
    """The signed statement of a transcript (学时认定单): who, the span, each year."""
    print("学时认定单 Transcript (as of issue / 截至签发时):")
    print(f"  认定单编号 (sn): {payload.get('sn')}")
    print(f"  姓名 (name): {payload.get('name')}")
    print(f"  身份证号 (id_masked): {payload.get('id_masked')}")
    print(f"  认定年度 (span): {payload.get('from')}—{payload.get('to')}")
    print("  年度 year | 公需科目 general | 专业科目 professional | 是否达标 compliant")
    for year in payload.get("years") or []:
        if isinstance(year, dict):
            ok = "达标 yes" if year.get("ok") else "未达标 no"
            print(f"  {year.get('y')} | {year.get('g')} | {year.get('p')} | {ok}")
    verdict = "各年度均达标 all years compliant" if payload.get("ok") else "未全部达标 not all"
    print(f"  结论 (ok): {verdict}")
    print(f"  签发时间 (iat): {payload.get('iat')}")


def _print_report(
    checks: list[dict[str, Any]], payload: dict[str, Any] | None, kid: str | None
) -> None:
    """Print the checks and, if given, the certificate's or transcript's fields."""
    print("检查项 Checks:")
    for check in checks:
        mark = "通过 OK  " if check["ok"] else "失败 FAIL"
        print(f"  [{mark}] {STEP_LABELS.get(check['step'], check['step'])}")
    if payload is None:
        return
    if payload.get("kind") == TRANSCRIPT:
        print()
        _print_transcript(payload)
        print(f"  密钥 (kid): {kid}")
        return
    print()
    print("证书内容 Certificate:")
    for field in CERTIFICATE_FIELDS:
        if field.key in payload:
            print(f"  {field.label} ({field.key}): {_format_value(field.key, payload)}")
    for key in payload:
        if key not in BY_KEY:
            print(f"  {key}: {_format_value(key, payload)}")
    print(f"  密钥 (kid): {kid}")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        description=(
            "离线验证电子培训证书（无需连接服务器）。"
            " Verify an electronic training certificate offline against a saved JWKS."
        ),
        epilog=(
            "退出码 Exit status: 0 有效 valid, 1 无效 invalid, 2 输入错误 usage/input error. "
            + REVOCATION_NOTE
            + f" 签发时间须在签名密钥的有效期 [nbf, exp] 内（允许 {KEY_WINDOW_LEEWAY} 秒时钟误差），"
            "已宣布泄露的密钥签名一律无效。 The token's iat must lie within its key's [nbf, exp] "
            f"(±{KEY_WINDOW_LEEWAY} s); keys marked compromised make every token invalid."
        ),
    )
    parser.add_argument(
        "--jwks",
        required=True,
        type=Path,
        help="保存的公钥集文件 (/.well-known/jwks.json) / saved JWKS file",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "qr_text",
        nargs="?",
        help="二维码内容：链接 https://.../v/编号?t=令牌 或令牌 / QR text: URL or bare token",
    )
    source.add_argument(
        "--image", type=Path, help="二维码图片 (PNG/JPEG) / image file containing the QR code"
    )
    return parser


def _load_keys(path: Path) -> dict[str, Any]:
    """The public keys of a saved JWKS file."""
    return jwks_from_document(json.loads(path.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    """Run the verifier; returns the exit status."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    try:
        keys = _load_keys(args.jwks)
    except (OSError, ValueError) as exc:
        print(f"无法读取公钥集 cannot read JWKS {args.jwks}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not keys:
        print(
            f"公钥集中没有可用的公钥（Ed25519 或 SM2） no usable keys in {args.jwks}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    if args.image is not None:
        try:
            texts = decode_image(args.image)
        except (OSError, ValueError) as exc:
            print(f"无法读取图片 cannot read image {args.image}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not texts:
            print(f"图片中未找到二维码 no QR code found in {args.image}", file=sys.stderr)
            return EXIT_USAGE
        if len(texts) > 1:
            print(
                f"图片中有 {len(texts)} 个二维码，验证第一个 / {len(texts)} QR codes, using first"
            )
        qr_text = texts[0]
        print(f"二维码内容 QR text: {qr_text}")
    else:
        qr_text = args.qr_text

    try:
        token, serial = parse_qr_text(qr_text)
    except ValueError as exc:
        print(f"无法识别的二维码内容 unrecognised QR text: {exc}", file=sys.stderr)
        return EXIT_INVALID

    result = verify_token(token, keys)
    checks = list(result.checks)
    key = keys.get(result.kid) if result.kid else None
    valid = result.valid
    if valid and serial is not None:
        match = result.payload is not None and result.payload.get("sn") == serial
        checks.append({"step": "serial_match", "ok": match})
        valid = match

    _print_report(checks, result.payload if valid else None, result.kid)
    print()
    transcript = valid and (result.payload or {}).get("kind") == TRANSCRIPT
    if transcript:
        print("结论 Result: 学时认定单有效 VALID — 签名由发证机构密钥签发，所列为签发时的学时。")
    elif valid:
        print("结论 Result: 证书有效 VALID — 签名由发证机构密钥签发。")
    else:
        reason = result.error or "URL serial does not match the signed certificate number"
        print(f"结论 Result: 证书无效 INVALID — {reason}")
    print(f"注意 Note: {TRANSCRIPT_NOTE if transcript else REVOCATION_NOTE}")
    if key is not None and key.nbf is None and not key.compromised:
        print(f"注意 Note: {OLD_JWKS_NOTE}")
    return EXIT_VALID if valid else EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
