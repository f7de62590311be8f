#!/usr/bin/env bash
# cpp_client_test.sh PACKAGE_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR [CMAKE_ARG...]: installs the C++
# client package built in PACKAGE_BUILD_DIR into WORK_DIR/prefix, builds
# CONSUMER_SOURCE_DIR (find_package(wxgate_client): the end-to-end test and the
# example) against it in WORK_DIR/build (with the CMAKE_ARGs), and runs the test.
# Run by client_test.py, which provides the live gateway.
set -euo pipefail
package=$1 consumer=$2 work=$3
shift 3
rm -rf "$work/prefix"
cmake --install "$package" --prefix "$work/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" "$@" >/dev/null
cmake --build "$work/build"
"$work/build/wxgate_client_e2e_test"
