#!/usr/bin/env bash
# Builds pitd and the concurrent tests with ThreadSanitizer (build/tsan) and runs them: the
# writer's group commit under many submitting threads and its storage-fault recovery under
# concurrent commands (core), replay (its chain reader runs on a thread of its own: the as-of and
# rebuild-at-open tests replay), and the end-to-end tests whose pitd serves concurrent clients while
# its writer, scheduler and event loop threads interact.
#   scripts/tsan.sh
# Any data race reported in pitd (or a test) fails the run: TSAN_OPTIONS halt_on_error=1, and the
# e2e harness fails a test whose pitd exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/tsan
# -O1 -g1: TSan's own guidance (fast enough to run, symbols for its reports), and a quicker build.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DPITLOG_TSAN=ON \
  >/dev/null
cmake --build "$build" -j "$(nproc)" --target pitd pitlog_core_engine_tests pitlog_core_storage_fault_tests \
  pitlog_server_e2e_tests

# scripts/tsan.supp says which reports are out of reach (inside uninstrumented Debian libraries).
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 suppressions=$PWD/scripts/tsan.supp"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 \
  -R 'group commit|storage fault|SIGTERM|restart:|lifecycle|expir|as-of|rebuilt at open|fake log|pipeline|event loops|SIGHUP'
