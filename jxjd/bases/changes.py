"""Change filing (第三十一条): a base's new name, address or contacts, filed and then accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize, fetch, scoped
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.bases.models import CHANGE_FIELDS, CHANGE_STATUSES, Base, BaseChange, BaseChangeField
from jxjd.bases.services import require_live_base
from jxjd.common.time import utcnow
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.states import Machine, transition

# A filing waits for the HR department, which accepts it (the base takes the new values) or not.
CHANGE_MACHINE = Machine(
    model=BaseChange,
    kind="base_change",
    noun="变更备案",
    labels=CHANGE_STATUSES,
    moves={
        "pending": frozenset({"accepted", "rejected"}),
        "accepted": frozenset(),
        "rejected": frozenset(),
    },
)

# Field of a filing → attribute of the Base row it changes.
BASE_ATTRIBUTES = {
    "name": "name",
    "address": "address",
    "contact.name": "contact_name",
    "contact.phone": "contact_phone",
    "contact.email": "contact_email",
}


def _requested(data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key in ("name", "address"):
        if data.get(key) is not None:
            values[key] = data[key].strip()
    for key, value in (data.get("contact") or {}).items():
        if value is not None:
            values[f"contact.{key}"] = value.strip()
    return values


def file_base_change(actor: Actor, base: Base, data: dict[str, Any]) -> BaseChange:
    """File a change of the base's name, address or contacts; it waits for the HR department."""
    authorize(actor, "base_change.file", base)
    require_live_base(base, "报送变更备案")
    requested = _requested(data)
    if "name" in requested and not requested["name"]:
        raise ValidationFailed([field_error("invalid_name", "机构名称不能为空", field="name")])
    changed = {
        field: value
        for field, value in requested.items()
        if value != getattr(base, BASE_ATTRIBUTES[field])
    }
    if not changed:
        raise ValidationFailed(
            [field_error("no_changes", "没有与现有登记信息不同的变更内容", field=None)]
        )
    change = BaseChange(
        base_id=base.id,
        status="pending",
        note=(data.get("note") or "").strip(),
        filed_by_role=actor.role,
        filed_by_name=actor.name,
        filed_at=utcnow(),
        fields=[
            BaseChangeField(
                field=field,
                old_value=getattr(base, BASE_ATTRIBUTES[field]),
                new_value=value,
            )
            for field, value in changed.items()
        ],
    )
    db.session.add(change)
    db.session.flush()
    record_event(
        actor,
        "base.change.file",
        "base",
        base.id,
        change_id=change.id,
        changes={f.field: {"old": f.old_value, "new": f.new_value} for f in change.fields},
    )
    return change


def get_change(actor: Actor, change_id: int) -> BaseChange:
    """The filing, if the actor may read its base's data: 404 unknown, 403 out of scope."""
    return fetch(actor, "base_change.read", BaseChange, change_id, label="变更备案")


def list_changes_for_base(base: Base) -> list[BaseChange]:
    """Every filing of one base, oldest first: the history of its names and contacts."""
    return list(
        db.session.scalars(
            sa.select(BaseChange).where(BaseChange.base_id == base.id).order_by(BaseChange.id)
        )
    )


def list_changes_for(
    actor: Actor, *, status: str | None = None, action: str = "base_change.read"
) -> list[BaseChange]:
    """The filings in the actor's scope (admin: all; dept: its bases'; base: its own)."""
    query = scoped(actor, action, sa.select(BaseChange).order_by(BaseChange.id))
    if status:
        query = query.where(BaseChange.status == status)
    return list(db.session.scalars(query))


def _decide(
    actor: Actor,
    change: BaseChange,
    status: str,
    decision: str,
    then: Callable[[str], dict[str, Any]] | None = None,
    **summary: Any,
) -> None:
    authorize(actor, "base_change.decide", change)
    transition(
        change,
        status,
        actor=actor,
        event=f"base.change.{'accept' if status == 'accepted' else 'reject'}",
        verb="再次办理",
        target=("base", change.base_id),
        values={
            "decided_by_role": actor.role,
            "decided_by_name": actor.name,
            "decided_at": utcnow(),
            "decision_reason": decision,
        },
        then=then,
        change_id=change.id,
        **summary,
    )


def accept_base_change(actor: Actor, change: BaseChange, reason: str = "") -> BaseChange:
    """Accept a filing: the base takes the new values; the old ones stay in the filing."""

    def apply(_previous: str) -> dict:
        base = change.base
        for item in change.fields:
            attribute = BASE_ATTRIBUTES[item.field]
            item.old_value = getattr(base, attribute)
            setattr(base, attribute, item.new_value)
        changes = {
            f.field: {"label": CHANGE_FIELDS[f.field], "old": f.old_value, "new": f.new_value}
            for f in change.fields
        }
        return {"changes": changes}

    _decide(actor, change, "accepted", reason, then=apply)
    db.session.flush()
    return change


def reject_base_change(actor: Actor, change: BaseChange, reason: str) -> BaseChange:
    """Refuse a filing with a reason; the base keeps its current values."""
    _decide(actor, change, "rejected", reason, reason=reason)
    db.session.flush()
    return change
