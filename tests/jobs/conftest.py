"""A real Redis for the job tests: JXJD_TEST_REDIS_URL, else a redis-server started here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rq import SimpleWorker

from jxjd.jobs.services import queue
from tests.fixtures.servers import throwaway_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A Redis URL the job tests may use (skipped without redis-server, unless CI requires it)."""
    with throwaway_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def jobs_redis(app, redis_server, monkeypatch) -> str:
    """The app's jobs on the test Redis, with an empty queue."""
    import redis

    from jxjd.jobs.services import QUEUE_NAME

    monkeypatch.setitem(app.config, "JXJD_JOBS_REDIS", redis_server)
    conn = redis.Redis.from_url(redis_server)
    for key in conn.scan_iter(f"rq:*{QUEUE_NAME}*"):
        conn.delete(key)
    return redis_server


@pytest.fixture
def listening(app, jobs_redis):
    """A worker registered on the queue (as `flask jobs worker` is while it runs)."""
    with app.app_context():
        worker = SimpleWorker([queue()], connection=queue().connection)
        worker.register_birth()
    yield worker
    with app.app_context():
        worker.register_death()
