"""The page/form layer: parse → service → commit → redirect, or the form again as it was typed.

A page form goes through `submit(step, done=..., again=...)`:

- `step()` parses the posted form and calls the service (which authorizes and flushes);
- on success the request's one commit happens (jxjd/transactions.py) and `done(result)` answers,
  normally with a redirect (post/redirect/get: reloading the next page never posts again);
- a Problem rolls back what the step wrote and `again(errors)` renders the same form with
  `Typed(request.form)` (every value as the user typed it) and `errors` (a `FormErrors`): each
  message beside its field, the rest above the form, always as Chinese sentences, never codes.

The problem's `errors` name API paths ("items[2].level"); `place` maps a path to the form's
input name (and a label for the summary), so one service serves the API and the page alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request
from werkzeug.datastructures import MultiDict

from jxjd.errors import Problem, ValidationFailed
from jxjd.transactions import attempt

T = TypeVar("T")

# Where an error goes: the error (its "field" is an API path) → (input name, label for the
# summary; "" when the message names its place itself), or None for the summary only.
Placer = Callable[[Mapping[str, Any]], "tuple[str, str] | None"]


@dataclass
class FormErrors:
    """A problem's messages placed beside the form's inputs; the rest listed above the form."""

    problem: Problem | None = None
    by_field: dict[str, list[str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    # The same messages with their place ("第 2 位教师的职称：…"), for an error shown per row.
    located: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.problem is not None

    def __getitem__(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def __contains__(self, name: object) -> bool:
        return name in self.by_field

    @property
    def headline(self) -> str:
        """The sentence above the form: how many things to fix, or the problem itself."""
        if self.problem is None:
            return ""
        if isinstance(self.problem, ValidationFailed) and self.problem.errors:
            return f"提交未成功，请按提示修改以下 {len(self.problem.errors)} 处后再试"
        return self.problem.detail


def message_of(error: Mapping[str, Any]) -> str:
    """An error's Chinese sentence without the API path the schema puts in front of it."""
    message, path = str(error.get("message") or ""), error.get("field") or ""
    if path and message.startswith(f"{path}："):
        return message[len(path) + 1 :]
    return message


def by_names(labels: Mapping[str, str]) -> Placer:
    """A placer for flat forms whose input names are the API's field names."""

    def place(error: Mapping[str, Any]) -> tuple[str, str] | None:
        path = error.get("field") or ""
        return (path, labels[path]) if path in labels else None

    return place


def place_errors(problem: Problem | None, place: Placer | Mapping[str, str] | None) -> FormErrors:
    """Each of the problem's errors beside the input `place` names, or in the summary."""
    errors = FormErrors(problem)
    if problem is None:
        return errors
    placer = by_names(place) if isinstance(place, Mapping) else place
    if not problem.errors:
        return errors
    for error in problem.errors:
        message = message_of(error)
        where = placer(error) if placer is not None else None
        row = f"第 {error['row']} 行：" if error.get("row") else ""
        if where is None:
            errors.summary.append(f"{row}{message}")
            continue
        name, label = where
        text = f"{label}：{message}" if label and label not in message else message
        errors.by_field.setdefault(name, []).append(message)
        errors.located.setdefault(name, []).append(text)
        errors.summary.append(text)
    return errors


class Typed:
    """What the user typed (a posted form), else the saved values, for a form to show again."""

    def __init__(
        self, posted: MultiDict | None = None, saved: Mapping[str, Any] | None = None
    ) -> None:
        self.posted = posted
        self.saved = saved or {}

    def get(self, name: str, default: Any = "") -> str:
        """The value of one input, as a string (numbers and selects alike)."""
        if self.posted is not None and name in self.posted:
            return self.posted.get(name, "")
        value = self.saved.get(name, default)
        return "" if value is None else str(value)

    def getlist(self, name: str) -> list[str]:
        """The values of a multi-select or checkbox group."""
        if self.posted is not None and name in self.posted:
            return self.posted.getlist(name)
        value = self.saved.get(name) or []
        return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]

    def __getitem__(self, name: str) -> str:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return (self.posted is not None and name in self.posted) or name in self.saved


def typed(saved: Mapping[str, Any] | None = None, keys: Iterable[str] | None = None) -> Typed:
    """The posted form (on POST) over `saved`; `keys` limits what is echoed back (no passwords)."""
    posted: MultiDict[str, str] | None = request.form if request.method == "POST" else None
    if posted is not None and keys is not None:
        posted = MultiDict([(k, v) for k, v in posted.items(multi=True) if k in set(keys)])
    return Typed(posted, saved)


def submit(
    step: Callable[[], T],
    *,
    done: Callable[[T], Any],
    again: Callable[[FormErrors], Any],
    place: Placer | Mapping[str, str] | None = None,
) -> Any:
    """Run a page form's step: `done(result)` on success, else `again(errors)` with its status."""
    result, problem = attempt(step)
    if problem is None:
        return done(result)  # type: ignore[arg-type]
    return again(place_errors(problem, place)), problem.status, problem.headers
