#!/usr/bin/env python3
"""Benchmark certificates as PDF (CONTRACT §13): a whole session's PDF and one certificate's.

One run, on a fresh temporary SQLite database: a base, a filed plan and a session with a long
title (so every QR text is close to the 800-character maximum, the densest codes there are); a
roster of N passing trainees uploaded through the HTTP layer, which issues N certificates; then,
through the HTTP layer (Flask test client, the base's bearer token):

(s) GET /api/v1/sessions/{id}/certificates.pdf — first in the process (the CJK fonts are opened
    and the glyphs converted), then warm, best of --repeats;
(c) GET /api/v1/certificates/{serial}.pdf — warm, best of --repeats.

Prints time, size and pages; --check also renders a few pages at 150 dpi with pdftoppm and
decodes their QR codes with pyzbar. Usage:

    .venv/bin/python scripts/bench_pdf.py [--certificates 600] [--repeats 3] [--check]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_ingest  # noqa: E402  (the same app, base, roster and upload helpers)

LONG_TITLE = (
    "湖南省二〇二六年度专业技术人员继续教育专业科目面授培训暨电子信息与人工智能应用能力提升"
    "高级研修班第一期（线上线下混合式教学，含实操考核与结业答辩环节）"
)
TARGET_SECONDS = 10.0


def create_session():
    """The benchmark's base with a filed plan, and a finished session of it with a long title."""
    from jxjd.auth import Actor
    from jxjd.extensions import db
    from jxjd.sessions.services import schedule_session

    base, (first,) = bench_ingest.create_sessions(1)
    actor = Actor(role="base", name=base.name, ref="bench", base_id=base.id)
    session = schedule_session(
        actor,
        base,
        {
            "plan_item_id": first.plan_item_id,
            "title": LONG_TITLE,
            "specialty": "电子信息",
            "category": "professional",
            "level": "senior",
            "audience": "public",
            "form": "in_person",
            "start_date": date(2026, 9, 7),
            "end_date": date(2026, 9, 9),
            "hours": Decimal(bench_ingest.SESSION_HOURS),
            "location": "长沙",
        },
    )
    db.session.commit()
    return base, session


def reset_peak_memory() -> bool:
    """Reset the process's peak RSS (Linux: /proc/self/clear_refs); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_memory_mib() -> float:
    """The process's peak RSS since start or the last reset, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_memory_mib() -> float:
    """The process's RSS now, in MiB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed_get(client, url: str, token: str) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds, body) of one GET that must answer 200 application/pdf."""
    cpu, started = time.process_time(), time.perf_counter()
    resp = client.get(url, headers={"Authorization": f"Bearer {token}"})
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    if resp.status_code != 200 or resp.mimetype != "application/pdf":
        raise SystemExit(f"GET {url}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
    return wall, used, resp.get_data()


def check_pages(data: bytes, pages: list[int], expected: list[str]) -> None:
    """Render `pages` at 150 dpi and decode their QR codes; each must equal its URL."""
    from PIL import Image
    from pyzbar import pyzbar

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "s.pdf"
        pdf.write_bytes(data)
        for page, url in zip(pages, expected, strict=True):
            prefix = Path(tmp) / f"p{page}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "150",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-png",
                    "-singlefile",
                    str(pdf),
                    str(prefix),
                ],
                check=True,
            )
            found = [s.data.decode() for s in pyzbar.decode(Image.open(f"{prefix}.png"))]
            status = "ok" if found == [url] else f"MISMATCH {found!r}"
            print(f"  page {page}: QR at 150 dpi {status} ({len(url)} characters)")


def main() -> None:
    """Build the session, time the PDFs and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--check", action="store_true", help="decode sample pages at 150 dpi")
    parser.add_argument("--profile", action="store_true", help="profile a warm session PDF")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="jxjd-bench-pdf-") as tmp:
        app = bench_ingest.build_app(Path(tmp))
        base, session = create_session()
        token = bench_ingest.base_token(base)
        client = app.test_client()
        people = [
            {**p, "hours": bench_ingest.SESSION_HOURS, "result": "合格"}
            for p in bench_ingest.make_people(args.certificates, rng, set())
        ]
        receipt = bench_ingest.upload(client, session.id, token, bench_ingest.roster_xlsx(people))
        issued = receipt["certificates_issued"]
        listed = client.get(
            f"/api/v1/sessions/{session.id}/certificates",
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()["certificates"]
        urls = [c["verify_url"] for c in listed]
        print(
            f"session: {issued} certificates; QR texts {min(map(len, urls))}–"
            f"{max(map(len, urls))} characters (max 799)"
        )

        url = f"/api/v1/sessions/{session.id}/certificates.pdf"
        before = current_memory_mib()
        reset_peak_memory()
        cold, cold_cpu, data = timed_get(client, url, token)
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(data)).pages)
        print(
            f"(s) session PDF, first in process: {cold:6.2f} s (cpu {cold_cpu:.2f} s), "
            f"{len(data) / 1e6:.2f} MB, {pages} pages; peak RSS {peak_memory_mib():.0f} MiB "
            f"(from {before:.0f} MiB)"
        )
        warm = []
        before = current_memory_mib()
        measured_peak = reset_peak_memory()
        for _ in range(args.repeats):
            wall, used, data = timed_get(client, url, token)
            warm.append((wall, used))
        best, best_cpu = min(warm)
        print(
            f"(s) session PDF, warm, best of {args.repeats}: {best:6.2f} s (cpu {best_cpu:.2f} s), "
            f"{best / pages * 1000:.1f} ms a page, {len(data) / pages / 1024:.1f} KiB a page"
        )
        if measured_peak:
            print(f"    peak RSS {peak_memory_mib():.0f} MiB (from {before:.0f} MiB)")

        serial = listed[len(listed) // 2]["serial"]
        singles = [
            timed_get(client, f"/api/v1/certificates/{serial}.pdf", token)
            for _ in range(max(args.repeats, 5))
        ]
        one, one_cpu, one_data = min(singles, key=lambda s: s[0])
        print(
            f"(c) one certificate, warm, best of {len(singles)}: {one * 1000:6.1f} ms "
            f"(cpu {one_cpu * 1000:.1f} ms), {len(one_data) / 1024:.1f} KiB"
        )
        verdict = "met" if best <= TARGET_SECONDS and cold <= TARGET_SECONDS else "NOT met"
        print(f"target: session PDF of {pages} certificates <= {TARGET_SECONDS:.0f} s: {verdict}")

        if args.check:
            order = client.get(
                f"/api/v1/sessions/{session.id}/attendance",
                headers={"Authorization": f"Bearer {token}"},
            ).get_json()["records"]
            by_serial = {c["serial"]: c["verify_url"] for c in listed}
            roster = [by_serial[r["certificate"]] for r in order if r["certificate"]]
            sample = sorted({1, 2, pages // 2, pages})
            check_pages(data, sample, [roster[p - 1] for p in sample])

        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
            timed_get(client, url, token)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
