#!/usr/bin/env bash
# Runs the console's browser suite against the pitd given as $1 (exit 77: skipped, naming why).
set -euo pipefail
cd "$(dirname "$0")"
# In CI the set-up installs all of it: a missing piece there is a failure, never a skip.
skip() { echo "skipped: $1"; if [ "${CI:-}" = true ]; then exit 1; fi; exit 77; }
command -v npx >/dev/null || skip "Node.js (npx) not found"
[ -d node_modules/@playwright/test ] || skip "run 'PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci' in tests/console"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium not found"
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] || skip "libfaketime not found (Debian's faketime package)"
PITD="$1" exec npx playwright test
