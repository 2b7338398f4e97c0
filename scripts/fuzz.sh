#!/usr/bin/env bash
# Fuzzes each parser for a fixed budget (TUIJIN_FUZZTIME, default 20s a
# target). Their seed corpora (in the fuzz functions and testdata/fuzz/) run
# with every `go test`; a failing input found here is written to the
# package's testdata/fuzz/<target>/ — keep it there as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${TUIJIN_FUZZTIME:-20s}
targets=(
  "./internal/workbook FuzzParse"       # the key list workbook, as bytes
  "./internal/workbook FuzzParseCells"  # the key list workbook, cell by cell
  "./internal/workbook FuzzScanner"     # the XML reader of the workbook's parts, against encoding/xml
  "./internal/httpapi FuzzBindJSON"     # the JSON request binder
  "./internal/photo FuzzInspect"        # photo type, pixel limit and EXIF
  "./internal/project FuzzParseWan"     # amounts in 万元
)
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  printf '\033[1m==> fuzz %s %s (%s)\033[0m\n' "$pkg" "$name" "$budget" >&2
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$budget" "$pkg"
done
