#!/usr/bin/env bash
# Set up, migrate the embedded SQLite database, load the demo data, serve on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=app
.venv/bin/flask db upgrade
# Creates the keys for a new database; for an existing one, checks that the key store is its own.
.venv/bin/flask keys init
.venv/bin/flask demo || echo "demo data not loaded (see above); serving the database as it is"
echo "serving on http://127.0.0.1:${PORT:-5000} (Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
