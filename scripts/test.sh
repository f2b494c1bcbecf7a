#!/usr/bin/env bash
# Set up, lint, and run the whole test suite on SQLite, then on a throwaway PostgreSQL server
# when PostgreSQL's server binaries are installed (required when CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# npm packages for the independent credential verifier (tests/interop) and the browser checks.
if command -v npm >/dev/null; then
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
elif [ "${CI:-}" = "true" ]; then
  echo "npm not found, but CI requires the interoperability tests" >&2
  exit 1
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== mypy"
.venv/bin/mypy

# A throwaway Redis for the shared rate-limit tests (tests/foundation/test_rate_limit_workers.py).
REDIS_PID=""
REDIS_DIR=""
stop_redis() {
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$REDIS_DIR" ]; then rm -rf "$REDIS_DIR"; fi
}
trap stop_redis EXIT
if command -v redis-server >/dev/null; then
  REDIS_DIR=$(mktemp -d /tmp/jxjd-redis.XXXXXX)
  REDIS_PORT="${JXJD_TEST_REDIS_PORT:-16379}"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$REDIS_DIR" \
    --logfile "$REDIS_DIR/log" &
  REDIS_PID=$!
  export JXJD_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
elif [ "${CI:-}" = "true" ]; then
  echo "redis-server not found, but CI requires the shared rate-limit tests" >&2
  exit 1
else
  echo "== redis-server not found: skipping the shared rate-limit tests"
fi

echo "== pytest on SQLite"
.venv/bin/python -m pytest "$@"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL server binaries not found, but CI requires the PostgreSQL pass" >&2
    exit 1
  fi
  echo "== PostgreSQL server binaries not found: skipping the PostgreSQL pass"
  exit 0
fi

echo "== pytest on PostgreSQL ($PG_BIN)"
PGDIR=$(mktemp -d /tmp/jxjd-pg.XXXXXX)
PGPORT="${JXJD_TEST_PGPORT:-54329}"
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = "0" ]; then chown postgres "$PGDIR"; fi
as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c synchronous_commit=off -c max_connections=100" start >/dev/null
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap 'cleanup; stop_redis' EXIT
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres jxjd_test
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/jxjd_test" \
  .venv/bin/python -m pytest "$@"
