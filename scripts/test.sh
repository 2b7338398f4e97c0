#!/usr/bin/env bash
# Runs every test: Go tests against real PostgreSQL, Redis and MinIO (each test
# package migrates a fresh database of its own), the chart and compose
# checks, the console's type check and unit tests, and the browser tests.
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_postgres
ensure_redis
ensure_minio
ensure_roles
ensure_helm
ensure_document_tools

say "go vet"
go vet ./...
say "helm lint"
helm lint --strict charts/tuijin
helm lint --strict charts/tuijin -f charts/tuijin/ci/external-values.yaml
say "go test"
go test -count=1 -p 2 ./... "$@"

say "console: type check and unit tests"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent gen:api && npm run --silent typecheck && npx vitest run)

scripts/e2e.sh
