#!/usr/bin/env bash
# A three-server NATS cluster with JetStream and three pitd nodes on it, all on loopback, for a
# person to try cluster mode (README: "Cluster mode").
#   scripts/cluster.sh start         start what is not running (NATS servers, then pitd nodes),
#                                    wait until each is ready, print the nodes' URLs and the key
#   scripts/cluster.sh stop          stop the pitd nodes, then the servers (SIGTERM by PID, then
#                                    SIGKILL after 10 s)
#   scripts/cluster.sh status        one line per server and per node: running or not, PID, URL
#   scripts/cluster.sh kill N        kill -9 NATS server N (1-3), to watch the stream elect a leader
#   scripts/cluster.sh kill-node N   kill -9 pitd node N (1-3); `start` restarts it and it catches up
#   scripts/cluster.sh urls          the list of NATS URLs the nodes were given (--cluster)
# Everything lives under $PITLOG_CLUSTER_DIR (default build/cluster): per server its JetStream
# store, log and PID file; per node its data dir, log and PID file; the nodes' shared service key
# in service.key. Ports: NATS clients 4222-4224, routes 6222-6224, monitoring 8222-8224, or from
# $PITLOG_NATS_BASE (clients BASE+0..2, routes BASE+2000.., monitoring BASE+4000..); pitd HTTP
# 8091-8093, RPC 8191-8193, or from $PITLOG_PITD_BASE (HTTP BASE+0..2, RPC BASE+100..). The pitd
# binary is $PITD, else build/release/src/server/pitd.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${PITLOG_CLUSTER_DIR:-build/cluster}"
base="${PITLOG_NATS_BASE:-4222}"
servers=(1 2 3)
pitd_base="${PITLOG_PITD_BASE:-8091}"
pitd="${PITD:-build/release/src/server/pitd}"
nodes=(1 2 3)

client_port()  { echo $((base + $1 - 1)); }
cluster_port() { echo $((base + 2000 + $1 - 1)); }
http_port()    { echo $((base + 4000 + $1 - 1)); }
pid_file()     { echo "$dir/nats-n$1.pid"; }
running_pid() {  # the server's PID when it is running, else nothing
  local f; f="$(pid_file "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f" || true
}
urls() {
  local out=""
  for n in "${servers[@]}"; do out+="${out:+,}nats://127.0.0.1:$(client_port "$n")"; done
  echo "$out"
}

start_one() {
  local n="$1" routes=""
  [ -n "$(running_pid "$n")" ] && { echo "n$n already running"; return; }
  for m in "${servers[@]}"; do
    [ "$m" = "$n" ] || routes+="${routes:+,}nats://127.0.0.1:$(cluster_port "$m")"
  done
  mkdir -p "$dir/nats-n$n"
  nats-server -a 127.0.0.1 -p "$(client_port "$n")" -m "$(http_port "$n")" -n "n$n" \
    -js -sd "$dir/nats-n$n" --cluster_name pitlog \
    --cluster "nats://127.0.0.1:$(cluster_port "$n")" --routes "$routes" \
    >>"$dir/nats-n$n.log" 2>&1 &
  echo $! >"$(pid_file "$n")"
}

wait_ready() {  # /healthz answers 200 once JetStream has a meta leader
  local n="$1"
  for _ in $(seq 1 300); do
    if [ -z "$(running_pid "$n")" ]; then
      echo "n$n exited; its log:" >&2; tail -20 "$dir/nats-n$n.log" >&2; return 1
    fi
    curl -fs "http://127.0.0.1:$(http_port "$n")/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "n$n not ready after 30 s; see $dir/nats-n$n.log" >&2
  return 1
}

stop_one() {
  local n="$1" pid; pid="$(running_pid "$n")"
  if [ -n "$pid" ]; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$(pid_file "$n")"
}

