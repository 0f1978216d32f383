#!/usr/bin/env bash
# The cluster-mode rows of the benchmark suite (issue "Cluster mode"), each against its baseline
# in the same run. Called by bench/run.sh; can be run alone:
#   bench/cluster_bench.sh full|smoke WORK_DIR ROWS_FILE
# writes one markdown table row per path to ROWS_FILE. Sizes (full / smoke; the environment may
# override them for a shorter full run): CLUSTER_RUNS 3/1, CLUSTER_TOKENS 1000000/2000 (the
# introspection fixture, whose log is also what the empty node catches up on), CLUSTER_SECONDS
# 10/1 (each load run), CLUSTER_SAMPLES 200/20 (revocation propagation).
# Three nats-servers with JetStream (R3) and three pitd nodes start through scripts/cluster.sh on
# free loopback ports, single-node pitds and a fourth, empty node by bench_lib's start_pitd; all
# are stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="$1" work="$2" rows_file="$3"
if [ "$mode" = smoke ]; then
  runs=${CLUSTER_RUNS:-1} tokens=${CLUSTER_TOKENS:-2000} seconds=${CLUSTER_SECONDS:-1} samples=${CLUSTER_SAMPLES:-20}
else
  runs=${CLUSTER_RUNS:-3} tokens=${CLUSTER_TOKENS:-1000000} seconds=${CLUSTER_SECONDS:-10} samples=${CLUSTER_SAMPLES:-200}
