#!/usr/bin/env bash
# Sets up (packages + Release build) and runs pitd on ./data (extra arguments go to pitd).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
mkdir -p data
exec build/release/src/server/pitd --data data "$@"
