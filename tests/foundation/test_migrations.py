"""The migrations build exactly the models' schema, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jxjd.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_chain_head_is_seeded_by_the_migration(app):
    from jxjd.audit.models import AuditHead

    head = db.session.get(AuditHead, 1)
    assert head is not None and head.last_hash == "0" * 64
