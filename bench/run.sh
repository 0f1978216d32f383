#!/usr/bin/env bash
# pitlog's benchmark suite: every path measured beside its baseline in the same run, reported as
# ratios (machines here are shared and noisy; absolute numbers drift, same-run ratios much less).
#
#   bench/run.sh            full sizes, 3 runs each, writes bench/RESULTS.md
#   bench/run.sh --smoke    tiny sizes, 1 run, writes bench/out/RESULTS-smoke.md (CI uses it)
#
# `BENCH_ONLY=replay bench/run.sh` runs only the replay, verify and startup rows (and prints them);
# `BENCH_ONLY=http` only the verification, introspection and durable-command rows (1 to 3).
#
# Installs wrk and redis-server (and, for the full run, PostgreSQL) from Debian when missing;
# starts pitd, redis-server, a throwaway PostgreSQL cluster (bench/postgres.sh) and, for the
# cluster rows (bench/cluster_bench.sh), three nats-servers and pitd nodes on free loopback ports
# and stops them by PID; sends traffic to 127.0.0.1 only. The smoke form runs the
# PostgreSQL baselines only where PostgreSQL is installed (installing it would cost CI a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
runs=3 tokens=1000000 integrations=1000000 queries=4000000 seconds=10 cmd_seconds=3 http_seconds=5
if [ "${1:-}" = "--smoke" ]; then
  mode=smoke runs=1 tokens=2000 integrations=2000 queries=20000 seconds=2 cmd_seconds=0.5 http_seconds=1
fi

need=()
wanted=(wrk redis-server redis-tools python3)
[ "$mode" = full ] && wanted+=(postgresql)
[ "${BENCH_ONLY:-}" = replay ] && wanted=(python3)
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup.sh release >/dev/null

bin=build/release
out=bench/out
rm -rf "$out/work"
mkdir -p "$out/work"
work=$(cd "$out/work" && pwd)
results=bench/RESULTS.md
[ "$mode" = smoke ] && results="$out/RESULTS-smoke.md"

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

source bench/bench_lib.sh

declare -A row
echo "bench: mode=$mode runs=$runs"

if [ "${BENCH_ONLY:-}" != replay ]; then
# 1. verify-inproc ------------------------------------------------------------------------------
line=$("$bin/bench/verify_inproc" "$tokens" "$queries" "$runs")
echo "$line"
row[verify]="| verify-inproc ($tokens tokens, one core) | $(field pitlog_ops_s "$line") ops/s | SHA-256 + std::unordered_map: $(field baseline_ops_s "$line") ops/s | **$(field ratio_median "$line")×** ($(field ratio_min "$line")–$(field ratio_max "$line")) | ≥ 1.0× (aim 2×) | answers agree: $(field answers_agree "$line") |"

# 2. introspect-http ---------------------------------------------------------------------------
fifo="$work/tokens.fifo"
for r in $(seq 1 "$runs"); do mkfifo "$fifo.$r"; done
"$bin/bench/introspect_fixture" "$work/introspect" "$tokens" "$fifo" "$runs" >"$work/fixture.out" &
fixture_pid=$!; pids+=("$fixture_pid")
until grep -q ready "$work/fixture.out" 2>/dev/null; do sleep 0.5; kill -0 "$fixture_pid"; done
start_pitd "$work/introspect"
export PITLOG_BENCH_KEY; PITLOG_BENCH_KEY=$(head -1 "$work/introspect/service.key")
export PITLOG_BENCH_TOKENS
rps=(); p50=(); p99=(); correct=yes
for r in $(seq 1 "$runs"); do
  PITLOG_BENCH_TOKENS="$fifo.$r"
  wout=$(wrk -t2 -c50 -d"${seconds}s" --latency -s bench/introspect.lua \
         "http://127.0.0.1:$pitd_port/v1/introspect")
  rps+=("$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wout")")
  p50+=("$(field p50_ms "$wout")"); p99+=("$(field p99_ms "$wout")")
  [ "$(field correct "$wout")" = yes ] || correct=NO
  echo "introspect-http run $r: $(sed -n 's/^Requests\/sec:.*/&/p' <<<"$wout") $(grep '^wrk:' <<<"$wout")"
