#!/usr/bin/env bash
# The Compose trial (compose.yaml): three wxgate replicas sharing Redis, in front of
# the bundled fake WeChat, all on 127.0.0.1.
#
#   deploy/compose/trial.sh up      build the images (cached layers make a rebuild of
#                                   unchanged sources quick), make the fake's
#                                   certificates and each replica's configuration,
#                                   start everything and wait until each replica serves
#   deploy/compose/trial.sh smoke   check the cluster through its replicas (smoke.py)
#   deploy/compose/trial.sh down    stop and remove the containers
#
# Environment (defaults in brackets): WXGATE_TRIAL_DIR [/tmp/wxgate-trial],
# WXGATE_TRIAL_GRPC_PORTS ["50051 50052 50053"], WXGATE_TRIAL_CALLBACK_PORTS
# ["8081 8082 8083"], WXGATE_TRIAL_REDIS_PORT [6390], WXGATE_TRIAL_FAKE_PORT [8443],
# WXGATE_REDIS_IMAGE [docker.io/library/redis:7], WXGATE_BUILD_ARGS [--local-base]
# (what build-image.sh is given), WXGATE_PODMAN_COMPOSE [podman-compose; 1.1 or newer:
# Debian 12's 1.0.3 cannot run a service on the host network].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

version=$(sed -n 's/^project(wxgate VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
export WXGATE_TRIAL_DIR=${WXGATE_TRIAL_DIR:-/tmp/wxgate-trial}
export WXGATE_TRIAL_REDIS_PORT=${WXGATE_TRIAL_REDIS_PORT:-6390}
export WXGATE_TRIAL_FAKE_PORT=${WXGATE_TRIAL_FAKE_PORT:-8443}
export WXGATE_TRIAL_APPID=wx1111111111111111
export WXGATE_TRIAL_SECRET=trial-secret-not-a-real-one
export WXGATE_TRIAL_CALLBACK_TOKEN=trial-callback-token
export WXGATE_IMAGE=localhost/wxgate:$version
export WXGATE_FAKE_WECHAT_IMAGE=localhost/wxgate-fake-wechat:$version
read -r -a grpc_ports <<<"${WXGATE_TRIAL_GRPC_PORTS:-50051 50052 50053}"
read -r -a callback_ports <<<"${WXGATE_TRIAL_CALLBACK_PORTS:-8081 8082 8083}"

# podman-compose, or docker compose where that is what the machine has.
podman_compose=${WXGATE_PODMAN_COMPOSE:-podman-compose}
if command -v "$podman_compose" >/dev/null; then
  podman_args=()
  # Debian 12's podman: crun refuses cgroups in hybrid mode (TOOLCHAIN.md).
  command -v runc >/dev/null && podman_args+=(--runtime runc)
  # Its default open-files limit exceeds what the host allows.
  compose=("$podman_compose" --podman-args="${podman_args[*]}"
           --podman-run-args="--ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=4096:4096"
           -p wxgate-trial -f "$here/compose.yaml")
  engine=podman
else
  compose=(docker compose -p wxgate-trial -f "$here/compose.yaml")
  engine=docker
fi

# The replica's configuration: all share Redis and the fake; each has its own ports.
write_config() {  # N GRPC_PORT CALLBACK_PORT
  cat >"$WXGATE_TRIAL_DIR/wxgate-$1.yaml" <<YAML
server: {grpc_listen: "127.0.0.1:$2", callback_listen: "127.0.0.1:$3"}
upstream:
  base_url: "https://127.0.0.1:$WXGATE_TRIAL_FAKE_PORT"
  host_base_urls: {mp.weixin.qq.com: "https://127.0.0.1:$WXGATE_TRIAL_FAKE_PORT"}
  ca_file: /etc/wxgate/ca.pem
store:
  redis: {address: "127.0.0.1:$WXGATE_TRIAL_REDIS_PORT"}
accounts:
  - appid: $WXGATE_TRIAL_APPID
    secret: {env: WX_SECRET}
    callback: {token: {env: WX_CALLBACK_TOKEN}}
access:
  anonymous: {appids: ["*"], methods: ["*"]}  # a trial on loopback: no API keys
YAML
  chmod 0644 "$WXGATE_TRIAL_DIR/wxgate-$1.yaml"
}

up() {
  # Always built: an image left from older sources would run old code.
  for target in "" --fake-wechat; do
    # shellcheck disable=SC2086  # WXGATE_BUILD_ARGS is a list of flags
    "$root/deploy/container/build-image.sh" --engine "$engine" ${WXGATE_BUILD_ARGS---local-base} \
      $target >/dev/null
  done
  mkdir -p "$WXGATE_TRIAL_DIR"
  chmod 0755 "$WXGATE_TRIAL_DIR"
  # The fake's test CA and server certificate; readable by the containers' user.
  bash "$root/tests/fake_wechat/make_certs.sh" "$WXGATE_TRIAL_DIR/certs"
  chmod 0755 "$WXGATE_TRIAL_DIR/certs"
  chmod 0644 "$WXGATE_TRIAL_DIR"/certs/*
  for i in 0 1 2; do write_config $((i + 1)) "${grpc_ports[i]}" "${callback_ports[i]}"; done
  "${compose[@]}" up -d
  smoke --wait-only
}

smoke() {
  local targets=() callbacks=()
  for i in 0 1 2; do
    targets+=("127.0.0.1:${grpc_ports[i]}")
    callbacks+=("http://127.0.0.1:${callback_ports[i]}/wechat/callback/$WXGATE_TRIAL_APPID")
  done
  /usr/bin/python3 "$here/smoke.py" --targets "${targets[@]}" --callbacks "${callbacks[@]}" \
    --appid "$WXGATE_TRIAL_APPID" --fake "https://127.0.0.1:$WXGATE_TRIAL_FAKE_PORT" \
    --ca "$WXGATE_TRIAL_DIR/certs/ca.pem" --stubs-dir "${WXGATE_STUBS_DIR:-$root/build/client_stubs/python/gen}" \
    "$@"
}

case "${1:-}" in
  up) up ;;
  smoke) shift; smoke "$@" ;;
  down) "${compose[@]}" down ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
