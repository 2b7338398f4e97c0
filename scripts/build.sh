#!/usr/bin/env bash
# Builds what the image ships, the same way everywhere (the Dockerfile's
# build stage, scripts/run.sh, scripts/test.sh on a clean copy of the tree):
#   1. the console: npm ci, its API types generated from the binary's own
#      OpenAPI document (go run), the type check, vite build into
#      internal/console/dist/app;
#   2. the static binary with the console embedded, into OUT/tuijin.
# Usage: scripts/build.sh [OUT]   (OUT defaults to bin/). Needs Go and Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bin}
export CGO_ENABLED=0

echo "==> console (web/ → internal/console/dist/app)" >&2
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
test -f internal/console/dist/app/index.html || { echo "the console build wrote no internal/console/dist/app/index.html" >&2; exit 1; }

echo "==> static binary ($out/tuijin)" >&2
mkdir -p "$out"
go build -trimpath -ldflags "-s -w" -o "$out/tuijin" ./cmd/tuijin
