"""The yearly tallies the reports read give exactly what scanning the records gave before.

Data goes in through the API (uploads with passes, fails, odd tenths and people in several
sessions; a single and a session-wide revocation), and every figure is compared with the
computation the reports used before the tallies: a grouped scan of the records joined to their
certificates, where a revoked certificate counts 0.
"""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from jxjd.attendance.models import (
    AttendanceRecord,
    BasePersonYearTally,
    BaseYearTally,
    PersonYearTally,
)
from jxjd.attendance.tallies import rebuild_tallies
from jxjd.certificates.models import Certificate
from jxjd.common.types import Hours, hours_json
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession
from tests.fixtures.attendance import PAST_YEAR, trainee, trainees

VERSIONS = Path(__file__).parents[2] / "migrations/versions"
MIGRATION = VERSIONS / "20261130_perfdata_tallies.py"
PERSON_YEAR_MIGRATION = VERSIONS / "20261130_trained_people.py"


def old_figures(year: int) -> dict[int, tuple[int, int, Decimal]]:
    """base_id → (trainees, person_times, trainee_hours), computed as before the tallies."""
    counted = sa.case(
        (Certificate.revoked_at.is_not(None), sa.literal(0)), else_=AttendanceRecord.credited_hours
    )
    rows = db.session.execute(
        sa.select(
            TrainingSession.base_id,
            sa.func.count(sa.distinct(AttendanceRecord.person_id)),
            sa.func.count(AttendanceRecord.id),
            sa.type_coerce(sa.func.coalesce(sa.func.sum(counted), 0), Hours),
        )
        .select_from(AttendanceRecord)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .outerjoin(Certificate, Certificate.record_id == AttendanceRecord.id)
        .where(TrainingSession.year == year)
        .group_by(TrainingSession.base_id)
    ).all()
    return {base_id: (t, n, Decimal(h)) for base_id, t, n, h in rows}


