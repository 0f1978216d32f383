#!/usr/bin/env bash
# A three-server NATS cluster with JetStream on loopback, for a person to try cluster mode.
#   scripts/cluster.sh start     start the servers that are not running, wait until each is ready
#   scripts/cluster.sh stop      stop every server (SIGTERM by PID, then SIGKILL after 10 s)
#   scripts/cluster.sh status    one line per server: running or not, its PID and URL
#   scripts/cluster.sh kill N    kill -9 server N (1-3), to watch the stream elect a new leader
#   scripts/cluster.sh urls      the list of URLs to give pitd (--cluster)
# Everything lives under $PITLOG_CLUSTER_DIR (default build/cluster): per server its JetStream
# store, log and PID file. Ports: clients 4222-4224, routes 6222-6224, monitoring 8222-8224, or
# from $PITLOG_NATS_BASE (clients BASE+0..2, routes BASE+2000.., monitoring BASE+4000..).
# The pitd nodes join here once pitd takes --cluster (README: "Cluster mode (in progress)").
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${PITLOG_CLUSTER_DIR:-build/cluster}"
base="${PITLOG_NATS_BASE:-4222}"
servers=(1 2 3)

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

case "${1:-}" in
  start)
    command -v nats-server >/dev/null || { echo "nats-server is missing: scripts/setup.sh" >&2; exit 1; }
    mkdir -p "$dir"
    for n in "${servers[@]}"; do start_one "$n"; done
    for n in "${servers[@]}"; do wait_ready "$n"; done
    echo "NATS cluster ready: $(urls)" ;;
  stop)
    for n in "${servers[@]}"; do stop_one "$n"; done ;;
  status)
    for n in "${servers[@]}"; do
      pid="$(running_pid "$n")"
      state="stopped"; [ -n "$pid" ] && state="running, pid $pid"
      echo "n$n $state nats://127.0.0.1:$(client_port "$n")"
    done ;;
  kill)
    n="${2:?usage: scripts/cluster.sh kill N}"
    pid="$(running_pid "$n")"
    [ -n "$pid" ] || { echo "n$n is not running" >&2; exit 1; }
    kill -KILL "$pid"; rm -f "$(pid_file "$n")"; echo "killed n$n (pid $pid)" ;;
  urls) urls ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
