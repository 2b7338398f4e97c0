#!/usr/bin/env bash
# Browser tests: builds the console and the binary, starts `tuijin serve` and
# `tuijin worker` on a fresh database with the demo data, runs the playwright
# tests in Debian's Chromium, and stops everything. Screenshots go to test-artifacts/.
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_postgres
ensure_redis
ensure_minio
ensure_roles
ensure_chromium

say "building the console and the binary"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build >/dev/null)
mkdir -p bin
go build -o bin/tuijin ./cmd/tuijin

db=tuijin_e2e_$$
psql "$ADMIN_URL" -qc "CREATE DATABASE $db OWNER tuijin_owner"
export TUIJIN_DATABASE_URL="postgres://tuijin_app@127.0.0.1:5432/$db?sslmode=disable"
export TUIJIN_MIGRATE_DATABASE_URL="postgres://tuijin_owner@127.0.0.1:5432/$db?sslmode=disable"
export TUIJIN_REDIS_URL="redis://127.0.0.1:6379/12"
export TUIJIN_HTTP_ADDR="127.0.0.1:18080"
export TUIJIN_METRICS_ADDR="127.0.0.1:0"
export TUIJIN_LOG_LEVEL=warn
# Its own bucket, locked in GOVERNANCE mode for one year: test scans must not
# sit under ten-year COMPLIANCE locks in a developer's MinIO.
export TUIJIN_S3_BUCKET="tuijin-e2e-$$" TUIJIN_S3_LOCK_MODE=GOVERNANCE TUIJIN_RETAIN_YEARS=1
redis-cli -n 12 flushdb >/dev/null
mkdir -p test-artifacts
bin/tuijin migrate
bin/tuijin demo >/dev/null
bin/tuijin serve 2>test-artifacts/e2e-server.log &
server=$!
# The worker makes photos' display copies and refused workbooks' annotated copies.
TUIJIN_HTTP_ADDR=127.0.0.1:0 bin/tuijin worker 2>test-artifacts/e2e-worker.log &
worker=$!
cleanup() {
  kill "$server" "$worker" 2>/dev/null; wait "$server" "$worker" 2>/dev/null
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -fsS -o /dev/null http://127.0.0.1:18080/readyz && break; sleep 0.2; done

say "browser tests"
(cd web && TUIJIN_E2E_BASE=http://127.0.0.1:18080 npm run --silent test:e2e)