def tallies() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Every tally row, in key order (per base and year, per base, person and year, and per
    person and year over every base)."""
    base = BaseYearTally
    person = BasePersonYearTally
    year = PersonYearTally
    return (
        [
            tuple(r)
            for r in db.session.execute(
                sa.select(
                    base.base_id, base.year, base.trainees, base.person_times, base.trainee_hours
                ).order_by(base.base_id, base.year)
            )
        ],
        [
            tuple(r)
            for r in db.session.execute(
                sa.select(
                    person.base_id,
                    person.year,
                    person.person_id,
                    person.person_times,
                    person.counted_hours,
                ).order_by(person.base_id, person.year, person.person_id)
            )
        ],
        [
            tuple(r)
            for r in db.session.execute(
                sa.select(year.person_id, year.year, year.counted_hours).order_by(
                    year.person_id, year.year
                )
            )
        ],
    )


@pytest.fixture
def uploaded(client, create_base, create_filed_plan, create_session, base_headers, upload_json):
    """Two bases; base A has three sessions sharing people, base B one; some fails."""
    bases = [create_base(), create_base()]
    shared = trainees(3)
    sessions = []
    months = iter(range(3, 7))  # each session in its own month: no one credited twice a day
    for base, count in ((bases[0], 3), (bases[1], 1)):
        plan = create_filed_plan(base, year=PAST_YEAR)
        for month in (next(months) for _ in range(count)):
            session = create_session(
                base,
                plan.items[0],
                hours=24,
                start_date=f"{PAST_YEAR}-{month:02d}-01",
                end_date=f"{PAST_YEAR}-{month:02d}-03",
            )
            sessions.append((base, session.id))
    rosters = [
        [*shared, trainee(hours=1.1), trainee(result="不合格")],
        [shared[0], shared[1], trainee(hours=2.2)],
        [shared[2], *trainees(2, hours=12.5)],
        [shared[0], trainee(hours=6), trainee(result="不合格")],
    ]
    for (base, session_id), rows in zip(sessions, rosters, strict=True):
        resp = client.post(
            f"/api/v1/sessions/{session_id}/attendance",
            json={"rows": rows},
            headers=base_headers(base),
        )
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    db.session.expire_all()
    return bases, [session_id for _, session_id in sessions]


def _revoke_some(client, sessions, admin_headers) -> None:
    """One certificate of the first session, then every certificate of the third."""
    serial = db.session.scalar(
        sa.select(Certificate.serial)
        .where(Certificate.session_id == sessions[0])
        .order_by(Certificate.id)
    )
    body = {"reason": "考核记录有误"}
    resp = client.post(f"/api/v1/certificates/{serial}/revoke", json=body, headers=admin_headers)
    assert resp.status_code == 200
    again = client.post(f"/api/v1/certificates/{serial}/revoke", json=body, headers=admin_headers)
    assert again.status_code == 409  # the loser changes nothing, tallies included
    url = f"/api/v1/sessions/{sessions[2]}/certificates/revoke"
    resp = client.post(url, json=body, headers=admin_headers)
    assert resp.status_code == 200 and resp.json["revoked"] == 3
    db.session.expire_all()


def _report_figures(client, base, admin_headers) -> tuple[int, int, Decimal]:
    body = client.get(f"/api/v1/bases/{base.id}/report?year={PAST_YEAR}", headers=admin_headers)
    assert body.status_code == 200
    body = body.json
    return body["trainees"], body["person_times"], Decimal(str(body["trainee_hours"]))


def test_reports_match_the_record_scan_after_uploads_and_revocations(
    client, uploaded, admin_headers
):
    bases, sessions = uploaded
    _revoke_some(client, sessions, admin_headers)
    old = old_figures(PAST_YEAR)
    assert old[bases[0].id][2] < Decimal("24") * 8  # the revocations took hours out
    for base in bases:
        assert _report_figures(client, base, admin_headers) == old[base.id]
    province = client.get(f"/api/v1/reports/{PAST_YEAR}", headers=admin_headers).json
    rows = {row["base_id"]: row for row in province["bases"]}
    for base in bases:
        trainees_, person_times, hours = old[base.id]
        row = rows[base.id]
        assert (row["trainees"], row["person_times"]) == (trainees_, person_times)
        assert row["trainee_hours"] == hours_json(hours)
    assert province["totals"]["trainee_hours"] == hours_json(sum(h for _, _, h in old.values()))


def test_maintained_tallies_equal_a_rebuild_from_the_records(client, uploaded, admin_headers):
    _, sessions = uploaded
    _revoke_some(client, sessions, admin_headers)
    maintained = tallies()
    rebuild_tallies()
    assert tallies() == maintained
    db.session.rollback()


def test_revocation_clears_the_records_counted_flag(client, uploaded, admin_headers):
    _, sessions = uploaded
    _revoke_some(client, sessions, admin_headers)
    revoked = set(
        db.session.scalars(
            sa.select(Certificate.record_id).where(Certificate.revoked_at.is_not(None))
        )
    )
    uncounted = set(
        db.session.scalars(
            sa.select(AttendanceRecord.id).where(AttendanceRecord.counted.is_(False))
        )
    )
    assert uncounted == revoked and len(revoked) == 4


def test_the_migration_backfills_flags_and_tallies_set_based(client, uploaded, admin_headers):
    _, sessions = uploaded
    _revoke_some(client, sessions, admin_headers)
    maintained = tallies()
    flags = dict(db.session.execute(sa.select(AttendanceRecord.id, AttendanceRecord.counted)).all())
    # As the migration finds the data: every record counted, no tallies.
    db.session.execute(sa.update(AttendanceRecord).values(counted=True))
    db.session.execute(sa.delete(PersonYearTally))
    db.session.execute(sa.delete(BasePersonYearTally))
    db.session.execute(sa.delete(BaseYearTally))
    with Operations.context(MigrationContext.configure(db.session.connection())):
        for name, path in (("perfdata_tallies", MIGRATION), ("trained", PERSON_YEAR_MIGRATION)):
            spec = importlib.util.spec_from_file_location(name, path)
            migration = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(migration)
            migration._backfill()  # in revision order: the person-year rows sum the base ones
    assert tallies() == maintained
    assert dict(
        db.session.execute(sa.select(AttendanceRecord.id, AttendanceRecord.counted)).all()
    ) == (flags)
    db.session.rollback()


def test_concurrent_uploads_at_one_base_count_each_trainee_once(app, open_session):
    """Two sessions of one base uploaded at once, sharing people: distinct trainees stay exact."""
    import io
    import threading

    from jxjd.common.crypto import app_keystore
    from tests.fixtures.attendance import roster_xlsx

    first = open_session()
    second = open_session(
        base=first.base,
        title="人工智能应用高级研修班（第二期）",
        start_date=f"{PAST_YEAR}-04-01",  # other days: the shared people are not credited twice
        end_date=f"{PAST_YEAR}-04-03",
    )
    shared = trainees(30)
    rosters = [(first, shared + trainees(10)), (second, trainees(5) + shared[::-1])]
    app_keystore().ensure_all()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def run(target, people) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        resp = client.post(
            f"/api/v1/sessions/{target.id}/attendance",
            data={"file": (io.BytesIO(roster_xlsx(people)), "名单.xlsx")},
            headers=target.headers,
            content_type="multipart/form-data",
        )
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=run, args=roster) for roster in rosters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200, 200]
    db.session.expire_all()
    tally = db.session.get(BaseYearTally, (first.base.id, PAST_YEAR))
    assert (tally.trainees, tally.person_times) == (45, 75)
    assert tally.trainee_hours == Decimal(24 * 75)
    maintained = tallies()
    rebuild_tallies()
    assert tallies() == maintained
    db.session.rollback()


def test_the_rebuild_command_recomputes_what_a_bulk_load_left_out(app, uploaded):
    maintained = tallies()
    db.session.execute(sa.delete(PersonYearTally))
    db.session.execute(sa.delete(BasePersonYearTally))
    db.session.execute(sa.delete(BaseYearTally))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["tallies", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tallies() == maintained
