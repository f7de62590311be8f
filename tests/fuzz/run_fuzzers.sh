#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 20), one after another, from
#   tests/fuzz/corpus/<target>/       the kept corpus: where the last long run ended
#   tests/fuzz/regressions/<target>/  inputs that once crashed a target
#   the seeds: the sample pushes, the fake WeChat's sample answers, the README's
#   configuration, tests/fuzz/seeds/<target>/
# Inputs a run finds go to a temporary directory: a plain run writes nothing into
# the source tree. The tests run it briefly (20 s a target); run it long by hand:
#
#   tests/fuzz/run_fuzzers.sh 3600                   # an hour a target
#   tests/fuzz/run_fuzzers.sh --update-corpus 3600   # and merge what it found into
#                                                    # tests/fuzz/corpus/ (-merge=1)
#
# WXGATE_FUZZ_TARGETS="request token_state" runs only those; WXGATE_FUZZ_BUILD_DIR
# names the build directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
update=0
if [ "${1:-}" = "--update-corpus" ]; then
  update=1
  shift
fi
seconds=${1:-20}
dir=${WXGATE_FUZZ_BUILD_DIR:-build-fuzz}
all="push answer config request callback_target token_state"
targets=${WXGATE_FUZZ_TARGETS:-$all}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DWXGATE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
# shellcheck disable=SC2046  # one word per target
cmake --build "$dir" -j "$(nproc)" --target $(printf '%s_fuzzer ' $targets)

# No allocation stacks: ASan keeps every distinct one for good, so a long run's rss
# grows by hundreds of MB an hour (push_fuzzer: 1465 MB after an hour, while its live
# heap stayed near 30 MB) until -rss_limit_mb stops it. A crash still reports where it
# happened; run its input again with ASAN_OPTIONS= for where the memory came from.
export ASAN_OPTIONS=${ASAN_OPTIONS-malloc_context_size=0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $all; do
  mkdir -p "$work/seeds/$target" "$work/found/$target"
  if [ -d "tests/fuzz/seeds/$target" ]; then cp "tests/fuzz/seeds/$target"/* "$work/seeds/$target/"; fi
done
cp tests/fake_wechat/pushes/*.xml "$work/seeds/push/"
/usr/bin/python3 - "$work/seeds/answer" tests/fake_wechat/endpoints/*.json <<'PY'
import json, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    for i, entry in enumerate(json.load(open(path, encoding="utf-8"))):
        with open(f"{out}/{path.rsplit('/', 1)[-1]}.{i}.json", "w", encoding="utf-8") as f:
            json.dump(entry.get("answer", {}), f, ensure_ascii=False)
PY
sed -n '/^```yaml$/,/^```$/p' README.md | sed '/^```/d' >"$work/seeds/config/readme.yaml"
# request_fuzzer: every RPC of the catalog (first byte) with an empty message, and
# with an upload file in text format, under the names upload requests use.
/usr/bin/python3 - "$work/seeds/request" <<'PY'
import sys
out = sys.argv[1]
upload = b' { filename: "a\\"b\\r\\n.jpg" content_type: "image/jpeg" content: "\\377\\330" }'
for rpc in range(128):
    open(f"{out}/empty.{rpc}", "wb").write(bytes([rpc]))
    for field in (b"media", b"img", b"pdf"):
        open(f"{out}/{field.decode()}.{rpc}", "wb").write(bytes([0x80 | rpc]) + field + upload)
PY

for target in $targets; do
  fuzzer="$dir/tests/fuzz/${target}_fuzzer"
  inputs=("$work/seeds/$target")
  for kept in corpus regressions; do
    if [ -d "tests/fuzz/$kept/$target" ]; then inputs+=("tests/fuzz/$kept/$target"); fi
  done
  echo "--- ${target}_fuzzer for ${seconds}s"
  # New inputs go to the first directory, the temporary one. -rss_limit_mb: a leak
  # or a blow-up fails the run. A failure prints the whole log, which shows the
  # crashing input (add it to tests/fuzz/regressions/<target>/ with the fix).
  if ! "$fuzzer" -artifact_prefix="$work/" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 "$work/found/$target" "${inputs[@]}" \
      >"$work/$target.log" 2>&1; then
    cat "$work/$target.log"
    exit 1
  fi
  grep -E "^#[0-9]+.*DONE|^(stat::number_of_executed_units|stat::peak_rss_mb)" "$work/$target.log"
  if [ "$update" = 1 ]; then
    # The smallest set of inputs with all the coverage of the kept corpus, the
    # seeds and what this run found, in place of the kept corpus.
    mkdir -p "$work/merged-$target" "tests/fuzz/corpus/$target"
    "$fuzzer" -merge=1 -max_len=65536 -rss_limit_mb=2048 "$work/merged-$target" \
      "tests/fuzz/corpus/$target" "$work/seeds/$target" "$work/found/$target" \
      >"$work/$target.merge.log" 2>&1 || { cat "$work/$target.merge.log"; exit 1; }
    rm -rf "tests/fuzz/corpus/$target"
    mv "$work/merged-$target" "tests/fuzz/corpus/$target"
    echo "kept corpus: $(find "tests/fuzz/corpus/$target" -type f | wc -l) files," \
      "$(du -sb "tests/fuzz/corpus/$target" | cut -f1) bytes"
  fi
done