done
stop_pitd
wait "$fixture_pid" || true

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!; pids+=("$redis_pid")
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
redis-cli -p "$redis_port" set key:000000000000 "$(head -c 200 /dev/zero | tr '\0' x)" >/dev/null
rrps=(); rp50=(); rp99=()
for r in $(seq 1 "$runs"); do
  csv=$(redis-benchmark -p "$redis_port" -c 50 -n $((tokens < 100000 ? 20000 : 500000)) -t get --csv | tail -1)
  IFS=, read -r _ v_rps _ _ v_p50 _ v_p99 _ <<<"$(tr -d '"' <<<"$csv")"
  rrps+=("$v_rps"); rp50+=("$v_p50"); rp99+=("$v_p99")
  echo "redis GET run $r: rps=$v_rps p50=$v_p50 p99=$v_p99"
done
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
# PostgreSQL: durable single-row INSERTs at 1, 8, 32 clients, and SELECT by digest at 50.
declare -A pgins
pgsel=()
if pg_out=$(bench/postgres.sh "$work" "$tokens" "$([ "$mode" = smoke ] && echo 1 || echo "$cmd_seconds")" 1,8,32 "$runs" 2>"$work/postgres.err"); then
  echo "$pg_out"
  while read -r line; do
    case "$(field bench "$line")" in
      pg_insert) pgins[$(field clients "$line")]+="$(field tps "$line") " ;;
      pg_select) pgsel+=("$(field tps "$line")") ;;
    esac
  done <<<"$pg_out"
else
  echo "bench: PostgreSQL baselines skipped: $(tail -1 "$work/postgres.err")"
