#!/usr/bin/env bash
# Run the official RealWorld Postman collection against a real gunicorn server.
#
#   scripts/conformance.sh [DATABASE_URL]
#   CONDUIT_URL=http://127.0.0.1:8000 scripts/conformance.sh   # a server already running
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
# shellcheck source=scripts/serve-for-checks.sh
. "$root/scripts/serve-for-checks.sh"

cleanup() {
  stop_served
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$newman" ]; then
  echo "installing newman into .tools/newman"
  npm install --silent --no-audit --no-fund --prefix "$root/.tools/newman" newman@6.2.2 >/dev/null
fi

if [ -n "${CONDUIT_URL:-}" ]; then
  base=$CONDUIT_URL
else
  serve_for_checks "${1:-sqlite:///$work/conformance.db}" "$work"
fi

user=u$(date +%s)$RANDOM
status=0
"$newman" run "$collection" \
  --global-var "APIURL=$base/api" \
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
  if [ -f "$work/server.log" ]; then echo "server log:"; tail -n 40 "$work/server.log"; fi
fi
exit "$status"
