#!/usr/bin/env bash
# wxgate's one entry point on a fresh Debian 12 machine. Each command installs what
# it needs (Debian packages, the npm test tools), builds, then does its job.
#
#   ./wxgate.sh run [--config FILE]   build and run the gateway (embedded default without --config)
#   ./wxgate.sh demo                  run the gateway against the bundled fake WeChat and make a call
#   ./wxgate.sh test                  build and run every test (ctest)
#   ./wxgate.sh test --sanitize       the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
jobs=$(nproc)

setup() {
  bash deploy/bootstrap.sh
  # npm install, not npm ci: the registry serves only some of buf's per-platform
  # packages, so the lock file cannot list them all and npm ci refuses it.
  # wechat is node-webot, the push benchmark's baseline (tests/bench/push_bench.py).
  if [ ! -x tests/tools/node_modules/.bin/buf ] || [ ! -d tests/tools/node_modules/wechat ]; then
    npm install --prefix tests/tools --no-audit --no-fund --loglevel=error
  fi
}

# The client packages' dependencies (tests only), fetched once into each ecosystem's
# usual place: ~/go/pkg/mod, client_stubs/node/node_modules, ~/.m2, ~/.cache. Maven builds the
# Java client here too (its test run then finds it built).
setup_clients() {
  (cd client_stubs/go && go mod download)
  (cd tests/deploy/meshcheck && go mod download)  # Envoy and Istio APIs (mesh_schemas)
  if [ ! client_stubs/node/node_modules/.package-lock.json -nt client_stubs/node/package-lock.json ]; then
    npm ci --prefix client_stubs/node --no-audit --no-fund --loglevel=error
  fi
  mvn -B -q -Dstyle.color=never -f client_stubs/java/pom.xml test-compile
  # PyPI's grpcio and protobuf, for the Python package's test (python_package_test.sh).
  /usr/bin/python3 -m pip download -q -d "$HOME/.cache/wxgate/wheels" \
    -r client_stubs/python/requirements-pypi.txt
}

# helm, Kubernetes' JSON schemas and the Gateway API's CRDs (tests/deploy), pinned in
# tests/deploy: helm in ~/go/bin, the schemas in a virtual environment, the CRDs in
# Go's module cache. Each step is skipped once done.
setup_deploy_tools() {
  source tests/deploy/tool_versions.sh
  local gobin venv=$HOME/.cache/wxgate/deploy-tools
  gobin=$(go env GOPATH)/bin
  # grep reads all (no -q): an early exit would fail the pipe under pipefail.
  if ! go version -m "$gobin/helm" 2>/dev/null | grep -P "\tmod\thelm.sh/helm/v3\t$HELM_VERSION\t" >/dev/null; then
    GOBIN=$gobin go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  fi
  if ! cmp -s tests/deploy/requirements.txt "$venv/requirements.txt"; then
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r tests/deploy/requirements.txt
    cp tests/deploy/requirements.txt "$venv/requirements.txt"
  fi
  go mod download "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
}

# build DIR [cmake args...]
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

cmd_run() {
  setup
  build build
  exec build/service/server/wxgate "$@"
}

cmd_test() {
  setup
  setup_clients
  setup_deploy_tools
  local dir=build
  if [ "${1:-}" = "--sanitize" ]; then
    dir=build-asan
    build "$dir" -DWXGATE_SANITIZE=ON
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  else
    build "$dir"
  fi
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

cmd_demo() {
  setup
  build build
  # Globals, for the EXIT trap.
  work=$(mktemp -d) fake_pid="" gateway_pid="" subscriber_pid=""
  trap 'kill $subscriber_pid $gateway_pid $fake_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
  local appid=wx1111111111111111
  export WXGATE_DEMO_SECRET=demo-secret-not-a-real-one

  build/tests/fake_wechat/fake_wechat --cert build/tests/certs/server.pem \
    --key build/tests/certs/server.key --endpoints tests/fake_wechat/endpoints \
    --account "$appid:$WXGATE_DEMO_SECRET" --port-file "$work/fake.port" >"$work/fake.log" 2>&1 &
  fake_pid=$!
  wait_for "fake WeChat" test -s "$work/fake.port"

  local port callback_port
  port=$(free_port) callback_port=$(free_port)
  export WXGATE_DEMO_CALLBACK_TOKEN=demo-callback-token
  cat >"$work/wxgate.yaml" <<YAML
server: {grpc_listen: "127.0.0.1:$port", callback_listen: "127.0.0.1:$callback_port"}
upstream:
  base_url: "https://127.0.0.1:$(cat "$work/fake.port")"
  host_base_urls: {mp.weixin.qq.com: "https://127.0.0.1:$(cat "$work/fake.port")"}
  ca_file: "$root/build/tests/certs/ca.pem"
accounts:
  - appid: $appid
    secret: {env: WXGATE_DEMO_SECRET}
    callback: {token: {env: WXGATE_DEMO_CALLBACK_TOKEN}}
access:
  anonymous: {appids: ["*"], methods: ["*"]}  # the demo calls without an API key
YAML
  build/service/server/wxgate --config "$work/wxgate.yaml" >"$work/wxgate.log" 2>&1 &
  gateway_pid=$!
  wait_for "gateway" grep -q "serving gRPC" "$work/wxgate.log"
  cat "$work/wxgate.log"

  echo "--- wechat.mp.v1.UserService/GetUserInfo through the gateway (Python client):"
  PYTHONPATH=build/client_stubs/python/gen:client_stubs/python /usr/bin/python3 \
    client_stubs/python/example.py --target "127.0.0.1:$port" --appid "$appid" \
    --openid o6_bmjrPTlm6_2sgVt7hMZOPfL2M

  echo "--- WeChat pushes a message and a menu click; a subscriber of wxgate.v1.EventService receives them:"
  tests/tools/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge \
    -d '{"filter": {"appids": ["'"$appid"'"]}}' \
    "http://127.0.0.1:$port/wxgate.v1.EventService/Subscribe" >"$work/events.json" 2>&1 &
  subscriber_pid=$!
  wait_for "subscription" grep -q "events_subscribed" "$work/wxgate.log"
  build/tests/fake_wechat/fake_wechat_push --url "http://127.0.0.1:$callback_port/wechat/callback/$appid" \
    --appid "$appid" --token_env WXGATE_DEMO_CALLBACK_TOKEN \
    tests/fake_wechat/pushes/text.xml tests/fake_wechat/pushes/click.xml
  wait_for "events" test "$(grep -c '"cursor"' "$work/events.json")" -ge 2
  cat "$work/events.json"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for WHAT COMMAND...: until COMMAND succeeds (30 s at most).
wait_for() {
  local what=$1; shift
  for _ in $(seq 300); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "wxgate.sh: the $what did not start; its log:" >&2
  cat "$work"/*.log >&2
  exit 1
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  demo) cmd_demo ;;
  test) shift; cmd_test "$@" ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
