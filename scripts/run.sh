#!/usr/bin/env bash
# Runs tuijin with Guangshan's demo data on http://127.0.0.1:8080:
# starts or reuses PostgreSQL, Redis and MinIO, builds, migrates, loads the
# demo and serves. Ctrl-C stops the server (the stores keep running).
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_postgres
ensure_redis
ensure_minio
ensure_roles
ensure_database tuijin

say "building the console"
(cd web && npm ci --no-audit --no-fund && npm run build)
say "building"
mkdir -p bin
go build -o bin/tuijin ./cmd/tuijin

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
exec bin/tuijin serve
