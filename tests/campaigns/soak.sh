#!/usr/bin/env bash
# Campaign 7 of issue #5: introspection soak on keep-alive connections with a steady trickle of
# commands, every answer checked, pitd's RSS sampled (see soak/).
#   tests/campaigns/soak.sh [--long] [--seconds N] [extra soak_campaign options]
# Short form: 60 s (CI). --long: 1800 s. Binaries come from ${PITLOG_BUILD_DIR:-build/release},
# built first (a no-op when up to date). Exits non-zero on any error, wrong answer or unbounded
# memory; the last line is `FIGURES {json}`, also written to $PITLOG_FIGURES_DIR/soak.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir="${PITLOG_BUILD_DIR:-build/release}"

seconds=60
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --long) seconds=1800 ;;
    --seconds) seconds="$2"; shift ;;
    --seconds=*) seconds="${1#--seconds=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done

if ! build_output=$(cmake --build "$build_dir" --target soak_campaign 2>&1); then
  echo "$build_output" >&2
  exit 1
fi
exec "$build_dir/tests/campaigns/soak/soak_campaign" --seconds "$seconds" "${args[@]}"
