#!/usr/bin/env bash
# Runs tuijin with Guangshan's demo data on http://127.0.0.1:8080:
# starts or reuses PostgreSQL, Redis and MinIO, builds, migrates, loads the
# demo and serves, with the background worker beside it. Ctrl-C stops both
# (the stores keep running).
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_postgres
ensure_redis
ensure_minio
ensure_fonts
ensure_roles
ensure_database tuijin

say "building the console and the binary (scripts/build.sh, as the image does)"
scripts/build.sh bin

say "migrating"
bin/tuijin migrate
say "loading the demo data"
bin/tuijin demo

cat <<MSG

tuijin serves on http://127.0.0.1:8080 — open it in a browser and log in with a demo account.
  API document:  http://127.0.0.1:8080/api/v1/openapi.json
  Log in (API):  curl -c /tmp/tj -H 'Content-Type: application/json' \\
                   -d '{"username":"gs.office","password":"${TUIJIN_DEMO_PASSWORD:-Tuijin@2026}"}' \\
                   http://127.0.0.1:8080/api/v1/auth/login
  Any demo account above, same password.
MSG
# The worker runs each county's week close, reminders and message
# deliveries; it stops with the server.
TUIJIN_HTTP_ADDR=127.0.0.1:8081 TUIJIN_METRICS_ADDR=127.0.0.1:9091 bin/tuijin worker &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT
bin/tuijin serve
