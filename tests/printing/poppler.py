"""Reading the PDFs back as a reader would: poppler-utils (pdffonts, pdftotext, pdftoppm), pypdf,
and pyzbar for the QR codes on a 150 dpi render.

Without poppler-utils the tests are skipped, unless CI=true: there they fail (.ci/run installs it).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

TOOLS = ("pdffonts", "pdftotext", "pdftoppm")


def require_poppler() -> None:
    """Skip (fail under CI) when poppler-utils is not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils not installed ({', '.join(missing)})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " but CI=true")
        pytest.skip(message)


def _run(args: list[str], data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        done = subprocess.run([*args, str(path), "-"], capture_output=True, check=True, timeout=120)
    return done.stdout.decode("utf-8")


def page_count(data: bytes) -> int:
    """Pages, as pypdf counts them."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def fonts(data: bytes) -> list[dict[str, str]]:
    """pdffonts' table: one {"name", "type", "emb"} per font of the document."""
    require_poppler()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        out = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, check=True, timeout=60
        ).stdout.decode()
    rows = []
    for line in out.splitlines()[2:]:  # a header line and a rule
        parts = line.split()
        # name, type words (e.g. "TrueType", "CID TrueType"), encoding, emb, sub, uni, object, id
        rows.append({"name": parts[0], "type": " ".join(parts[1:-6]), "emb": parts[-5]})
    return rows


def text(data: bytes, page: int | None = None) -> str:
    """The text pdftotext extracts (of one page, 1-based, when given)."""
    require_poppler()
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return _run(args, data)


def qr_texts_per_page(data: bytes, dpi: int = 150) -> list[list[str]]:
    """For each page rendered at `dpi`, every QR text pyzbar decodes from it."""
    require_poppler()
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(Path(tmp) / "page")],
            check=True,
            timeout=300,
        )
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [
            [symbol.data.decode("utf-8") for symbol in pyzbar.decode(Image.open(png))]
            for png in pages
        ]


def baselines(data: bytes, page: int) -> dict[str, float]:
    """The y of each string drawn on a page (1-based), as pypdf reads the text matrices."""
    from pypdf import PdfReader

    found: dict[str, float] = {}

    def visit(text_: str, cm, tm, font, size) -> None:
        if text_.strip():
            found.setdefault(text_.strip(), tm[5] * cm[3] + cm[5])

    PdfReader(io.BytesIO(data)).pages[page - 1].extract_text(visitor_text=visit)
    return found
