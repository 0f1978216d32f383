#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a given time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=30] [TARGET...]
# Seeds come from a real lifecycle run (fuzz/make_corpus), the dictionary from fuzz/pitlog.dict.
# Prints one line per target (runs, exec/s, corpus size, findings) and exits non-zero on any
# finding. fuzz_http drives pitd's real request handler (fuzz/http_input.h has its input format);
# fuzz_introspect_fast holds introspection's hand-written fast path to the JSON codec's answers;
# fuzz_rpc sends hostile parameter structs to pitd's RPC port (tests/server/rpc/hostile_call.h);
# fuzz_verify_open writes arbitrary meta values and keys to a scratch database per input and runs
# pit-replay verify's open path on it; fuzz_verify_proof runs verify-proof's parsing and checking
# on inputs one mutation from a valid set and aborts when a "yes" comes from changed covered bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_token fuzz_time fuzz_validate fuzz_view_decode fuzz_event_decode
                                     fuzz_http fuzz_introspect_fast fuzz_config fuzz_rpc
                                     fuzz_verify_open fuzz_verify_proof)

for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -n "${missing[*]:-}" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPITLOG_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target make_corpus "${targets[@]}"

work="$build/run"
rm -rf "$work/seeds"
mkdir -p "$work"
"$build/fuzz/make_corpus" "$work/seeds"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One target per core at a time: each libFuzzer process is single-threaded.
run_target() {
  local t="$1" corpus="$work/corpus/$1" log="$work/$1.log" verdict runs rate
  mkdir -p "$corpus" "$work/artifacts/$t"
  [ -d "$work/seeds/$t" ] && cp -n "$work/seeds/$t"/* "$corpus"/ 2>/dev/null || true
  # fuzz_http runs a whole request pipeline per input, so libFuzzer's entropic schedule (which
  # weighs every one of its ~30k features after each run) would cost more than the request:
  # the plain schedule gives it several times the executions in the same time.
  local extra=()
  [ "$t" = fuzz_http ] && extra=(-entropic=0)
  # -timeout: an input that runs for 10 s is a finding (a hang), not a stall of the whole run.
  if "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -dict=fuzz/pitlog.dict -print_final_stats=1 \
       "${extra[@]}" -artifact_prefix="$work/artifacts/$t/" "$corpus" >"$log" 2>&1; then
    verdict="0 findings"
  else
    verdict="FINDING (see $log and $work/artifacts/$t/)"
  fi
  runs=$(grep -m1 -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -m1 -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  echo "fuzz: $t ${seconds}s runs=${runs:-?} exec/s=${rate:-?} corpus=$(ls "$corpus" | wc -l) $verdict" \
    >"$work/$t.result"
}
jobs_max=$(nproc)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_target "$t" &
done
wait
failed=0
for t in "${targets[@]}"; do
  cat "$work/$t.result"
  grep -q " 0 findings$" "$work/$t.result" || failed=1
done
exit $failed
