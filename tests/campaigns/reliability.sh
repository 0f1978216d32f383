#!/usr/bin/env bash
# Runs every reliability campaign of issue #5 and writes RELIABILITY.md from the figures each one
# prints (its last line, `FIGURES {json}`).
#   tests/campaigns/reliability.sh            short forms (what CI runs), figures to stdout only
#   tests/campaigns/reliability.sh --long     long forms; rewrites RELIABILITY.md
# Options for a shorter long run (the table says which were used):
#   --fuzz-seconds N (default 300 per target with --long, 30 without)
#   --soak-seconds N (default 1800 with --long, 60 without)
#   --crash-cycles N (default 500 with --long, 20 without)
# Needs the Release build (scripts/setup.sh); builds build/tsan and build/fuzz itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

long=false; fuzz_seconds=""; soak_seconds=""; crash_cycles=""
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=true ;;
    --fuzz-seconds) fuzz_seconds="$2"; shift ;;
    --soak-seconds) soak_seconds="$2"; shift ;;
    --crash-cycles) crash_cycles="$2"; shift ;;
    *) echo "usage: $0 [--long] [--fuzz-seconds N] [--soak-seconds N] [--crash-cycles N]" >&2; exit 2 ;;
  esac
  shift
done
$long && : "${fuzz_seconds:=300}" "${soak_seconds:=1800}" "${crash_cycles:=500}"
: "${fuzz_seconds:=30}" "${soak_seconds:=60}" "${crash_cycles:=20}"
form=(); $long && form=(--long)

command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
export PITLOG_FIGURES_DIR; PITLOG_FIGURES_DIR=$(mktemp -d)
trap 'rm -rf "$PITLOG_FIGURES_DIR"' EXIT
started=$(date +%s)
failed=()
run() {  # run NAME COMMAND...: a campaign's failure is recorded, the others still run
  local name="$1"; shift
  echo "== $name: $*"
  local t0; t0=$(date +%s)
  if "$@"; then echo "== $name: passed in $(( $(date +%s) - t0 )) s"; else failed+=("$name"); echo "== $name: FAILED"; fi
}

run crash tests/campaigns/crash.sh "${form[@]}" --cycles "$crash_cycles"
run faults tests/campaigns/faults.sh "${form[@]}"
run soak tests/campaigns/soak.sh "${form[@]}" --seconds "$soak_seconds"
run fuzz bash -c "scripts/fuzz.sh $fuzz_seconds | tee $PITLOG_FIGURES_DIR/fuzz.txt"
run catalogue bash -c "build/release/tests/server/pitlog_server_e2e_tests '[catalogue]' 2>&1 | tee $PITLOG_FIGURES_DIR/catalogue.txt | tail -5"
run connections bash -c "{ build/release/tests/server/pitlog_server_e2e_tests '[connections]'; build/release/tests/server/rpc/pitlog_rpc_tests '[connections]'; } 2>&1 | tee $PITLOG_FIGURES_DIR/connections.txt | tail -5"
run tsan bash -c "scripts/tsan.sh 2>&1 | tee $PITLOG_FIGURES_DIR/tsan.txt | tail -5"

fig() { jq -r "$2 // \"?\"" "$PITLOG_FIGURES_DIR/$1.json" 2>/dev/null || echo "?"; }
verdict() { [[ " ${failed[*]:-} " == *" $1 "* ]] && echo "**FAILED**" || echo "passed"; }

