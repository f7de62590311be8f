#!/usr/bin/env bash
# Generates the TypeScript messages and @grpc/grpc-js clients of every proto wxgate
# serves, plus google/rpc's status and error details, into src/gen/ (or the
# directory given), with the system protoc and ts-proto at the version
# package-lock.json pins. `npm run build` runs it first, so the package is always
# built from proto/ as it is; src/gen is not committed.
#
#   client_stubs/node/generate.sh [OUT_DIR]     (after npm ci in client_stubs/node)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$(cd "$here/../../proto" && pwd)
out=${1:-$here/src/gen}
plugin=$here/node_modules/.bin/protoc-gen-ts_proto
[ -x "$plugin" ] || { echo "no ts-proto: run npm ci in $here" >&2; exit 1; }

mapfile -t files < <(cd "$proto" && find google wechat wxgate -name '*.proto' -not -path 'wxgate/config/*' | LC_ALL=C sort)
rm -rf "$out"
mkdir -p "$out"
# forceLong=string: 64-bit integers (cursors, ids, sizes) as decimal strings, exact.
(cd "$proto" && protoc -I . --plugin=protoc-gen-ts_proto="$plugin" --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,forceLong=string,useOptionals=messages,unrecognizedEnum=false \
  "${files[@]}")
