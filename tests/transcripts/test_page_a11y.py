"""The transcript's QR code is an image with a name (axe-core: no aria-label on a plain div)."""

from __future__ import annotations

import re

ZHANG = ("430104199003070015", "张三")


def test_the_qr_code_is_labelled_as_an_image(client, earn, person_headers, make_account, login):
    earn(ZHANG, "2025-06-03", "professional", 24)
    serial = client.post(
        "/api/v1/me/transcripts", json={"from": 2025, "to": 2025}, headers=person_headers()
    ).get_json()["serial"]
    make_account("person", username="zhangsan", name=ZHANG[1], id_number=ZHANG[0])
    assert login(client, "zhangsan").status_code == 302
    html = client.get(f"/transcripts/{serial}").get_data(as_text=True)
    qr = re.search(r'<div class="qr"[^>]*>', html).group(0)
    assert 'role="img"' in qr and 'aria-label="认定单核验二维码"' in qr
