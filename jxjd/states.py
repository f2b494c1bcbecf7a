"""State machines: one transition table per object and one atomic, audited move.

Every status change goes through `transition`: it reads the object's state under a row lock
(`SELECT … FOR UPDATE` on PostgreSQL), checks the table, and moves with a conditional
`UPDATE … WHERE id = :id AND <state> = :previous`, so of two people acting at once exactly one
wins and the other gets 409 (CONTRACT §11). Lock order, always: the moved object's row, then
whatever the move touches (a base's row), then the audit chain's head (record_event), so two
moves never wait on each other in opposite orders. The feature keeps its history rows through
the machine's `history` hook; the audit event is written once, here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from jxjd.audit.services import record_event
from jxjd.common.db import execute_dml
from jxjd.errors import InvalidTransition, NotFound, Problem
from jxjd.extensions import Model, db

MACHINES: dict[type, Machine] = {}
# Conditional updates tried before giving up (SQLite: each failure means another move won).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Machine:
    """The states of one kind of object and the moves between them (from → allowed targets)."""

    model: type[Model]
    kind: str  # the audit target type and the documentation's heading: "plan"
    noun: str  # how a refusal names the object: "计划"
    labels: Mapping[str, str]  # state → Chinese label
    moves: Mapping[str, frozenset[str]]
    column: str = "status"
    # How the state is read and written when it is not a plain column (certificates: revoked_at).
    state_of: Callable[[Any], str] | None = None
    where_state: Callable[[Any, Iterable[str]], sa.ColumnElement[bool]] | None = None
    write_state: Callable[[str], dict[str, Any]] | None = None
    # The loser's problem when the default invalid_transition does not fit (already_revoked).
    refusal: Callable[[Any, str, str], Problem] | None = field(default=None, compare=False)
    # Keeps the feature's own history row of a move: (obj, previous, to, actor, event, summary).
    history: Callable[..., None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        MACHINES[self.model] = self

    def sources(self, to: str) -> frozenset[str]:
        """The states from which `to` may be reached."""
        return frozenset(s for s, targets in self.moves.items() if to in targets)

    def state(self, obj: Any) -> str:
        """The state of an object as loaded."""
        return self.state_of(obj) if self.state_of else getattr(obj, self.column)

    def _where(self, table: sa.Table, states: Iterable[str]) -> sa.ColumnElement[bool]:
        if self.where_state is not None:
            return self.where_state(table, states)
        return table.c[self.column].in_(sorted(states))

    def _values(self, to: str) -> dict[str, Any]:
        return self.write_state(to) if self.write_state else {self.column: to}

    def refuse(self, obj: Any, current: str, verb: str) -> Problem:
        """The 409 for a move the current state does not allow: one message format."""
        if self.refusal is not None:
            return self.refusal(obj, current, verb)
        label = self.labels.get(current, current)
        return InvalidTransition(f"{self.noun}当前状态为“{label}”，不能{verb}")

    def locked_state(self, obj: Any) -> str:
        """Re-read the object, holding its row lock (PostgreSQL) until commit; its state."""
        table = self.model.__table__
        db.session.flush()  # the object's own pending changes go first, under the same lock
        row = db.session.execute(
            sa.select(table).where(table.c.id == obj.id).with_for_update()
        ).one_or_none()
        if row is None:  # deleted meanwhile (a draft plan): nothing left to move
            raise NotFound(f"{self.noun}不存在或已被删除")
        _set_loaded(obj, dict(row._mapping))
        return self.state(obj)


def _set_loaded(obj: Any, values: Mapping[str, Any]) -> None:
    """Put column values (by column name) into the object as if loaded from the database."""
    for prop in sa.inspect(type(obj)).column_attrs:
        name = prop.columns[0].name
        if name in values:
            set_committed_value(obj, prop.key, values[name])


def machine_of(obj: Any) -> Machine:
    """The machine of an object's class."""
    return MACHINES[type(obj)]


def lock(obj: Any) -> str:
    """Hold `obj`'s row (PostgreSQL) until commit, for a move that depends on it; its state."""
    return machine_of(obj).locked_state(obj)


def transition(
    obj: Any,
    to: str | None,
    *,
    actor: Any,
    event: str,
    verb: str,
    allowed: Iterable[str] | None = None,
    target: tuple[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    then: Callable[[str], Mapping[str, Any] | None] | None = None,
    **summary: Any,
) -> str:
    """Move `obj` to `to` atomically and audit it once (from, to and `summary`); 409 to the loser.

    `allowed` narrows the table's sources for this action; `values` are written in the same
    UPDATE; `then(previous)` runs after the move and before the audit (its dict joins the
    summary), for work that must happen under the lock. `to=None` holds the object in one of
    the `allowed` states for a guarded step (a draft's revision): the same lock and check, no
    move. `verb` completes the loser's message ("计划当前状态为“已备案”，不能{verb}").
    Returns the state the object left.
    """
    machine = machine_of(obj)
    if allowed is not None:
        sources = frozenset(allowed)
    elif to is not None:
        sources = machine.sources(to)
    else:
        raise ValueError("holding an object in its state needs the allowed states")
    table = machine.model.__table__
    for _attempt in range(MAX_ATTEMPTS):
        previous = machine.locked_state(obj)
        if previous not in sources:
            raise machine.refuse(obj, previous, verb)
        moved_to = previous if to is None else to
        changes = {**machine._values(moved_to), **(values or {})}
        moved = execute_dml(
            sa.update(table)
            .where(table.c.id == obj.id, machine._where(table, [previous]))
            .values(**changes)
        )
        if moved == 1:
            break
        # SQLite takes no row lock: another move came in between; look again.
    else:
        raise machine.refuse(obj, machine.locked_state(obj), verb)
    to = moved_to
    _set_loaded(obj, changes)
    summary = {"from_status": previous, "to_status": to, **summary}
    if then is not None:
        summary.update(then(previous) or {})
    if machine.history is not None:
        machine.history(obj, previous, to, actor, event, summary)
    target_type, target_id = target or (machine.kind, obj.id)
    record_event(actor, event, target_type, target_id, **summary)
    return previous


def tables_markdown() -> str:
    """Every machine's transition table, for docs/architecture.md."""
    parts = []
    for machine in sorted(MACHINES.values(), key=lambda m: m.kind):
        lines = [f"**{machine.kind}** ({machine.noun})", "", "| from | may move to |", "|---|---|"]
        for state, targets in machine.moves.items():
            label = f"{machine.labels.get(state, state)} `{state}`"
            ordered = [t for t in machine.labels if t in targets]
            moves = "、".join(f"{machine.labels[t]} `{t}`" for t in ordered) or "— (final)"
            lines.append(f"| {label} | {moves} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
