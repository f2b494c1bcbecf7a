"""A claim's evidence: a PDF, JPEG or PNG, size-limited, its type decided by its content."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask import current_app
from PIL import Image

from jxjd.errors import PayloadTooLarge, Problem, UnsupportedMediaType

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024  # a phone photo or a scanned PDF; never above the upload limit
MAX_PIXELS = 40_000_000  # a phone photo is ~12 MP; a decompression bomb claims far more
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


class UnsupportedEvidence(UnsupportedMediaType):
    code, title = "unsupported_evidence", "证明材料须为 PDF、JPEG 或 PNG 文件"


class EvidenceTooLarge(PayloadTooLarge):
    code, title = "evidence_too_large", "证明材料文件过大"


class UnreadableEvidence(Problem):
    status, code, title = 422, "invalid_evidence", "证明材料文件已损坏或无法读取"


@dataclass(frozen=True)
class Evidence:
    """Checked evidence bytes with the type their content shows."""

    data: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def max_bytes() -> int:
    """The evidence size limit: 5 MB, or the upload limit (JXJD_MAX_UPLOAD_MB) if lower."""
    return min(MAX_EVIDENCE_BYTES, current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024)


def read_evidence(stream, filename: str | None = None) -> Evidence:
    """Read at most the limit (+1 byte) from an upload and check it; 413/415/422 otherwise."""
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceTooLarge(f"证明材料不能超过 {limit // (1024 * 1024)} MB，请压缩后重试")
    return checked_evidence(data)


def checked_evidence(data: bytes) -> Evidence:
    """The evidence when its content is a readable PDF, JPEG or PNG of bounded size."""
    kind = next((t for magic, t in MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise UnsupportedEvidence(
            "证明材料须为 PDF 文件或 JPEG、PNG 照片（按文件内容判断，与扩展名无关）"
        )
    if kind == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise UnreadableEvidence("PDF 文件不完整（缺少文件结尾），请重新导出后上传")
        return Evidence(data, kind)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UnreadableEvidence("照片像素过多，请缩小后重新上传")
                image.verify()
    except Problem:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure means the file is not a usable image
        raise UnreadableEvidence("照片文件已损坏或无法识别，请重新拍摄后上传") from None
    return Evidence(data, kind)
