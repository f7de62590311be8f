#!/usr/bin/env bash
# Installs every Debian 12 package wxgate needs to build, test and run.
# Idempotent and non-interactive; run as root (or through sudo).
#
#   deploy/bootstrap.sh                   everything: build, tests, clients, containers
#   deploy/bootstrap.sh --gateway         only what building the wxgate binary needs
#   deploy/bootstrap.sh --print-gateway   list those packages and exit
set -euo pipefail

gateway_packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ca-certificates
  # gRPC, Protobuf, Abseil (the core)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev grpc-proto
  # upstream HTTPS, TLS, JSON, YAML configuration
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev
  # callback server and XML
  libboost-dev libpugixml-dev
  # the shared store of several replicas (Redis)
  libhiredis-dev
)
case "${1:-}" in
  --print-gateway) echo "${gateway_packages[*]}"; exit 0 ;;
  --gateway) packages=("${gateway_packages[@]}") ;;
  "") packages=("${gateway_packages[@]}"
  build-essential git ccache redis-server
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev openssl curl clang-format
  # fuzzing (libFuzzer comes with clang's runtime)
  clang libclang-rt-14-dev
  # clients in other languages (end-to-end tests) and buf (lint, reflection client)
  python3 python3-grpcio python3-protobuf python3-yaml python3-prometheus-client python3-pip
  python3-venv python3-setuptools
  # the status page's test in a real browser (tests/e2e/status_page_test.py)
  chromium chromium-driver python3-selenium
  nodejs npm
  # the container images (tests/e2e; podman-compose comes from PyPI: setup_deploy_tools)
  podman runc mmdebstrap
  ) ;;
  *) echo "usage: $0 [--gateway | --print-gateway]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A node already on PATH (e.g. from nodesource) serves as well as Debian's.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
# The client packages' toolchains (client_stubs/): Debian's package only where the
# command is missing, since a newer one already on PATH serves better.
declare -A package_of=([java]=default-jdk-headless [mvn]=maven [unzip]=unzip)
[ "${1:-}" = --gateway ] && package_of=()
for cmd in "${!package_of[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${package_of[$cmd]}")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = --gateway ] && exit 0

# The Go client needs Go >= 1.26 (grpc-go's own minimum) and Debian 12's golang-go is
# 1.19, so an older or missing Go is replaced by the release the Go module proxy
# serves as a module (golang.org/toolchain), installed under /usr/local.
go_release=go1.26.8
if ! go version 2>/dev/null | grep -qE 'go1\.(2[6-9]|[3-9][0-9])'; then
  go_root=/usr/local/lib/$go_release
  if [ ! -x "$go_root/bin/go" ]; then
    zip=$(mktemp)
    arch=$(dpkg --print-architecture)  # amd64, arm64: Go's names too
    curl -fsSL "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$go_release.linux-$arch.zip" \
      -o "$zip"
    unpacked=$(mktemp -d)
    unzip -q "$zip" -d "$unpacked"
    "${sudo_cmd[@]}" mv "$unpacked/golang.org/toolchain@v0.0.1-$go_release.linux-$arch" "$go_root"
    rm -rf "$zip" "$unpacked"
  fi
  "${sudo_cmd[@]}" ln -sf "$go_root/bin/go" "$go_root/bin/gofmt" /usr/local/bin/
fi
