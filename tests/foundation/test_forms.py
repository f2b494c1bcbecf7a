"""The page/form layer (jxjd/forms.py): errors placed beside inputs, values as typed, PRG."""

from __future__ import annotations

from flask import redirect
from werkzeug.datastructures import MultiDict

from jxjd.errors import Conflict, ValidationFailed, field_error
from jxjd.forms import FormErrors, Typed, by_names, message_of, place_errors, submit

LABELS = {"year": "年度", "name": "姓名"}


def test_schema_paths_are_taken_off_messages_but_chinese_is_never_cut():
    assert (
        message_of({"field": "items[0].hours", "message": "items[0].hours：应为数字"}) == "应为数字"
    )
    # Only the API path comes off: a Chinese message is left whole.
    message = "姓名：与身份证号登记的姓名不一致"
    assert message_of({"field": "name", "message": message}) == message
    assert message_of({"field": None, "message": message}) == message


def test_errors_go_beside_their_inputs_and_into_the_summary():
    problem = ValidationFailed(
        [
            field_error("invalid_number", "year：应为数字", field="year"),
            field_error("required", "请填写姓名", field="name"),
            field_error("bad_row", "身份证号校验不通过", row=3),
            field_error("other", "整体的问题"),
        ]
    )
    errors = place_errors(problem, LABELS)
    assert errors["year"] == ["应为数字"] and errors["name"] == ["请填写姓名"]
    assert "year" in errors and "code" not in errors and errors["code"] == []
    assert errors.summary == [
        "年度：应为数字",
        "请填写姓名",
        "第 3 行：身份证号校验不通过",
        "整体的问题",
    ]
    assert errors.located["year"] == ["年度：应为数字"]
    assert errors.headline == "提交未成功，请按提示修改以下 4 处后再试"
    assert "invalid_number" not in " ".join(errors.summary)


def test_a_problem_without_errors_is_its_detail():
    errors = place_errors(Conflict("该年度已有未备案的计划版本"), LABELS)
    assert errors and errors.headline == "该年度已有未备案的计划版本" and errors.summary == []
    assert not FormErrors() and FormErrors().headline == ""


def test_a_placer_may_say_the_message_names_its_place():
    problem = ValidationFailed([field_error("x", "第2位教师学历为大专", field="teachers[1]")])
    errors = place_errors(problem, lambda e: ("teachers-1", ""))
    assert errors.located["teachers-1"] == ["第2位教师学历为大专"]


def test_typed_values_win_over_saved_ones():
    typed = Typed(MultiDict([("year", "二〇二八"), ("level", "a"), ("level", "b")]), {"year": 2027})
    assert typed["year"] == "二〇二八" and typed.getlist("level") == ["a", "b"]
    assert Typed(None, {"year": 2027, "none": None}).get("year") == "2027"
    assert Typed(None, {"none": None}).get("none") == "" and "none" in Typed(None, {"none": 1})
    assert Typed(None, {"tags": ["x", 1]}).getlist("tags") == ["x", "1"]


def test_submit_redirects_on_success_and_re_renders_with_the_status(app):
    with app.test_request_context("/x", method="POST", data={"year": "1999"}):
        resp = submit(lambda: 5, done=lambda n: redirect(f"/done/{n}"), again=lambda e: "again")
        assert resp.status_code == 302 and resp.headers["Location"] == "/done/5"

        def fails():
            raise ValidationFailed([field_error("out_of_range", "年度超出范围", field="year")])

        html, status, headers = submit(
            fails, done=lambda _: "done", again=lambda e: f"again:{e['year'][0]}", place=LABELS
        )
        assert (html, status, headers) == ("again:年度超出范围", 422, {})


def test_by_names_places_only_known_inputs():
    place = by_names(LABELS)
    assert place({"field": "year"}) == ("year", "年度") and place({"field": "other"}) is None
