#!/usr/bin/env bash
# Sets up (packages + builds) and runs the whole test suite: once in Release, once under ASan/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests (Release)"
ctest --test-dir build/release --output-on-failure -j "$(nproc)" --timeout 600
echo "== tests (ASan/UBSan)"
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 900
