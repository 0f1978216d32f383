#!/usr/bin/env bash
# Runs the console's browser suite against the pitd given as $1 (exit 77: skipped, naming why).
set -euo pipefail
cd "$(dirname "$0")"
command -v npx >/dev/null || { echo "skipped: Node.js (npx) not found"; exit 77; }
[ -d node_modules/@playwright/test ] || { echo "skipped: run 'PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci' in tests/console"; exit 77; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "skipped: chromium not found"; exit 77; }
PITD="$1" exec npx playwright test
