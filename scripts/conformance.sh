#!/usr/bin/env bash
# Run the official RealWorld Postman collection against a real gunicorn server.
#
#   scripts/conformance.sh [DATABASE_URL]
#
# With no argument the server uses a fresh SQLite file. The database must be
# empty (the collection expects 311 assertions on an empty database). newman is
# installed from npm into .tools/newman on first use. Prints "N passed, N failed"
# and exits non-zero when any assertion fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

collection=$root/tests/conformance/Conduit.postman_collection.json
newman=$root/.tools/newman/node_modules/.bin/newman
python=${PYTHON_BIN:-$root/.venv/bin/python}
work=$(mktemp -d)
server_pid=

cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$newman" ]; then
  echo "installing newman into .tools/newman"
  npm install --silent --no-audit --no-fund --prefix "$root/.tools/newman" newman@6.2.2 >/dev/null
fi

database_url=${1:-sqlite:///$work/conformance.db}
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL=$database_url
export SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')
export JWT_SECRET_KEY=$SECRET_KEY
export FLASK_APP=wsgi

echo "migrating ${database_url%%:*} database"
"$root/.venv/bin/flask" db upgrade >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

GUNICORN_BIND=127.0.0.1:$port WEB_CONCURRENCY=2 GUNICORN_THREADS=4 \
  "$root/.venv/bin/gunicorn" -c gunicorn.conf.py wsgi:app >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server did not start:"; cat "$work/server.log"; exit 1
  fi
  sleep 0.2
done

user=u$(date +%s)$RANDOM
status=0
"$newman" run "$collection" \
  --global-var "APIURL=http://127.0.0.1:$port/api" \
  --global-var "USERNAME=$user" \
  --global-var "EMAIL=$user@mail.com" \
  --global-var "PASSWORD=password" \
  --reporters cli,json --reporter-json-export "$work/report.json" >"$work/newman.log" 2>&1 || status=$?

if [ ! -f "$work/report.json" ]; then
  cat "$work/newman.log"; exit 1
fi
"$python" - "$work/report.json" <<'PY'
import json
import sys

stats = json.load(open(sys.argv[1]))["run"]["stats"]["assertions"]
failures = json.load(open(sys.argv[1]))["run"]["failures"]
for failure in failures:
    source = failure.get("source", {}).get("name", "?")
    print(f"FAILED {source}: {failure['error'].get('message')}")
print(f"conformance: {stats['total'] - stats['failed']} passed, {stats['failed']} failed")
PY
if [ "$status" -ne 0 ]; then
  tail -n 60 "$work/newman.log"
  echo "server log:"; tail -n 40 "$work/server.log"
fi
exit "$status"
