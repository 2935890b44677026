#!/usr/bin/env bash
# Test the API against its own OpenAPI document with schemathesis, on a real gunicorn.
#
#   scripts/schemathesis.sh [DATABASE_URL]
#
# With no argument the server uses a fresh SQLite file; give an empty PostgreSQL
# database to test what production runs. REDIS_URL, if set, is used as in
# production (the cache and the rate limits' counters), under a key prefix of this
# run's own. The rate limits are raised so that the run is not turned into 429s
# (each of which the document allows anyway). Mail (password reset) goes to an SMTP
# server of the run's own (aiosmtpd, which swallows it); with REDIS_URL, a
# `flask worker` runs the jobs, and a job that failed fails the run.
#
# Two passes over every operation with schemathesis's default checks, all of them
# (scripts/schemathesis.toml says which statuses count as what, and
# scripts/schemathesis_hooks.py which generated URLs are another operation's): one
# signed in as a user registered for the run (its token in the Authorization
# header), one anonymous. SCHEMATHESIS_MAX_EXAMPLES (default 20) bounds the test cases per
# operation and phase, SCHEMATHESIS_MAX_TIME (default 120 s) each pass.
# SCHEMATHESIS_REPORTS names a folder to keep the JUnit and NDJSON reports in.
# Exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python=${PYTHON_BIN:-$root/.venv/bin/python}
schemathesis=$root/.venv/bin/schemathesis
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-20}
max_time=${SCHEMATHESIS_MAX_TIME:-120}
work=$(mktemp -d)
reports=${SCHEMATHESIS_REPORTS:-$work/reports}
# shellcheck source=scripts/serve-for-checks.sh
. "$root/scripts/serve-for-checks.sh"

smtp_pid=
worker_pid=
cleanup() {
  stop_served
  for pid in $worker_pid $smtp_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "${REDIS_URL:-}" ]; then
    # The worker's heartbeats and whatever jobs are left: keys of this run's prefix only.
    "$python" - <<'PY' || true
import os, redis
client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
keys = list(client.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + ":jobs:*"))
if keys:
    client.delete(*keys)
PY
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export REDIS_KEY_PREFIX=conduit-schemathesis-$$-$RANDOM
export RATELIMIT_DEFAULT="100000 per minute"
export RATELIMIT_AUTH="100000 per minute"
export RATELIMIT_AUTH_ACCOUNT="100000 per minute"
export RATELIMIT_PASSWORD_RESET="100000 per minute"
export RATELIMIT_PASSWORD_RESET_ACCOUNT="100000 per minute"
smtp_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$python" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "127.0.0.1:$smtp_port" >"$work/smtp.log" 2>&1 &
smtp_pid=$!
export MAIL_SERVER=127.0.0.1 MAIL_PORT=$smtp_port PUBLIC_BASE_URL=http://127.0.0.1
export LOG_LEVEL=WARNING
serve_for_checks "${1:-sqlite:///$work/schemathesis.db}" "$work"
if [ -n "${REDIS_URL:-}" ]; then
  "$root/.venv/bin/flask" worker >"$work/worker.log" 2>&1 &
  worker_pid=$!
fi

user=fuzz$(date +%s)$RANDOM
# The hooks send no case that would delete this account (it holds the run's token).
export SCHEMATHESIS_ACCOUNT_PASSWORD=fuzz-password-$RANDOM$RANDOM
token=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"user\": {\"username\": \"$user\", \"email\": \"$user@example.com\", \"password\": \"$SCHEMATHESIS_ACCOUNT_PASSWORD\"}}" \
  "$base/api/users" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["user"]["token"])')

run() {
  local name=$1
  shift
  # Hypothesis's example database would make runs depend on earlier ones. One worker:
  # with two, CPython 3.11's parser, run by both threads at once, failed the run with
  # "AST constructor recursion depth mismatch".
  SCHEMATHESIS_HOOKS=$root/scripts/schemathesis_hooks.py \
    "$schemathesis" --config-file "$root/scripts/schemathesis.toml" run \
    "$base/api/docs/openapi.json" \
    --max-examples "$max_examples" --max-time "$max_time" \
    --generation-database none --no-color --workers 1 --request-timeout 10 \
    --report junit,ndjson --report-dir "$reports/$name" "$@"
}

status=0
echo "== schemathesis, signed in"
run signed-in --header "Authorization: Token $token" || status=$?
echo "== schemathesis, anonymous"
run anonymous || status=$?

if grep -q "Traceback" "$work/server.log"; then
  echo "the server logged errors:"; status=1
fi
if [ -n "$worker_pid" ] && grep -q '"level": "error"' "$work/worker.log"; then
  echo "the worker logged errors:"; grep '"level": "error"' "$work/worker.log" | tail -n 5; status=1
fi
if [ "$status" -ne 0 ]; then
  echo "server log:"; tail -n 60 "$work/server.log"
fi
exit "$status"
