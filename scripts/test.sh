#!/usr/bin/env bash
# Runs every test against real PostgreSQL and Redis (each test package
# migrates a fresh database of its own and drops it afterwards).
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_postgres
ensure_redis
ensure_roles
ensure_helm

say "go vet"
go vet ./...
say "helm lint"
helm lint --strict charts/tuijin
helm lint --strict charts/tuijin -f charts/tuijin/ci/external-values.yaml
say "go test"
go test -count=1 -p 2 ./... "$@"
