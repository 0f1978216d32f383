#!/usr/bin/env bash
# Campaign 1 of issue #5: SIGKILL pitd at random moments under concurrent HTTP commands, restart it,
# and check the log and every issued token against an independent model (see crash/).
#   tests/campaigns/crash.sh [--long] [--cycles N] [extra crash_campaign options]
# Short form: 20 kill/restart cycles (CI). --long: 500 cycles. Binaries come from
# ${PITLOG_BUILD_DIR:-build/release}, built first (a no-op when up to date). Exits non-zero on any
# failure; the last line is `FIGURES {json}`, also written to $PITLOG_FIGURES_DIR/crash.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir="${PITLOG_BUILD_DIR:-build/release}"

cycles=20
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --long) cycles=500 ;;
    --cycles) cycles="$2"; shift ;;
    --cycles=*) cycles="${1#--cycles=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done

if ! build_output=$(cmake --build "$build_dir" --target crash_campaign 2>&1); then
  echo "$build_output" >&2
  exit 1
fi
exec "$build_dir/tests/campaigns/crash/crash_campaign" --cycles "$cycles" "${args[@]}"
