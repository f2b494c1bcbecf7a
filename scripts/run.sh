#!/usr/bin/env bash
# Set up, migrate the embedded SQLite database, load the demo data, serve on 127.0.0.1:$PORT
# (default 5000); QR codes point at JXJD_PUBLIC_URL, by default that same address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=app
PORT="${PORT:-5000}"
# QR codes carry this address: the demo's must point at the port it is served on.
export JXJD_PUBLIC_URL="${JXJD_PUBLIC_URL:-http://127.0.0.1:$PORT}"
.venv/bin/flask db upgrade
# Creates the keys for a new database; for an existing one, checks that the key store is its own.
.venv/bin/flask keys init
.venv/bin/flask demo || echo "demo data not loaded (see above); serving the database as it is"
echo "serving on http://127.0.0.1:$PORT (QR codes point at $JXJD_PUBLIC_URL; Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$PORT"