fi
m_rps=$(printf '%s\n' "${rps[@]}" | median); m_rrps=$(printf '%s\n' "${rrps[@]}" | median)
ratio=$(python3 -c "print(f'{$m_rps/$m_rrps:.2f}')")
pg_select_cell=""
if [ ${#pgsel[@]} -gt 0 ]; then
  m_pgsel=$(printf '%s\n' "${pgsel[@]}" | median)
  pg_select_cell="; PostgreSQL SELECT by digest, 50 conns: $m_pgsel tx/s ($(python3 -c "print(f'{$m_rps/$m_pgsel:.2f}')")× of it)"
fi
row[introspect]="| introspect-http ($tokens tokens, 50 conns, wrk) | $m_rps req/s, p50 $(printf '%s\n' "${p50[@]}" | median) ms, p99 $(printf '%s\n' "${p99[@]}" | median) ms | Redis GET, 50 conns: $m_rrps req/s (p99 $(printf '%s\n' "${rp99[@]}" | median) ms)$pg_select_cell | **${ratio}×** | ≥ 1.0×, p99 ≤ 2 ms | every answer correct: $correct |"

# 3. commands-durable --------------------------------------------------------------------------
# Each run: the Engine and raw RocksDB at 1, 8 and 32 writers (bench/commands_durable.cpp), then
# creates over HTTP from wrk at 1, 8 and 32 connections against a pitd with sync on, whose ratio
# is taken against that run's raw RocksDB rate at as many writers.
declare -A cratio cours craw cbatch cp99 hrps hp99 hratio hfailed
start_pitd "$work/http-durable"
PITLOG_BENCH_KEY=$(head -1 "$work/http-durable/service.key")
for r in $(seq 1 "$runs"); do
  declare -A raw_now=()
  while read -r line; do
    c=$(field clients "$line")
    cratio[$c]+="$(field ratio "$line") "; cours[$c]+="$(field pitlog_cmds_s "$line") "
    craw[$c]+="$(field rocksdb_writes_s "$line") "; cbatch[$c]+="$(field mean_batch "$line") "
    cp99[$c]+="$(field pitlog_p99_ms "$line") "
    raw_now[$c]=$(field rocksdb_writes_s "$line")
    echo "$line"
  done < <("$bin/bench/commands_durable" "$work/durable" "$cmd_seconds" 1,8,32)
  for c in 1 8 32; do
    wout=$(wrk -t$((c < 2 ? 1 : 2)) -c"$c" -d"${http_seconds}s" --latency -s bench/create.lua "http://127.0.0.1:$pitd_port")
    v=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wout")
    hrps[$c]+="$v "; hp99[$c]+="$(field p99_ms "$wout") "
    hratio[$c]+="$(python3 -c "print(f'{$v / ${raw_now[$c]}:.2f}')") "
    [ "$(field failed "$wout")" = 0 ] || hfailed[$c]+="$(field failed "$wout") "
    echo "commands-durable http c=$c run $r: rps=$v $(grep '^wrk:' <<<"$wout")"
  done
done
stop_pitd
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
for c in 1 8 32; do
  pg_cell="" pg_target=""
  if [ -n "${pgins[$c]:-}" ]; then
    m_pg=$(m "${pgins[$c]}")
    pg_cell="; PostgreSQL INSERT (synchronous_commit), $c clients: $m_pg tx/s ($(python3 -c "print(f'{$(m "${cours[$c]}")/$m_pg:.2f}')")× of it)"
    [ $c = 32 ] && pg_target=", ≥ 2× PostgreSQL"
  fi
  row[durable$c]="| commands-durable, $c clients (Engine, sync) | $(m "${cours[$c]}") cmds/s, p99 $(m "${cp99[$c]}") ms, mean batch $(m "${cbatch[$c]}") | raw RocksDB WriteBatch sync, $c writers: $(m "${craw[$c]}") writes/s$pg_cell | **$(m "${cratio[$c]}")×** ($(tr ' ' '\n' <<<"${cratio[$c]}" | grep . | minmax)) | $([ $c = 32 ] && echo "≥ 1.0×$pg_target" || echo '—') | |"
  row[http$c]="| commands-durable over HTTP, $c conns (creates, wrk) | $(m "${hrps[$c]}") creates/s, p99 $(m "${hp99[$c]}") ms | raw RocksDB WriteBatch sync, $c writers, same runs: $(m "${craw[$c]}") writes/s | **$(m "${hratio[$c]}")×** ($(tr ' ' '\n' <<<"${hratio[$c]}" | grep . | minmax)) | $([ $c = 32 ] && echo '≥ 0.8×' || echo '—') | failed answers: ${hfailed[$c]:-0} |"
done

fi  # BENCH_ONLY
if [ "${BENCH_ONLY:-}" = http ]; then
  for k in verify introspect durable1 durable8 durable32 http1 http8 http32; do echo "${row[$k]}"; done
  exit 0
fi

# 4 + 5. replay, startup and memory -------------------------------------------------------------
# The log: N creates and a rotation of every tenth integration (1.1M events at N = 1M), kept
# for the pit-replay row below.
lines=$("$bin/bench/log_bench" "$work/log" "$integrations" keep 2>/dev/null)
echo "$lines"
rl=$(grep bench=replay <<<"$lines"); sl=$(grep bench=startup <<<"$lines")
row[replay]="| replay in-process: chain verified + every view rebuilt ($(field events "$rl") events) | $(field pitlog_events_s "$rl") events/s | raw RocksDB scan of the events family: $(field raw_scan_events_s "$rl") events/s | **$(field ratio_median "$rl")×** ($(field ratio_min "$rl")–$(field ratio_max "$rl")) | — | chain ok: $(field chain_ok "$rl") |"
row[startup]="| startup + memory ($(field integrations "$sl") integrations) | open to ready $(field open_s "$sl") s; $(field bytes_per_token "$sl") B RSS per live token | — | — | ≤ 3 s; ≤ 300 B/token | RSS delta $(field rss_delta_mib "$sl") MiB |"

# 6. log proofs ---------------------------------------------------------------------------------
proof_leaves=$([ "$mode" = smoke ] && echo 2000 || echo 1000000)
lines=$("$bin/bench/proofs_bench" "$work/proofs" "$proof_leaves" "$runs" \
        "$([ "$mode" = smoke ] && echo 50 || echo 2000)" "$([ "$mode" = smoke ] && echo 500 || echo 20000)")
echo "$lines"
pl=$(grep bench=proof_gen <<<"$lines"); zl=$(grep bench=proof_size <<<"$lines")
row[proofs]="| log proofs from the stored tree ($(field leaves "$pl") events) | inclusion $(field inclusion_proofs_s "$pl") proofs/s, consistency $(field consistency_proofs_s "$pl") proofs/s | raw RocksDB Gets of as many random stored nodes ($(field hashes_per_proof "$pl") per proof): $(field raw_gets_proofs_s "$pl") proofs' worth/s | **$(field ratio_median "$pl")×** ($(field ratio_min "$pl")–$(field ratio_max "$pl")) | — | — |"
row[proofsize]="| log proof size ($(field leaves "$zl") events) | inclusion $(field inclusion_hashes "$zl") hashes, $(field inclusion_json_bytes "$zl") B JSON; consistency $(field consistency_hashes "$zl") hashes, $(field consistency_json_bytes "$zl") B JSON | — | — | O(log n) | |"
for b in 1 32; do
  tl=$(grep "bench=tree_cost events_per_batch=$b " <<<"$lines")
  row[tree$b]="| the tree's cost to the commit path, $b event(s) per synced batch | $(field with_batches_s "$tl") batches/s with the tree | the same batches without the merkle entries or the tree's CPU: $(field without_batches_s "$tl") batches/s | **$(field slowdown_pct_median "$tl")% slower** ($(field slowdown_pct_min "$tl")–$(field slowdown_pct_max "$tl")) | ≤ 5% slower | the tree's CPU: $(field tree_cpu_pct "$tl")% of the path |"
done

# 6. pit-replay verify as the auditor runs it: a process that opens the data dir, checks meta
# and the chain, rebuilds every view and compares it with the stored views; its baseline is a
# process reading every value of the events family with plain RocksDB (bench/raw_scan.cpp),
# timed in the same run, alternating.
logdir="$work/log/log"
events=$(field events "$rl")
now() { date +%s.%N; }
vsec=(); rsec=(); vratio=(); verified=yes
for r in $(seq 1 "$runs"); do
  t0=$(now); "$bin/bench/raw_scan" "$logdir" >/dev/null; t1=$(now)
  "$bin/tools/pit-replay" --data "$logdir" verify >"$work/verify.out" 2>&1 || verified=NO
  t2=$(now)
  grep -qx verified "$work/verify.out" || verified=NO
  vsec+=("$(python3 -c "print($t2 - $t1)")"); rsec+=("$(python3 -c "print($t1 - $t0)")")
  vratio+=("$(python3 -c "print(f'{($t1 - $t0) / ($t2 - $t1):.3f}')")")
  echo "pit-replay verify run $r: $(python3 -c "print(f'{$t2 - $t1:.2f}')") s; raw scan $(python3 -c "print(f'{$t1 - $t0:.2f}')") s"
done
m_v=$(printf '%s\n' "${vsec[@]}" | median); m_r=$(printf '%s\n' "${rsec[@]}" | median)
row[verify_process]="| pit-replay verify, a process ($events events: chain, meta, every view rebuilt and compared) | $(python3 -c "print(f'{$m_v:.2f} s, {$events / $m_v:.0f} events/s')") | raw RocksDB scan of the events family, a process: $(python3 -c "print(f'{$m_r:.2f} s, {$events / $m_r:.0f} events/s')") | **$(printf '%s\n' "${vratio[@]}" | median)×** ($(printf '%s\n' "${vratio[@]}" | minmax)) | ≥ 0.3× and ≥ 1M events/s | verified: $verified |"
rm -rf "$work/log"

# 7. cluster mode (bench/cluster_bench.sh: its own NATS servers and pitd nodes) ------------------
if [ "${BENCH_ONLY:-}" != replay ]; then
  bench/cluster_bench.sh "$mode" "$work/cluster-bench" "$work/cluster-rows.md"
fi

# Report ---------------------------------------------------------------------------------------
if [ "${BENCH_ONLY:-}" = replay ]; then
  for k in verify_process replay startup; do echo "${row[$k]}"; done
  exit 0
fi
{
  echo "# pitlog benchmark results"
  echo
  echo "Produced by \`bench/run.sh$([ "$mode" = smoke ] && echo ' --smoke')\` on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
  echo "Machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -sr), data on $(df -h "$work" | awk 'NR==2{print $1}')."
  echo "Ratios are pitlog ÷ baseline from the same run (higher is better); medians of $runs run(s), min–max in brackets."
  echo
  echo "| path | pitlog | baseline (same run) | ratio | target | check |"
  echo "|---|---|---|---|---|---|"
  for k in verify introspect durable1 durable8 durable32 http1 http8 http32 verify_process replay \
           startup proofs proofsize tree1 tree32; do echo "${row[$k]}"; done
  echo
  echo "## Cluster mode"
  echo
  echo "Three nats-servers (JetStream, stream R3) and three pitd nodes on loopback, all on this machine."
  echo
  echo "| path | pitlog | baseline (same run) | ratio | target | check |"
  echo "|---|---|---|---|---|---|"
  cat "$work/cluster-rows.md"
} >"$results"
echo "bench: wrote $results"
