#!/usr/bin/env bash
# Build the container image with podman and prove it: its migration command, then
# the app from it on the given PostgreSQL and Redis (host network), read-only root
# file system, checked with /health, /health/ready and the RealWorld collection.
#
#   scripts/image.sh DATABASE_URL REDIS_URL
#
# Registry images cannot be pulled on every machine, so the base is built here:
# a minimal Debian with python3 (mmdebstrap), imported as localhost/conduit-base and
# passed as BASE_IMAGE. The host's CA bundle goes to the build as the secret `ca`.
# IMAGE_WORK names a folder to keep the base tarball in between runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
database_url=$1
redis_url=$2
image=localhost/conduit:ci
base_image=localhost/conduit-base
work=${IMAGE_WORK:-$(mktemp -d)}
mkdir -p "$work"
container=conduit-ci-$$

if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
  echo "installing podman and mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap uidmap >/dev/null
fi

# This sandbox refuses podman's default ulimits and its default runtime.
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$work/containers.conf

cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [ ! -s "$work/base.tar" ]; then
  echo "building the base image (Debian bookworm, python3)"
  mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$work/base.tar"
fi
podman import --quiet "$work/base.tar" "$base_image" >/dev/null

echo "building $image"
started=$(date +%s)
podman build --quiet --format docker --build-arg "BASE_IMAGE=$base_image" \
  --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t "$image" . >/dev/null
echo "image built in $(($(date +%s) - started)) s, $(podman image inspect "$image" --format '{{.Size}}' |
  awk '{printf "%.0f MB", $1 / 1e6}')"

secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
metrics_port=$(free_port)
run=(podman run --network host --read-only --tmpfs /tmp
  -e "DATABASE_URL=$database_url" -e "REDIS_URL=$redis_url" -e "SECRET_KEY=$secret"
  -e "GUNICORN_BIND=127.0.0.1:$port" -e "METRICS_PORT=$metrics_port" -e WEB_CONCURRENCY=2)

echo "migrating with the image's own command"
"${run[@]}" --rm --no-healthcheck "$image" flask db upgrade

echo "serving from the image on port $port"
# No healthcheck timer (podman would need systemd for it): run once below.
"${run[@]}" -d --health-interval disable --name "$container" "$image" 2> >(grep -v systemd >&2) >/dev/null
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  if [ "$(podman inspect -f '{{.State.Running}}' "$container")" != true ]; then
    podman logs "$container"; exit 1
  fi
  sleep 0.2
done
curl -fsS "$base/health"; echo
curl -fsS "$base/health/ready"; echo
user=$(podman exec "$container" id -u)
[ "$user" = 10001 ] || { echo "the app runs as user $user, not 10001"; exit 1; }
if podman exec "$container" sh -c 'command -v gcc cc' >/dev/null; then
  echo "the final image holds a compiler"; exit 1
fi
# The image's HEALTHCHECK, run once (no timer: that needs systemd).
podman healthcheck run "$container" || { echo "the image's HEALTHCHECK failed"; exit 1; }

CONDUIT_URL=$base scripts/conformance.sh || { podman logs --tail 40 "$container"; exit 1; }

# The metrics the master serves from the read-only container count every request
# of the collection, and the checks above.
expected=$(("$("$root/.venv/bin/python" -c '
import json, sys
def count(items):
    return sum(count(i["item"]) if "item" in i else 1 for i in items)
print(count(json.load(open(sys.argv[1]))["item"]))
' tests/conformance/Conduit.postman_collection.json)" + 2))
served=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics" |
  awk '/^conduit_http_requests_total/ { total += $NF } END { print total }')
echo "metrics: $served requests counted, at least $expected sent"
[ "${served%.*}" -ge "$expected" ] || { echo "the metrics endpoint missed requests"; exit 1; }
