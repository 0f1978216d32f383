#!/usr/bin/env bash
# The README's auditor how-to ("Log proofs"), run as it is written there against a fresh pitd:
# the three shell blocks are cut out of README.md at their markers and run with $PITLOG, $KEY
# and the data dir set, so the how-to cannot drift from what pitd and pit-replay do. Then the
# independent verifier (verify_proofs.py, no code shared with pitlog) checks what the tools
# printed offline (checkpoint --sign, prove), and a proof altered by one bit fails in both.
#
#   auditor_howto_test.sh PITD PIT_REPLAY README.md VERIFY_PROOFS.py PYTHON [CLUSTER_SH]
#
# With CLUSTER_SH (scripts/cluster.sh) the same steps run against node 2 of a three-node cluster
# on three NATS servers, which that script starts on free loopback ports under the test's temp
# dir: the auditor's flow works on a cluster node, and the operator's block runs on that node's
# data dir.
set -euo pipefail
pitd=$(realpath "$1") pit_replay=$(realpath "$2") readme=$(realpath "$3")
verifier=$(realpath "$4") python=$5
cluster_sh=${6:+$(realpath "$6")}

work=$(mktemp -d)
pid=
cluster_started=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$cluster_started" ]; then "$cluster_sh" stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/bin" "$work/auditor"
ln -s "$pit_replay" "$work/bin/pit-replay"
export PATH="$work/bin:$PATH"
export KEY

