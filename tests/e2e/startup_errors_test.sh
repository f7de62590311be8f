#!/usr/bin/env bash
# The gateway binary refuses a bad configuration at start-up, exits non-zero, and
# names the field at fault; the secret's value never appears.
#   startup_errors_test.sh WXGATE_BINARY
set -uo pipefail
wxgate=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export WXGATE_TEST_SECRET=do-not-print-this-secret
failures=0

# expect_refusal NAME EXPECTED_TEXT YAML
expect_refusal() {
  printf '%s\n' "$3" >"$dir/$1.yaml"
  local output status
  output=$(timeout 60 "$wxgate" --config "$dir/$1.yaml" 2>&1)
  status=$?
  if [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
    echo "FAIL $1: the gateway started (exit $status)"; failures=$((failures + 1)); return
  fi
  if ! grep -qF -- "$2" <<<"$output"; then
    echo "FAIL $1: expected '$2' in: $output"; failures=$((failures + 1)); return
  fi
  if grep -qF -- "$WXGATE_TEST_SECRET" <<<"$output"; then
    echo "FAIL $1: the secret was printed"; failures=$((failures + 1)); return
  fi
  echo "ok   $1: $output"
}

account='accounts: [{appid: wx1111111111111111, secret: {env: WXGATE_TEST_SECRET}}]'
expect_refusal unknown_key 'upstream.timout: unknown key' "upstream: {timout: 5s}
$account"
expect_refusal missing_secret 'accounts[0].secret' 'accounts: [{appid: wx1111111111111111, secret: {env: WXGATE_UNSET_VARIABLE}}]'
expect_refusal malformed_appid 'accounts[0].appid' 'accounts: [{appid: wx123, secret: {env: WXGATE_TEST_SECRET}}]'
expect_refusal bad_url 'upstream.base_url' "upstream: {base_url: 'ftp://api.weixin.qq.com'}
$account"
expect_refusal plaintext_off_loopback 'server.grpc_listen: "0.0.0.0:50051" is not a loopback address' \
  "server: {grpc_listen: '0.0.0.0:50051'}
$account"
expect_refusal tls_cert_unreadable 'server.tls.cert_file: cannot read' \
  "server: {grpc_listen: '0.0.0.0:50051', tls: {cert_file: $dir/none.pem, key_file: $dir/none.key}}
$account"

# A port in use: hold one with a listening socket for the duration of the check.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', $port)); s.listen(); print('held', flush=True); time.sleep(120)" \
  >"$dir/holder.out" &
holder=$!
for _ in $(seq 300); do grep -q held "$dir/holder.out" && break; sleep 0.1; done
expect_refusal port_in_use 'server.grpc_listen' "server: {grpc_listen: '127.0.0.1:$port'}
$account"
kill "$holder"

if [ "$failures" -ne 0 ]; then echo "$failures failed"; exit 1; fi
echo "7 passed, 0 failed"
