#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 20), starting from the sample pushes as a corpus. The
# tests run it briefly; run it longer by hand: tests/fuzz/run_fuzzers.sh 600
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
dir=${WXGATE_FUZZ_BUILD_DIR:-build-fuzz}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DWXGATE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$dir" -j "$(nproc)" --target push_fuzzer
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp tests/fake_wechat/pushes/*.xml "$corpus/"
# -rss_limit_mb: the fuzzer's own bound; a leak or blow-up fails the run.
"$dir/tests/fuzz/push_fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 "$corpus"
