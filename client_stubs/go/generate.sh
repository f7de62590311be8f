#!/usr/bin/env bash
# Generates the Go messages and gRPC stubs of every proto wxgate serves into gen/
# (or into the directory given), with the system protoc and the plugins at the
# versions go.mod pins (its `tool` lines). The output is committed, as Go modules
# are: `go get` cannot run protoc. tests/e2e/go_client_test.sh checks it is current.
#
#   client_stubs/go/generate.sh [OUT_DIR]
#
# google/rpc is not generated: errors decode with google.golang.org/genproto's
# errdetails, which grpc-go's status package already uses (two Go packages for one
# proto file would be a registration conflict). wxgate/config is not served.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$(cd "$here/../../proto" && pwd)
out=${1:-$here/gen}
module=wxgate.dev/go/gen

plugins=$(mktemp -d)
trap 'rm -rf "$plugins"' EXIT
(cd "$here" && go build -o "$plugins/" google.golang.org/protobuf/cmd/protoc-gen-go \
  google.golang.org/grpc/cmd/protoc-gen-go-grpc)

mapfile -t files < <(cd "$proto" && find wechat wxgate -name '*.proto' -not -path 'wxgate/config/*' | LC_ALL=C sort)
# Each directory is one Go package: wechat/mp/v1 -> wxgate.dev/go/gen/wechat/mp/v1;mpv1.
go_opts=() grpc_opts=()
for f in "${files[@]}"; do
  dir=$(dirname "$f")
  name=$(basename "$dir")
  [[ $name =~ ^v[0-9]+$ ]] && name=$(basename "$(dirname "$dir")")$name
  go_opts+=(--go_opt="M$f=$module/$dir;$name")
  grpc_opts+=(--go-grpc_opt="M$f=$module/$dir;$name")
done

rm -rf "$out"
mkdir -p "$out"
(cd "$proto" && protoc -I . --plugin=protoc-gen-go="$plugins/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$plugins/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=paths=source_relative "${go_opts[@]}" \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative "${grpc_opts[@]}" \
  "${files[@]}")
