#!/usr/bin/env bash
# Runs every test: the image's build steps on a clean copy of the tree, Go
# tests against real PostgreSQL, Redis and MinIO (each test package migrates
# a fresh database of its own; the fault and backup drills start servers of
# their own), the chart and compose checks, the console's type check and unit
# tests, a short fuzzing run of each parser, and the browser tests.
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

# The Dockerfile's build stage runs scripts/build.sh; run it here on what a
# clean clone holds (tracked and new files, nothing ignored), so that the
# image's build is tested without a container engine. The Dockerfile test
# checks that every file the image copies is in that tree.
say "image build steps (scripts/build.sh) on a clean copy of the tree"
TUIJIN_BUILD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tuijin-build.XXXXXX")
export TUIJIN_BUILD_DIR
trap 'rm -rf "$TUIJIN_BUILD_DIR"' EXIT
git ls-files -z --cached --others --exclude-standard |
  tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$TUIJIN_BUILD_DIR"
(cd "$TUIJIN_BUILD_DIR" && scripts/build.sh out)

say "go test"
go test -count=1 -p 2 ./... "$@"

say "console: unit tests (type-checked by the build above)"
(cd "$TUIJIN_BUILD_DIR/web" && npx vitest run)

scripts/fuzz.sh

scripts/e2e.sh
