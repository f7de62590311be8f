#!/usr/bin/env bash
# Installs every Debian 12 package wxgate needs to build, test and run.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  # gRPC, Protobuf, Abseil (the core)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev grpc-proto
  # upstream HTTPS, TLS, JSON, YAML configuration
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev
  # callback server and XML
  libboost-dev libpugixml-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev openssl curl clang-format
  # fuzzing (libFuzzer comes with clang's runtime)
  clang libclang-rt-14-dev
  # clients in other languages (end-to-end tests) and buf (lint, reflection client)
  python3 python3-grpcio python3-protobuf python3-pip python3-venv python3-setuptools nodejs npm
)

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
# command is missing, since a newer one already on PATH serves better. The Go
# module needs Go >= 1.26 (grpc-go's own minimum); Debian 12's golang-go is 1.19.
declare -A package_of=([go]=golang-go [java]=default-jdk-headless [mvn]=maven)
for cmd in "${!package_of[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${package_of[$cmd]}")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
