# Helpers shared by bench/run.sh and bench/cluster_bench.sh (sourced, not run). The caller sets
# `bin` (the Release build dir) and `pids` (what its EXIT trap stops, by PID).
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }   # field NAME LINE
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else print v[int((NR+1)/2)]}'; }
minmax() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s–%s", lo, hi}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_pitd() {  # start_pitd DATA_DIR [EXTRA PITD ARGS...] -> sets pitd_pid, pitd_port
  local data="$1" log="$1.log"; shift
  : >"$log"  # the background job opens it later: reading it first must not fail (set -e)
  "$bin/src/server/pitd" --data "$data" --http 127.0.0.1:0 --rpc off "$@" >"$log" 2>&1 &
  pitd_pid=$!; pids+=("$pitd_pid")
  for _ in $(seq 1 3000); do
    pitd_port=$(sed -n 's/.*listening http 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    if [ -n "$pitd_port" ] && curl -fsS "http://127.0.0.1:$pitd_port/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pitd_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "pitd did not start; its log:" >&2; cat "$log" >&2; exit 1
}
stop_pitd() { kill -TERM "$pitd_pid"; wait "$pitd_pid" || true; }
