#!/usr/bin/env bash
# The server's end-to-end suite ($1: pitlog_server_e2e_tests) with every pitd it starts being a
# cluster node (tests/server/support/cluster_mode.h): one nats-server with JetStream on a free
# loopback port in a temp dir, the suite run with PITLOG_TEST_CLUSTER naming it, the server
# stopped by PID. Exit status: the suite's; 77 (skipped) when nats-server is missing, except
# under CI=true where that is a failure, as for the other NATS tests.
set -euo pipefail
suite="$1"
shift  # the rest: Catch2 arguments for a narrower run, e.g. a test name

# In CI the set-up installs nats-server: a missing one there is a failure, never a skip.
skip() { echo "skipped: $1"; if [ "${CI:-}" = true ]; then exit 1; fi; exit 77; }
nats="${NATS_SERVER:-$(command -v nats-server || true)}"
[ -n "$nats" ] && [ -x "$nats" ] || skip "nats-server not found (Debian's nats-server package)"

# Tests that cannot hold for a cluster node by design, each with its reason.
excluded=(
)

dir="$(mktemp -d /tmp/pitlog-e2e-cluster-XXXXXX)"
nats_pid=""
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill -TERM "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# Port -1: the server picks a free port itself and logs it (no race with a port chosen here).
"$nats" -js -a 127.0.0.1 -p -1 -sd "$dir/store" >"$dir/nats.log" 2>&1 &
nats_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/nats.log")"
  if [ -n "$port" ] && grep -q "Server is ready" "$dir/nats.log"; then break; fi
  kill -0 "$nats_pid" 2>/dev/null || { cat "$dir/nats.log"; echo "nats-server exited"; exit 1; }
  port=""
  sleep 0.1
done
[ -n "$port" ] || { cat "$dir/nats.log"; echo "nats-server not ready within 30 s"; exit 1; }
echo "nats-server (PID $nats_pid) with JetStream on 127.0.0.1:$port"

spec=""
for e in "${excluded[@]}"; do spec+="${spec:+,}~${e%%	*}"; done
# Names given after the suite narrow the run to them (the exclusions then do not apply).
[ $# -gt 0 ] && spec=""
status=0
PITLOG_TEST_CLUSTER="nats://127.0.0.1:$port" "$suite" --warn NoTests ${spec:+"$spec"} "$@" || status=$?
exit "$status"
