#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 20) from a seed corpus: the sample pushes, the fake
# WeChat's sample answers, the README's configuration, and tests/fuzz/regressions/
# (inputs that once crashed a target). The tests run it briefly;
# run it longer by hand: tests/fuzz/run_fuzzers.sh 600
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
dir=${WXGATE_FUZZ_BUILD_DIR:-build-fuzz}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DWXGATE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$dir" -j "$(nproc)" --target push_fuzzer answer_fuzzer config_fuzzer

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/push" "$work/answer" "$work/config"
cp tests/fake_wechat/pushes/*.xml "$work/push/"
/usr/bin/python3 - "$work/answer" tests/fake_wechat/endpoints/*.json <<'PY'
import json, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    for i, entry in enumerate(json.load(open(path, encoding="utf-8"))):
        with open(f"{out}/{path.rsplit('/', 1)[-1]}.{i}.json", "w", encoding="utf-8") as f:
            json.dump(entry.get("answer", {}), f, ensure_ascii=False)
PY
sed -n '/^```yaml$/,/^```$/p' README.md | sed '/^```/d' >"$work/config/readme.yaml"
# Inputs that once crashed a target, so they keep being tried.
for target in push answer config; do
  if [ -d "tests/fuzz/regressions/$target" ]; then cp "tests/fuzz/regressions/$target"/* "$work/$target/"; fi
done

for target in ${WXGATE_FUZZ_TARGETS:-push answer config}; do
  echo "--- ${target}_fuzzer for ${seconds}s"
  # -rss_limit_mb: a leak or a blow-up fails the run. A failure prints the whole log,
  # which shows the crashing input (add it to tests/fuzz/regressions/ with the fix).
  if ! "$dir/tests/fuzz/${target}_fuzzer" -artifact_prefix="$work/" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 "$work/$target" >"$work/$target.log" 2>&1; then
    cat "$work/$target.log"
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/$target.log"
done
