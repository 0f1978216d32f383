#!/usr/bin/env bash
# Builds pitd and the concurrent tests with ThreadSanitizer (build/tsan) and runs them:
# the writer's group commit under many submitting threads (core), and the end-to-end tests whose
# pitd serves concurrent clients while its writer, scheduler and event loop threads interact.
#   scripts/tsan.sh
# Any data race reported in pitd (or a test) fails the run: TSAN_OPTIONS halt_on_error=1, and the
# e2e harness fails a test whose pitd exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/tsan
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPITLOG_TSAN=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target pitd pitlog_core_engine_tests pitlog_server_e2e_tests

# Races inside Cap'n Proto's own (uninstrumented) libraries are out of our reach; kj's mutexes use
# futexes directly, which TSan cannot see, so hand-offs through kj::Executor are declared here.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 suppressions=$PWD/scripts/tsan.supp"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 \
  -R 'group commit|SIGTERM|restart:|lifecycle|expir'