if $long; then
  {
    echo "# Reliability figures"
    echo
    echo "Produced by \`tests/campaigns/reliability.sh --long --fuzz-seconds $fuzz_seconds --soak-seconds $soak_seconds --crash-cycles $crash_cycles\`"
    echo "on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD): $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM,"
    echo "$(. /etc/os-release; echo "$PRETTY_NAME"); $(( ($(date +%s) - started) / 60 )) minutes in all. Rerun that command to reproduce."
    echo "What each campaign does is described at the top of its script in \`tests/campaigns/\`."
    echo
    echo "| campaign | what was done | outcome | data lost / findings |"
    echo "|---|---|---|---|"
    echo "| crash (SIGKILL under concurrent HTTP load) | $(fig crash .cycles) kill/restart cycles, $(fig crash .commands_sent) commands sent, $(fig crash .acknowledged) acknowledged, $(fig crash .tokens_checked) token introspections checked against the model | $(verdict crash); pit-replay verify failures: $(fig crash .verify_failures); duplicated events: $(fig crash .duplicated); tokens found on disk or in logs: $(fig crash .token_leaks) | lost acknowledged commands: **$(fig crash .lost)** |"
    echo "| storage faults (full and read-only filesystem, fsync EIO) | $(fig faults .episodes_enospc) disk-full, $(fig faults .episodes_readonly) read-only and $(fig faults .episodes_fsync_eio) fsync-EIO episodes; $(fig faults .commands_503) commands answered 503 ($(fig faults .commands_503_maybe_applied) 'may have been applied'), $(fig faults .commands_acknowledged) acknowledged; $(fig faults .introspections_during_fault) introspections during faults; $(fig faults .startup_refusals_checked) startup refusals | $(verdict faults); recovered without restart: $(fig faults .recovered_without_restart); introspection errors: $(fig faults .introspection_errors); half-written: $(fig faults .half_written) | lost: **$(fig faults .lost)** |"
    echo "| memory = replay of the log after every storage fault episode | $(fig faults .memory_checks) checks, $(fig faults .tokens_compared) token introspections compared with \`pit-replay as-of\`; $(fig faults .deletes_retried_after_fsync_fault) keyed DELETEs whose fsync failed, retried during and after the fault | $(verdict faults) | mismatches: **$(fig faults .memory_mismatches)** |"
    echo "| soak (introspection + command trickle) | $(fig soak .seconds) s, $(fig soak .introspections) introspections ($(fig soak .introspections_per_s)/s), $(fig soak .commands) commands | $(verdict soak); errors: $(fig soak .errors), wrong answers: $(fig soak .wrong_answers); RSS $(fig soak .rss_start_kib) KiB at start, $(fig soak .rss_end_kib) KiB at end, peak $(fig soak .rss_peak_kib) KiB | — |"
    while read -r _ target secs runs rate corpus verdict_text; do
      echo "| fuzz: \`$target\` (libFuzzer, ASan+UBSan) | $secs, ${runs#runs=} executions (${rate#exec/s=}/s), corpus ${corpus#corpus=} | $(verdict fuzz) | $verdict_text |"
    done < <(grep '^fuzz: ' "$PITLOG_FIGURES_DIR/fuzz.txt" || true)
    echo "| hostile-input catalogue (\`[catalogue]\` tests) | $(grep -o 'hostile catalogue: .*' "$PITLOG_FIGURES_DIR/catalogue.txt" | head -1 || echo '?') | $(verdict catalogue) | $(grep -E '^(All tests passed|test cases:)' "$PITLOG_FIGURES_DIR/catalogue.txt" | tail -1) |"
    echo "| connections (\`[connections]\` tests, both ports) | $(grep '^connections: ' "$PITLOG_FIGURES_DIR/connections.txt" | sed 's/^connections: //' | paste -sd ';' - | sed 's/;/; /g') | $(verdict connections) | $(grep -E '^(All tests passed|test cases:)' "$PITLOG_FIGURES_DIR/connections.txt" | paste -sd ' ' -) |"
    echo "| ThreadSanitizer (pitd + concurrent tests) | $(grep -E 'tests passed|tests failed' "$PITLOG_FIGURES_DIR/tsan.txt" | tail -1) | $(verdict tsan) | data races reported: $(grep -c 'WARNING: ThreadSanitizer' "$PITLOG_FIGURES_DIR/tsan.txt" || true) |"
  } > RELIABILITY.md
  echo "wrote RELIABILITY.md"
fi
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}"; exit 1; fi
echo "all campaigns passed"
