# shellcheck shell=bash
# Sourced by scripts/conformance.sh and scripts/schemathesis.sh: the app migrated and
# served by gunicorn (gunicorn.conf.py, 2 workers of 4 threads) on a free 127.0.0.1
# port, as a deployment serves it, for a check to run against.
#
#   serve_for_checks DATABASE_URL WORK   # sets port, base and server_pid
#   stop_served                          # in the caller's EXIT trap
#
# Needs $root (the repository) and $python. A fresh SECRET_KEY per run; anything else
# the caller exports reaches the server. Logs go to WORK/migrate.log and
# WORK/server.log; the function exits the script (with the log) if the migration
# fails or the server dies before it answers /health.

server_pid=

serve_for_checks() {
  local database_url=$1 work=$2
  port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base=http://127.0.0.1:$port
  export DATABASE_URL=$database_url
  SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')
  export SECRET_KEY
  export JWT_SECRET_KEY=$SECRET_KEY
  export FLASK_APP=wsgi

  echo "migrating ${database_url%%:*} database"
  "$root/.venv/bin/flask" db upgrade >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

  # No control socket: it would live in $HOME, shared with any other gunicorn.
  GUNICORN_BIND=127.0.0.1:$port WEB_CONCURRENCY=2 GUNICORN_THREADS=4 METRICS_PORT=0 \
    "$root/.venv/bin/gunicorn" -c gunicorn.conf.py --no-control-socket wsgi:app \
    >"$work/server.log" 2>&1 &
  server_pid=$!

  for _ in $(seq 1 100); do
    if curl -fsS "$base/health" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server did not start:"; cat "$work/server.log"; exit 1
    fi
    sleep 0.2
  done
}

stop_served() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
