#!/usr/bin/env bash
# Sets up (packages + builds) and runs everything CI checks:
#   1. each libFuzzer target for a short while (scripts/fuzz.sh; clang, ASan/UBSan);
#   2. the benchmark suite's smoke form (bench/run.sh --smoke: tiny sizes, no ratio asserted);
#   3. the whole Catch2 suite through CTest, in Release and again under ASan/UBSan (last, so that
#      its summary closes the output).
# PITLOG_FUZZ_SECONDS (default 10) sets the fuzzing time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all
# promtool, for the test that checks /metrics with `promtool check metrics`.
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== fuzzing (short form)"
scripts/fuzz.sh "${PITLOG_FUZZ_SECONDS:-10}"
echo "== benchmarks (smoke form)"
bench/run.sh --smoke
echo "== tests (Release)"
ctest --test-dir build/release --output-on-failure -j "$(nproc)" --timeout 600
echo "== tests (ASan/UBSan)"
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 900
