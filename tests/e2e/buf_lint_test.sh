#!/usr/bin/env bash
# Fails unless `buf lint` (STANDARD rules, proto/buf.yaml) reports nothing for proto/.
#
#   buf_lint_test.sh BUF PROTO_DIR
#
# BUF is tests/tools/node_modules/.bin/buf; without it the test fails and says how to
# install it.
set -euo pipefail

buf=${1:?usage: buf_lint_test.sh BUF PROTO_DIR}
proto_dir=${2:?usage: buf_lint_test.sh BUF PROTO_DIR}

if [[ ! -x "$buf" ]]; then
  echo "FAIL: buf not found at $buf; install it with \`npm install --prefix tests/tools\`" \
       "(from the repository root)" >&2
  exit 1
fi
buf="$(cd "$(dirname "$buf")" && pwd)/$(basename "$buf")"  # absolute: we cd below

cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

status=0
output=$(cd "$proto_dir" && BUF_CACHE_DIR="$cache" "$buf" lint 2>&1) || status=$?
if [[ $status -ne 0 || -n "$output" ]]; then
  echo "FAIL: buf lint in $proto_dir exited with $status:" >&2
  echo "$output" >&2
  exit 1
fi
echo "buf lint: $proto_dir is clean"