start_single() {  # one pitd on a fresh data dir
  data="$work/data"
  "$pitd" --data "$data" --http 127.0.0.1:0 --rpc off > "$work/pitd.log" 2>&1 &
  pid=$!
  local port=
  for _ in $(seq 300); do
    port=$(grep -oE 'listening http [^ ]*:[0-9]+' "$work/pitd.log" | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "pitd exited: $(cat "$work/pitd.log")"
    sleep 0.1
  done
  [ -n "$port" ] || fail "pitd did not listen"
  export PITLOG="http://127.0.0.1:$port"
  writer=$PITLOG
  KEY=$(head -1 "$data/service.key")
}

start_cluster() {  # scripts/cluster.sh's three servers and nodes; the auditor talks to node 2
  export PITLOG_CLUSTER_DIR="$work/cluster" PITD="$pitd"
  # Port bases whose every port is free now (cluster.sh uses NATS base+0..2, +2000.., +4000..;
  # pitd base+0..2, +100..): picked at random, so that parallel tests rarely meet.
  read -r PITLOG_NATS_BASE PITLOG_PITD_BASE < <("$python" - <<'PY'
import random, socket
def free(ports):
    for p in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True
def pick(lo, hi, offsets):
    while True:
        b = random.randrange(lo, hi)
        if free([b + o + i for o in offsets for i in range(3)]):
            return b
print(pick(20000, 30000, (0, 2000, 4000)), pick(40000, 50000, (0, 100)))
PY
)
  export PITLOG_NATS_BASE PITLOG_PITD_BASE
  cluster_started=1
  "$cluster_sh" start > "$work/cluster.log" 2>&1 || fail "cluster.sh start: $(cat "$work/cluster.log")"
  export PITLOG="http://127.0.0.1:$((PITLOG_PITD_BASE + 1))"
  writer="http://127.0.0.1:$PITLOG_PITD_BASE"  # the events are written through node 1
  KEY=$(head -1 "$PITLOG_CLUSTER_DIR/service.key")
  data="$PITLOG_CLUSTER_DIR/pitd-2/data"
  curl -sf "$PITLOG/healthz" | jq -e '.cluster.node == "node2"' > /dev/null ||
    fail "node 2 is not a cluster node: $(curl -s "$PITLOG/healthz")"
}

stop_pitd() {  # SIGTERM, so that the data dir is complete for the offline steps
  if [ -n "$cluster_started" ]; then
    "$cluster_sh" stop > /dev/null
    cluster_started=
  else
    kill -TERM "$pid"; wait "$pid" || true; pid=
  fi
}

if [ -n "$cluster_sh" ]; then start_cluster; else start_single; fi

create() {  # create NAME: an integration of account acme (its token is not kept or printed)
  curl -sf -o /dev/null -H "Authorization: Bearer $KEY" -H 'X-Actor-User: alice' \
    -H 'X-Actor-Role: admin' -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"scopes\":[\"contacts.readonly\"]}" "$writer/v1/accounts/acme/integrations"
}
applied() {  # applied N: waits (30 s at most) until the auditor's pitd has applied event N
  for _ in $(seq 300); do
    [ "$(curl -s -H "Authorization: Bearer $KEY" -H 'X-Actor-User: alice' -H 'X-Actor-Role: admin' \
        -o /dev/null -w '%{http_code}' -H "X-Pitlog-Min-Position: $1" \
        "$PITLOG/v1/accounts/acme/integrations")" = 200 ] && return 0
    sleep 0.1
  done
  fail "$PITLOG has not applied event $1"
}

# A README block: the fenced sh block after <!-- auditor-howto:NAME -->, the data dir put in.
block() {
  awk -v m="<!-- auditor-howto:$1 -->" '$0 == m {f = 1; next} f && /^```sh/ {g = 1; next}
      g && /^```/ {exit} g {print}' "$readme" | sed "s#/var/lib/pitlog#$data#g"
}
run_block() {  # run_block NAME: runs it in the auditor's directory, prints its output
  local script
  script=$(block "$1")
  [ -n "$script" ] || fail "README.md has no block auditor-howto:$1"
  (cd "$work/auditor" && bash -euo pipefail -c "$script") || fail "block $1 failed"
}

for name in "CRM sync" "Billing" "Mailer"; do create "$name"; done
applied 3

out=$(run_block monthly)
echo "$out"
grep -q '^checkpoint: ok: pitlog/pitd, tree size 3, root ' <<< "$out" || fail "monthly: $out"

out=$(run_block operator)
echo "$out"
grep -q '^checkpoint: ok: pitlog/pitd, tree size 3, ' <<< "$out" || fail "operator: $out"
cmp -s "$work/auditor/checkpoint-operator.txt" "$work/auditor/checkpoint-2026-11.txt" ||
  fail "pit-replay checkpoint --sign differs from pitd's checkpoint of the same tree"

for name in "Zapier" "Slack"; do create "$name"; done
applied 5
out=$(run_block later)
echo "$out"
[ "$(grep -c '^ok: ' <<< "$out")" = 2 ] || fail "later: $out"
grep -q '^ok: the log of 5 events (root [0-9a-f]*) extends the checkpoint of 3 events' <<< "$out" ||
  fail "later: consistency: $out"
grep -q '^ok: event 1 (hash ' <<< "$out" || fail "later: inclusion: $out"

# What the tools print offline, on the stopped data dir, checked by the independent verifier.
stop_pitd
cd "$work/auditor"
pit-replay --data "$data" checkpoint --sign "$data/log-signing.key" > tool-now.txt
cmp -s tool-now.txt now.txt || fail "pit-replay checkpoint --sign differs from pitd's"
pit-replay --data "$data" prove --seq 1 --tree-size 5 > tool-inclusion.json
pit-replay --data "$data" prove --from 3 --to 5 > tool-consistency.json
[ "$(jq -c . tool-inclusion.json)" = "$(jq -c . inclusion.json)" ] || fail "prove --seq differs from pitd's"
[ "$(jq -c . tool-consistency.json)" = "$(jq -c . consistency.json)" ] || fail "prove --from differs"

"$python" - "$verifier" <<'PY'
import copy, json, subprocess, sys
def read(name):
    with open(name, encoding="utf-8") as f:
        return f.read()
inc, con, event = (json.loads(read(n)) for n in ("tool-inclusion.json", "tool-consistency.json", "event.json"))
bundle = {"verifierKey": read("pitlog.pub").split("\n")[0],
          "oldCheckpoint": read("checkpoint-operator.txt"), "checkpoint": read("tool-now.txt"),
          "inclusion": dict(inc, eventHash=event["hash"]), "consistency": con}
bad = copy.deepcopy(bundle)
h = bad["inclusion"]["hashes"][0]
bad["inclusion"]["hashes"][0] = ("1" if h[0] == "0" else "0") + h[1:]
json.dump(bundle, open("bundle.json", "w"))
json.dump(bad, open("bad-bundle.json", "w"))
json.dump({k: v for k, v in bad["inclusion"].items() if k != "eventHash"}, open("bad-inclusion.json", "w"))
for name, want in (("bundle.json", 0), ("bad-bundle.json", 1)):
    r = subprocess.run([sys.executable, sys.argv[1], name], capture_output=True, text=True)
    print("verify_proofs.py", name + ":", r.stdout.strip())
    if r.returncode != want:
        sys.exit("the independent verifier answered %d for %s" % (r.returncode, name))
PY
if pit-replay verify-proof --key pitlog.pub --checkpoint tool-now.txt --proof bad-inclusion.json \
    --event event.json > bad.out; then
  fail "verify-proof accepted a proof the independent verifier refused"
fi
cat bad.out
grep -q '^FAILED: inclusion of event 1 (leaf hash [0-9a-f]*): the proof leads to root ' bad.out ||
  fail "verify-proof's message: $(cat bad.out)"
echo "auditor how-to: ok"