fi
bin=build/release
pids=()
export PITLOG_CLUSTER_DIR="$work/cluster" PITD="$bin/src/server/pitd"
cleanup() {
  scripts/cluster.sh stop >/dev/null 2>&1 || true
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
source bench/bench_lib.sh

# Port bases for scripts/cluster.sh (it uses fixed offsets from them): every port must be free.
free_base() {  # free_base OFFSET... -> a base B such that B+OFFSET is free on loopback for each
  python3 - "$@" <<'PY'
import random, socket, sys
offsets = [int(o) for o in sys.argv[1:]]
for _ in range(1000):
    base, socks = random.randrange(20000, 40000), []
    try:
        for o in offsets:
            s = socket.socket(); s.bind(("127.0.0.1", base + o)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
export PITLOG_NATS_BASE PITLOG_PITD_BASE
PITLOG_NATS_BASE=$(free_base 0 1 2 2000 2001 2002 4000 4001 4002)
PITLOG_PITD_BASE=$(free_base 0 1 2 100 101 102)
node_port() { echo $((PITLOG_PITD_BASE + $1 - 1)); }
position() { curl -fsS "http://127.0.0.1:$1/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["position"])'; }
rps_of() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$1"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
now() { date +%s.%N; }

rm -rf "$work" && mkdir -p "$work/cluster"
echo "cluster bench: mode=$mode runs=$runs tokens=$tokens seconds=$seconds samples=$samples"

# The introspection fixture (as the single-node row builds it), a copy for cluster node 1 (which
# publishes it into the empty stream) and one for the single-node replay baseline.
fifo="$work/tokens.fifo"
for r in $(seq 1 $((2 * runs))); do mkfifo "$fifo.$r"; done
"$bin/bench/introspect_fixture" "$work/single" "$tokens" "$fifo" $((2 * runs)) >"$work/fixture.out" &
fixture_pid=$!; pids+=("$fixture_pid")
until grep -q ready "$work/fixture.out" 2>/dev/null; do sleep 0.5; kill -0 "$fixture_pid"; done
mkdir -p "$work/cluster/pitd-1"
cp -a "$work/single" "$work/cluster/pitd-1/data"
cp -a "$work/single" "$work/replay"
# cluster.sh waits 60 s per node; publishing and catching up on a 1M-event log may take longer
# on a loaded machine, so its verdict is not final: wait here while every process runs.
scripts/cluster.sh start >"$work/cluster-start.log" 2>&1 || true   # creates the shared service key
for i in $(seq 1 6000); do
  if scripts/cluster.sh status | grep -q stopped; then
    echo "cluster did not start:" >&2; cat "$work/cluster-start.log" >&2
    tail -5 "$work"/cluster/*.log >&2; exit 1
  fi
  ready=0
  for n in 1 2 3; do curl -fs "http://127.0.0.1:$(node_port $n)/healthz" >/dev/null && ready=$((ready + 1)); done
  [ "$ready" = 3 ] && break
  [ "$i" = 6000 ] && { echo "cluster nodes not current after 600 s" >&2; exit 1; }
  sleep 0.1
done
keys="$work/cluster/service.key"
export PITLOG_BENCH_KEY PITLOG_BENCH_TOKENS
PITLOG_BENCH_KEY=$(head -1 "$keys")
events=$(position "$(node_port 1)")
echo "cluster up: $events events in the stream"

# 4. introspection on node 1 vs a single-node pitd on the same log -----------------------------
introspect() {  # introspect PORT PASS -> "rps p99 correct"
  PITLOG_BENCH_TOKENS="$fifo.$2"
  local w; w=$(wrk -t2 -c50 -d"${seconds}s" --latency -s bench/introspect.lua "http://127.0.0.1:$1/v1/introspect")
  echo "$(rps_of "$w") $(field p99_ms "$w") $(field correct "$w")"
}
start_pitd "$work/single" --service-keys "$keys"
single_pid=$pitd_pid single_port=$pitd_port
s_rps=() c_rps=() i_ratio=() c_p99=() correct=yes
for r in $(seq 1 "$runs"); do
  # The fixture writes its passes in order: single-node reads the odd ones, the cluster the even.
  read -r sr _ sc <<<"$(introspect "$single_port" $((2 * r - 1)))"
  read -r cr cp cc <<<"$(introspect "$(node_port 1)" $((2 * r)))"
  s_rps+=("$sr"); c_rps+=("$cr"); c_p99+=("$cp"); i_ratio+=("$(ratio "$cr" "$sr")")
  [ "$sc" = yes ] && [ "$cc" = yes ] || correct=NO
  echo "introspect run $r: single $sr req/s, cluster node $cr req/s (p99 $cp ms)"
done
pitd_pid=$single_pid; stop_pitd
wait "$fixture_pid" || true

# 5. catch-up of an empty node vs the single-node replay (chain verified, views rebuilt) -------
cu_rate=() cu_replay=() cu_ratio=() cu_s=()
for r in $(seq 1 "$runs"); do
  cp -a "$work/replay" "$work/replay-$r"
  t0=$(now)
  "$bin/tools/pit-replay" --data "$work/replay-$r" rebuild >"$work/replay-$r.out" 2>&1
  rr=$(python3 -c "print(round($events/($(now)-$t0)))")
  rm -rf "$work/replay-$r"
  t0=$(now)
  start_pitd "$work/node4-$r" --service-keys "$keys" --cluster "$(scripts/cluster.sh urls)" --node-name "node4-$r"
  secs=$(python3 -c "print(f'{$(now)-$t0:.2f}')")
  caught=$(position "$pitd_port")
  cr=$(python3 -c "print(round($caught/$secs))")
  stop_pitd
  rm -rf "$work/node4-$r"
  cu_rate+=("$cr"); cu_replay+=("$rr"); cu_s+=("$secs"); cu_ratio+=("$(ratio "$cr" "$rr")")
  echo "catch-up run $r: $caught events in $secs s ($cr events/s); replay $rr events/s"
done

# 3. revocation propagation A -> B -------------------------------------------------------------
pline=$(bench/propagation.py "$(node_port 1)" "$(node_port 2)" "$samples")
echo "$pline"

# 1. durable creates: 32 connections spread over the 3 nodes vs one single-node pitd ----------
# 2. the same creates vs raw JetStream publishes of a create's share of the stream (its bytes ÷
# its events, measured over the cluster's creates), 32 clients, no expectations, on a stream of
# the same settings on the same servers (pitlog's own stream cannot take foreign messages).
stream_bytes() {
  curl -fsS "http://127.0.0.1:$((PITLOG_NATS_BASE + 4000))/jsz?streams=true" | python3 -c '
import json, sys
for a in json.load(sys.stdin).get("account_details", []):
    for s in a.get("stream_detail", []):
        if s["name"] == "PITLOG": print(s["state"]["bytes"])'
}
conflicts() {  # the three nodes' pitlog_cluster_commit_conflicts_total, summed
  for n in 1 2 3; do curl -fsS "http://127.0.0.1:$(node_port $n)/metrics"; done |
    awk '/^pitlog_cluster_commit_conflicts_total/ {s += $NF} END {print s + 0}'
}
conflicts0=$(conflicts)
start_pitd "$work/single-durable" --service-keys "$keys"
d_single=() d_cluster=() d_ratio=() d_failed=0 d_p99=() raw=() raw_ratio=() raw_bytes=""
for r in $(seq 1 "$runs"); do
  w=$(wrk -t2 -c32 -d"${seconds}s" --latency -s bench/create.lua "http://127.0.0.1:$pitd_port")
  sr=$(rps_of "$w"); d_failed=$((d_failed + $(field failed "$w")))
  b0=$(stream_bytes) p0=$(position "$(node_port 1)")
  wpids=()
  for n in 1 2 3; do
    wrk -t1 -c$([ $n = 3 ] && echo 10 || echo 11) -d"${seconds}s" --latency -s bench/create.lua \
      "http://127.0.0.1:$(node_port $n)" >"$work/wrk-node$n.out" & wpids+=($!)
  done
  wait "${wpids[@]}"
  sleep 0.5  # node 1 applies the other nodes' last creates
  b1=$(stream_bytes) p1=$(position "$(node_port 1)")
  [ -n "$raw_bytes" ] || raw_bytes=$(( (b1 - b0) / (p1 - p0) ))
  cr=0 p99s=()
  for n in 1 2 3; do
    w=$(cat "$work/wrk-node$n.out")
    cr=$(python3 -c "print(round($cr+$(rps_of "$w"), 2))"); d_failed=$((d_failed + $(field failed "$w")))
    p99s+=("$(field p99_ms "$w")")
  done
  d_single+=("$sr"); d_cluster+=("$cr"); d_ratio+=("$(ratio "$cr" "$sr")")
  d_p99+=("$(printf '%s\n' "${p99s[@]}" | sort -g | tail -1)")
  echo "durable creates run $r: single $sr creates/s, cluster $cr creates/s (worst node p99 ${d_p99[-1]} ms)"
  rl=$("$bin/bench/jetstream_raw" "$(scripts/cluster.sh urls)" PITLOG_BENCH_RAW "$raw_bytes" 32 "$seconds")
  echo "$rl"
  raw+=("$(field publishes_s "$rl")"); raw_ratio+=("$(ratio "$cr" "$(field publishes_s "$rl")")")
done
stop_pitd
creates_conflicts=$(( $(conflicts) - conflicts0 ))

# Rows -----------------------------------------------------------------------------------------
m() { printf '%s\n' "$@" | median; }
mm() { printf '%s\n' "$@" | minmax; }
met() { python3 -c "print('met' if $1 else 'not met')"; }
dr=$(m "${d_ratio[@]}") rr=$(m "${raw_ratio[@]}") ir=$(m "${i_ratio[@]}") cu=$(m "${cu_ratio[@]}")
{
  echo "| durable creates over HTTP, 32 conns spread over 3 nodes (3 NATS servers, R3) | $(m "${d_cluster[@]}") creates/s, worst node's p99 $(m "${d_p99[@]}") ms | single-node pitd, 32 conns: $(m "${d_single[@]}") creates/s | **${dr}×** ($(mm "${d_ratio[@]}")) | ≥ 0.5× ($(met "$dr >= 0.5")) | failed: $d_failed; commit conflicts (a node decided again): $creates_conflicts |"
  echo "| the same cluster creates vs raw JetStream | (as above) | 32 concurrent publishes of $raw_bytes B (a create's share of the stream) to an R3 stream of the same settings, no expectations: $(m "${raw[@]}") publishes/s | **${rr}×** ($(mm "${raw_ratio[@]}")) | ≥ 0.7× ($(met "$rr >= 0.7")) | |"
  echo "| revocation propagation A → B (expire-now ack on A to first inactive introspection on B) | p50 $(field p50_ms "$pline") ms, p99 $(field p99_ms "$pline") ms, max $(field max_ms "$pline") ms ($(field samples "$pline") samples) | — | — | p99 ≤ 50 ms ($(met "$(field p99_ms "$pline") <= 50")) | polls of B per sample: $(field polls_mean "$pline") |"
  echo "| introspection on node 1 of 3 ($tokens tokens, 50 conns, wrk) | $(m "${c_rps[@]}") req/s, p99 $(m "${c_p99[@]}") ms | single-node pitd on the same log: $(m "${s_rps[@]}") req/s | **${ir}×** ($(mm "${i_ratio[@]}")) | ≥ 0.95× ($(met "$ir >= 0.95")) | every answer correct: $correct |"
  echo "| catch-up of an empty node from the stream ($caught events) | $(m "${cu_rate[@]}") events/s (start to /healthz 200: $(m "${cu_s[@]}") s) | pit-replay rebuild of the same log, single node: $(m "${cu_replay[@]}") events/s | **${cu}×** ($(mm "${cu_ratio[@]}")) | ≥ 0.3× ($(met "$cu >= 0.3")) | |"
} >"$rows_file"
echo "cluster bench: wrote $rows_file"
