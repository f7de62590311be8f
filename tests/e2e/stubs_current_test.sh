#!/usr/bin/env bash
# stubs_current_test.sh GENERATE COMMITTED_DIR: fails when the committed generated
# code in COMMITTED_DIR differs from what `GENERATE OUT_DIR` makes from proto/ now
# (a proto changed without regenerating). For the languages whose generated code
# is committed; the others generate it in their build.
set -euo pipefail
generate=$1 committed=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$generate" "$out/gen"
if ! diff -r "$committed" "$out/gen" >"$out/diff"; then
  head -n 60 "$out/diff"
  echo "FAIL: $committed is not what $generate makes from proto/ now; run it and commit" >&2
  exit 1
fi
echo "$committed is current"
