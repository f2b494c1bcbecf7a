"""Pagination of growing lists (CONTRACT §11): ?page=&per_page=, X-Total-Count and Link headers.

A list view gets `@paged` above its `doc` (it adds the headers to the answer; the page is read
and checked when the view first asks for it) and hands `current_page()` to the service, which applies it to its select
with `page_of(query, page)`. Services stay free of request state: `page=None` (pages, exports,
the CLI) still means the whole list. The JSON bodies keep their shape (`{"certificates": [...]}`);
only the headers say that there is more.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, g, request

from jxjd.common.params import query_int
from jxjd.errors import ValidationFailed

MAX_PAGE, MAX_PER_PAGE, DEFAULT_PER_PAGE = 100_000, 500, 50
_G_KEY = "jxjd_page"


@dataclass
class Page:
    """One page of a list: its number (from 1), its size, and the list's total once counted."""

    number: int = 1
    size: int = DEFAULT_PER_PAGE
    total: int | None = None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_args() -> tuple[int, int]:
    """?page=&per_page= (defaults 1 and 50, at most 500 per page); 422 invalid_parameter."""
    values: dict[str, int] = {}
    errors: list[dict] = []
    for key, default, top in (("page", 1, MAX_PAGE), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        try:
            values[key] = query_int(key, minimum=1, maximum=top, default=default)
        except ValidationFailed as exc:
            errors.extend(exc.errors or [])
    if errors:
        raise ValidationFailed(errors, code="invalid_parameter")
    return values["page"], values["per_page"]


def page_of(query: sa.Select, page: Page | None) -> sa.Select:
    """`query` limited to `page` (None: unchanged), after counting the whole list into it."""
    if page is None:
        return query
    from jxjd.extensions import db

    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    page.total = int(db.session.scalar(counted) or 0)
    return query.offset(page.offset).limit(page.size)


def add_page_headers(resp: Any, total: int, page: int, per_page: int) -> Any:
    """X-Total-Count and, when there is a next page, an RFC 8288 Link rel="next"."""
    resp.headers["X-Total-Count"] = str(total)
    if page * per_page < total:
        query = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        url = f"{request.script_root}{request.path}?{urlencode(query)}"
        resp.headers["Link"] = f'<{url}>; rel="next"'
    return resp


def paginated(body: dict, total: int, page: int, per_page: int):
    """The JSON body with X-Total-Count and, when there is more, Link rel="next"."""
    return add_page_headers(current_app.json.response(body), total, page, per_page)


def current_page() -> Page:
    """The page the current request asks for (?page=&per_page=), read and checked on first use.

    Read when the view asks, after its look-ups and scope checks, so an unknown object or a
    caller without access is answered as such before a bad page number.
    """
    page = g.get(_G_KEY)
    if page is None:
        page = Page(*page_args())
        setattr(g, _G_KEY, page)
    return page


def paged(view: Callable) -> Callable:
    """A paginated list view (placed above `doc`): its answer gets the page headers."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        g.pop(_G_KEY, None)
        resp = current_app.make_response(view(*args, **kwargs))
        page = g.get(_G_KEY)
        if page is not None and page.total is not None and resp.status_code == 200:
            add_page_headers(resp, page.total, page.number, page.size)
        return resp

    vars(wrapper).update(paged=True)  # read by the OpenAPI builder: page, per_page and the headers
    return wrapper
