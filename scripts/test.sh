#!/usr/bin/env bash
# Sets up (packages + builds) and runs everything CI checks:
#   1. each libFuzzer target for 30 s (scripts/fuzz.sh; clang, ASan/UBSan);
#   2. the reliability campaigns' short forms against the real pitd (tests/campaigns/: SIGKILL
#      crashes under load, a full and a read-only filesystem, a soak with bounded memory);
#   3. pitd and the concurrent tests under ThreadSanitizer (scripts/tsan.sh);
#   4. the benchmark suite's smoke form (bench/run.sh --smoke: tiny sizes, no ratio asserted);
#   5. the whole Catch2 suite through CTest, in Release and again under ASan/UBSan (last, so that
#      its summary closes the output).
# PITLOG_FUZZ_SECONDS (default 30) sets the fuzzing time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase() { echo "== $1 ($(( $(date +%s) - started )) s in)"; }
phase "setup and builds"
scripts/setup.sh all
# promtool, for the test that checks /metrics with `promtool check metrics`.
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
phase "fuzzing (short form)"
scripts/fuzz.sh "${PITLOG_FUZZ_SECONDS:-30}"
phase "reliability campaigns (short forms)"
tests/campaigns/crash.sh
tests/campaigns/faults.sh
tests/campaigns/soak.sh --seconds 30
phase "ThreadSanitizer"
scripts/tsan.sh
phase "benchmarks (smoke form)"
bench/run.sh --smoke
phase "tests (Release)"
ctest --test-dir build/release --output-on-failure -j "$(nproc)" --timeout 600
phase "tests (ASan/UBSan)"
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 900
phase "done"
