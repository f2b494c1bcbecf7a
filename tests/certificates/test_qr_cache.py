"""A QR cache folder that cannot be written is skipped: the image is served, no temp file is left."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache_dir(app, tmp_path, monkeypatch):
    """Point the app's QR cache somewhere this test controls; set_to(path) moves it."""

    def set_to(path: Path) -> Path:
        monkeypatch.setitem(app.config, "JXJD_QR_CACHE_DIR", str(path))
        return path

    return set_to


def _get_both(client, headers, serial):
    png = client.get(f"/api/v1/certificates/{serial}/qr.png", headers=headers)
    svg = client.get(f"/api/v1/certificates/{serial}/qr.svg", headers=headers)
    assert (png.status_code, svg.status_code) == (200, 200), png.get_data(as_text=True)
    assert Image.open(io.BytesIO(png.data)).format == "PNG"
    assert svg.data.lstrip().startswith(b"<?xml") and b"<svg" in svg.data
    return png, svg


def test_a_cache_path_under_a_regular_file_is_skipped(client, one_certificate, cache_dir, tmp_path):
    # Not a folder at all (what a read-only or missing mount looks like to mkdir, even for root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    cache_dir(blocker / "qr-cache")
    headers, serial = one_certificate
    first, _ = _get_both(client, headers, serial)
    second, _ = _get_both(client, headers, serial)  # rendered again, still fine
    assert first.data == second.data
    assert blocker.read_text() == "x"


def test_a_failed_store_leaves_no_temp_file(client, one_certificate, cache_dir, tmp_path):
    # The image's own name is taken by a non-empty folder: the temp file is written, the rename
    # onto it fails, and the temp file must go.
    folder = cache_dir(tmp_path / "qr-cache")
    headers, serial = one_certificate
    _get_both(client, headers, serial)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and not any(n.endswith(".tmp") for n in names)
    for name in names:
        (folder / name).unlink()
        (folder / name / "occupied").mkdir(parents=True)
    _get_both(client, headers, serial)
    assert sorted(p.name for p in folder.iterdir()) == names
    assert all((folder / n).is_dir() for n in names)


def test_an_empty_cached_file_is_rendered_again(client, one_certificate, cache_dir, tmp_path):
    folder = cache_dir(tmp_path / "qr-cache")
    headers, serial = one_certificate
    good, _ = _get_both(client, headers, serial)
    for path in folder.iterdir():
        path.write_bytes(b"")
    again, _ = _get_both(client, headers, serial)
    assert again.data == good.data


FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from jxjd.certificates.qr import write_cached

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    stored = write_cached(Path(sys.argv[1]) / "ABC-0123.png", b"\\x89PNG" * 100)
    print("stored" if stored else "skipped")
    """
)


def test_a_full_disk_leaves_no_zero_byte_temp_file(tmp_path):
    # A process whose files may not grow at all: creating the temp file works, writing fails,
    # exactly as on a full disk (root included).
    folder = tmp_path / "qr-cache"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "skipped"
    assert "not writable" in result.stderr
    assert list(folder.iterdir()) == []


def test_a_qr_image_the_client_holds_is_answered_304_by_its_etag(client, one_certificate):
    headers, serial = one_certificate
    url = f"/api/v1/certificates/{serial}/qr.png"
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-store" and etag.endswith('-png"')
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    svg = client.get(url.replace(".png", ".svg"), headers={**headers, "If-None-Match": etag})
    assert svg.status_code == 200  # another format, another tag
    other = client.get(url, headers={**headers, "If-None-Match": '"0000000000000000-png"'})
    assert other.status_code == 200 and other.data == first.data
    stranger = client.get(url, headers={"If-None-Match": etag})
    assert stranger.status_code == 401  # the tag never stands in for authorization


def test_another_base_holding_the_tag_is_still_refused(
    client, one_certificate, create_base, base_headers
):
    headers, serial = one_certificate
    url = f"/api/v1/certificates/{serial}/qr.png"
    etag = client.get(url, headers=headers).headers["ETag"]
    other = client.get(url, headers={**base_headers(create_base()), "If-None-Match": etag})
    assert other.status_code == 403
    assert client.get(url.replace("qr.png", "nope/qr.png"), headers=headers).status_code == 404


def test_a_re_signed_certificate_gets_a_new_tag_at_once(app, client, one_certificate):
    import sqlalchemy as sa

    from jxjd.certificates.models import Certificate
    from jxjd.certificates.services import signing_keys
    from jxjd.extensions import db

    headers, serial = one_certificate
    url = f"/api/v1/certificates/{serial}/qr.png"
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    assert client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
    with app.app_context():  # what a re-signing writes: the same payload under a new token
        cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))
        cert.token = signing_keys().active().sign({**cert.payload, "iat": cert.payload["iat"] + 1})
        db.session.commit()
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert again.data != first.data
