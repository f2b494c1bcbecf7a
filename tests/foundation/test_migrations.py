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


def test_migrations_go_down_to_base_and_back_up_on_a_fresh_database(app, tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from jxjd import create_app

    fresh = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db",
            "JXJD_KEY_DIR": str(tmp_path / "k"),
        }
    )
    with fresh.app_context():
        try:
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"bases", "api_tokens", "audit_events", "audit_heads", "people"} <= tables

            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}

            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
                head = conn.execute(sa.text("SELECT last_hash FROM audit_heads")).scalar_one()
            assert head == "0" * 64
        finally:
            db.session.remove()
            db.engine.dispose()
    # The session app is untouched: its own schema is still there.
    assert "bases" in sa.inspect(db.engine).get_table_names()
