"""One unit of work per request (Indico's request handler): services flush, this commits.

After a view returns, a request that wrote is committed before the response goes out; any
exception rolls everything back (and the error handlers render it). Pages that show a problem
beside the form use `attempt`, which rolls back what the failed step wrote. Work that must follow
a successful commit (a text message with a code the database now holds) is queued with
`after_commit`. CLI commands commit once per command, or once per batch where they report
progress.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from jxjd.errors import Problem
from jxjd.extensions import db

T = TypeVar("T")

_WROTE = "jxjd_wrote"
_AFTER_COMMIT = "jxjd_after_commit"


@sa.event.listens_for(so.Session, "after_flush")
def _flushed(session: so.Session, _context: Any) -> None:
    session.info[_WROTE] = True


@sa.event.listens_for(so.Session, "do_orm_execute")
def _executed(state: so.ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def mark_written() -> None:
    """Note a write made past the ORM (a COPY on the raw connection): the request commits."""
    db.session.info[_WROTE] = True


def _started() -> bool:
    """Whether this app context has an ORM session yet. Asking the scoped session for anything
    makes one (and its teardown closes it): a request that never uses the ORM (a verify, a QR
    image, the health check) is spared that, about 0.1 ms."""
    return db.session.registry.has()


def begin_request() -> None:
    """Forget what an earlier unit of work in this app context wrote or queued."""
    if _started():
        db.session.info.pop(_WROTE, None)
        db.session.info.pop(_AFTER_COMMIT, None)


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once the request's work is committed (never after a rollback)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def commit_request() -> None:
    """Commit the request's work if it wrote anything, then run what waited for the commit."""
    if not _started():  # no session, so nothing written and nothing waiting
        return
    session = db.session()
    wrote = session.info.pop(_WROTE, False)
    # Changes not flushed yet (an attribute set on a loaded object) are writes too.
    if (wrote or session.new or session.dirty or session.deleted) and session.in_transaction():
        session.commit()
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


def rollback_request() -> None:
    """Undo the request's work; a connection that is already gone is simply dropped."""
    if not _started():
        return
    db.session.info.pop(_WROTE, None)
    db.session.info.pop(_AFTER_COMMIT, None)
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.remove()


def attempt(step: Callable[[], T]) -> tuple[T | None, Problem | None]:
    """Run one step of a page; a Problem undoes what it wrote and is returned to be shown."""
    try:
        return step(), None
    except Problem as problem:
        rollback_request()
        return None, problem


class App(Flask):
    """Flask with the request handler's commit: after a successful view, before the response."""

    def dispatch_request(self) -> Any:
        """Run the view; commit what it wrote, or roll back when it raised."""
        try:
            rv = super().dispatch_request()
            commit_request()
        except BaseException:
            rollback_request()
            raise
        return rv

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask's, with the synchronous functions remembered: Flask asks it of every hook on
        every request (about seventeen times), and each answer costs an inspection of the
        function. A weak set, so the one-off functions of after_this_request are not kept."""
        if func in self._synchronous:
            return func
        sync = super().ensure_sync(func)
        if sync is func:
            with contextlib.suppress(TypeError):  # not weakly referenceable: asked each time
                self._synchronous.add(func)
        return sync

    @cached_property
    def _synchronous(self) -> weakref.WeakSet[Callable]:
        return weakref.WeakSet()


def install(app: Flask) -> None:
    """Start every request with a fresh unit of work."""
    app.before_request(begin_request)
