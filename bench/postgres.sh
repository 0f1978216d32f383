#!/usr/bin/env bash
# The PostgreSQL baselines of bench/run.sh, in a throwaway cluster on this machine's disk:
#   insert: one durable single-row INSERT per transaction (synchronous_commit=on, fsync=on), what
#           a token service on PostgreSQL does per create; at each client count given.
#   select: the lookup of a token by its SHA-256 digest among ROWS rows (primary key), at 50
#           clients, what such a service does per verification.
#   bench/postgres.sh WORK_DIR ROWS SECONDS CLIENTS,... [RUNS=1]
# Prints one line per measurement and run (bench=pg_insert clients=N tps=X latency_ms=Y, then
# bench=pg_select ...). The cluster listens on a free loopback port and a socket in WORK_DIR, and
# is stopped and deleted at exit. PostgreSQL refuses to run as root: as root it runs as the
# `postgres` user that Debian's package creates.
set -euo pipefail
work=$1 rows=$2 seconds=$3 clients=$4 runs=${5:-1}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed" >&2; exit 3; }

dir="$work/postgres"
rm -rf "$dir"
mkdir -p "$dir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_owner[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U bench >"$dir/initdb.log"
stop() {
  "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
   -c max_connections=120 -c shared_buffers=256MB" >/dev/null
psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench -d postgres)
"${psql[@]}" <<SQL
CREATE TABLE tokens (digest bytea PRIMARY KEY, integration text NOT NULL, account text NOT NULL,
                     scopes text NOT NULL);
INSERT INTO tokens SELECT sha256(int4send(i)), 'int-' || i, 'acct-' || (i % 16),
                          'contacts.readonly contacts.write' FROM generate_series(1, $rows) i;
CREATE TABLE integrations (id bigserial PRIMARY KEY, account text NOT NULL, name text NOT NULL,
                           digest bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
VACUUM ANALYZE;
SQL
cat >"$dir/insert.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO integrations (account, name, digest) VALUES ('acct-' || (:n % 16), 'app ' || :n, sha256(int8send(:n)));
SQL
cat >"$dir/select.sql" <<SQL
\set i random(1, $rows)
SELECT integration, account, scopes FROM tokens WHERE digest = sha256(int4send(:i));
SQL
pgbench=(pgbench -n -h 127.0.0.1 -p "$port" -U bench -T "$seconds")
measure() {  # measure NAME SCRIPT CLIENTS
  local out tps latency
  out=$("${pgbench[@]}" -f "$2" -c "$3" -j "$(( $3 < 2 ? 1 : 2 ))" postgres 2>&1)
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  latency=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' <<<"$out")
  [ -n "$tps" ] || { echo "postgres.sh: pgbench failed: $out" >&2; exit 1; }
  printf "bench=%s clients=%s tps=%.0f latency_ms=%s\n" "$1" "$3" "$tps" "$latency"
}
for _ in $(seq 1 "$runs"); do
  for c in ${clients//,/ }; do measure pg_insert "$dir/insert.sql" "$c"; done
  measure pg_select "$dir/select.sql" 50
done