# --- pitd nodes ---------------------------------------------------------------------------------
node_http_port() { echo $((pitd_base + $1 - 1)); }
node_rpc_port()  { echo $((pitd_base + 100 + $1 - 1)); }
node_pid_file()  { echo "$dir/pitd-$1.pid"; }
node_pid() {
  local f; f="$(node_pid_file "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f" || true
}
node_urls() {  # node N's own NATS server first, then the others
  local out="" m
  for k in 0 1 2; do
    m=$(( ($1 - 1 + k) % 3 + 1 ))
    out+="${out:+,}nats://127.0.0.1:$(client_port "$m")"
  done
  echo "$out"
}

service_key() {  # created once, shared by the three nodes (mode 0600)
  local f="$dir/service.key"
  if [ ! -s "$f" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"; echo >>"$f")
  fi
  echo "$f"
}

start_node() {
  local n="$1"
  [ -n "$(node_pid "$n")" ] && { echo "node$n already running"; return; }
  mkdir -p "$dir/pitd-$n"
  "$pitd" --data "$dir/pitd-$n/data" --http "127.0.0.1:$(node_http_port "$n")" \
    --rpc "127.0.0.1:$(node_rpc_port "$n")" --service-keys "$(service_key)" \
    --cluster "$(node_urls "$n")" --node-name "node$n" >>"$dir/pitd-$n.log" 2>&1 &
  echo $! >"$(node_pid_file "$n")"
}

wait_node() {  # /healthz answers 200 once the node has joined the stream and caught up
  local n="$1"
  for _ in $(seq 1 600); do
    if [ -z "$(node_pid "$n")" ]; then
      echo "node$n exited; its log:" >&2; tail -20 "$dir/pitd-$n.log" >&2; return 1
    fi
    curl -fs "http://127.0.0.1:$(node_http_port "$n")/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "node$n not ready after 60 s; see $dir/pitd-$n.log" >&2
  return 1
}

stop_node() {
  local n="$1" pid; pid="$(node_pid "$n")"
  if [ -n "$pid" ]; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$(node_pid_file "$n")"
}

case "${1:-}" in
  start)
    command -v nats-server >/dev/null || { echo "nats-server is missing: scripts/setup.sh" >&2; exit 1; }
    [ -x "$pitd" ] || { echo "no pitd at $pitd: build it (scripts/setup.sh release) or set PITD" >&2; exit 1; }
    mkdir -p "$dir"
    for n in "${servers[@]}"; do start_one "$n"; done
    for n in "${servers[@]}"; do wait_ready "$n"; done
    echo "NATS cluster ready: $(urls)"
    for n in "${nodes[@]}"; do start_node "$n"; done
    for n in "${nodes[@]}"; do wait_node "$n"; done
    for n in "${nodes[@]}"; do
      echo "node$n ready: http://127.0.0.1:$(node_http_port "$n") (rpc 127.0.0.1:$(node_rpc_port "$n"), log $dir/pitd-$n.log)"
    done
    echo "service key (send it as 'Authorization: Bearer <key>'): $(service_key)" ;;
  stop)
    for n in "${nodes[@]}"; do stop_node "$n"; done
    for n in "${servers[@]}"; do stop_one "$n"; done ;;
  status)
    for n in "${servers[@]}"; do
      pid="$(running_pid "$n")"
      state="stopped"; [ -n "$pid" ] && state="running, pid $pid"
      echo "n$n $state nats://127.0.0.1:$(client_port "$n")"
    done
    for n in "${nodes[@]}"; do
      pid="$(node_pid "$n")"
      state="stopped"; [ -n "$pid" ] && state="running, pid $pid"
      echo "node$n $state http://127.0.0.1:$(node_http_port "$n")"
    done ;;
  kill-node)
    n="${2:?usage: scripts/cluster.sh kill-node N}"
    pid="$(node_pid "$n")"
    [ -n "$pid" ] || { echo "node$n is not running" >&2; exit 1; }
    kill -KILL "$pid"; rm -f "$(node_pid_file "$n")"; echo "killed node$n (pid $pid)" ;;
  kill)
    n="${2:?usage: scripts/cluster.sh kill N}"
    pid="$(running_pid "$n")"
    [ -n "$pid" ] || { echo "n$n is not running" >&2; exit 1; }
    kill -KILL "$pid"; rm -f "$(pid_file "$n")"; echo "killed n$n (pid $pid)" ;;
  urls) urls ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
