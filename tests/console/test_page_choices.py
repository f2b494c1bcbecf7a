"""The admin's forms: no severe choice pre-selected; refusals name the form's inputs in Chinese."""

from __future__ import annotations

import re

from jxjd.bases.models import Base
from jxjd.extensions import db


def test_the_status_form_preselects_no_status_and_a_blank_choice_changes_nothing(
    signed_in, post_form, create_base
):
    base = create_base(name="未选状态的基地")
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    html = client.get(page).get_data(as_text=True)
    select = re.search(r'<select id="st-status"[^>]*>(.*?)</select>', html, re.S).group(1)
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert first == '<option value="">请选择</option>'  # not 弄虚作假不再受理, the first move
    assert "selected" not in select
    resp = post_form(
        client, page, f"/console/bases/{base.id}/status", {"status": "", "reason": "误点"}
    )
    text = resp.get_data(as_text=True)
    assert re.search(r'flash error">([^<]*)', text).group(1) == "新的状态：取值不在允许的范围内"
    db.session.expire_all()
    assert db.session.get(Base, base.id).status == "recognized"


def test_a_refused_specialty_row_is_named_by_its_place_on_the_form(
    signed_in, post_form, create_base
):
    base = create_base()
    client = signed_in("admin")
    page = f"/bases/{base.id}"
    resp = post_form(
        client,
        page,
        f"/console/bases/{base.id}/specialties",
        {"rows": "1", "s-0-name": "人工智能", "s-0-levels": "expert"},
    )
    message = re.search(r'flash error">([^<]*)', resp.get_data(as_text=True)).group(1)
    assert message.startswith("第 1 个专业的培训层次："), message
    assert "specialties" not in message
