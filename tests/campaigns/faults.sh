#!/usr/bin/env bash
# Campaign 2 of issue #5, storage faults: the real pitd on a small tmpfs while it fills up, while
# it turns read-only and while fsync fails with EIO, under a load of commands. Commands must
# answer 503 `unavailable`, introspection and reads must go on from memory, nothing half-written
# may reach the log, the same pitd must take commands again once the fault is gone, and after
# every episode memory must equal a replay of the log (every token ever issued, introspected and
# compared with `pit-replay as-of`). Then pitd's start-up refusals (newer schema, missing column
# family, a second pitd on the lock) are checked on the real binary.
#
#   tests/campaigns/faults.sh          short form for CI (6 episodes, 2 of each kind, 2 clients)
#   tests/campaigns/faults.sh --long   51 episodes under 4 concurrent clients (a few minutes)
#
# Binaries come from ${PITLOG_BUILD_DIR:-build/release} (built here first). The last line is
# `FIGURES {json}`; with PITLOG_FIGURES_DIR set it is also written to $PITLOG_FIGURES_DIR/faults.json.
# Mounting needs root, or a user namespace (`unshare --user --map-root-user --mount`); with
# neither, it prints SKIPPED and exits 0 with "skipped": true in the figures.
set -euo pipefail

long=0
case "${1:-}" in
  --long) long=1 ;;
  "") ;;
  *) echo "usage: $0 [--long]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PITLOG_BUILD_DIR:-build/release}
[[ "$build" = /* ]] || build="$root/$build"

figures() {  # the figures line, also written to $PITLOG_FIGURES_DIR/faults.json
  if [[ -n "${PITLOG_FIGURES_DIR:-}" ]]; then
    mkdir -p "$PITLOG_FIGURES_DIR"
    echo "$1" > "$PITLOG_FIGURES_DIR/faults.json"
  fi
  echo "FIGURES $1"
}

if [[ -z "${PITLOG_FAULTS_INNER:-}" ]]; then
  buildlog=$(mktemp /tmp/pitlog-faults-build.XXXXXX)
  if ! cmake --build "$build" --target pitlog_faults_campaign pitlog_faults_shim pitd \
      pit-replay > "$buildlog" 2>&1; then
    cat "$buildlog" >&2; rm -f "$buildlog"; exit 1
  fi
  rm -f "$buildlog"
  # Mounting a tmpfs needs root; a user namespace gives a non-root CI the same.
  probe=$(mktemp -d /tmp/pitlog-faults-probe.XXXXXX)
  if mount -t tmpfs -o size=1m tmpfs "$probe" 2>/dev/null; then
    umount "$probe"; rmdir "$probe"
    export PITLOG_FAULTS_INNER=direct
    exec "$0" "$@"
  fi
  rmdir "$probe"
  if unshare --user --map-root-user --mount true 2>/dev/null; then
    export PITLOG_FAULTS_INNER=unshare
    exec unshare --user --map-root-user --mount "$0" "$@"
  fi
  echo "SKIPPED: cannot mount a tmpfs (not root, and no user namespaces)"
  figures '{"campaign":"faults","skipped":true,"episodes_enospc":0,"episodes_readonly":0,"episodes_fsync_eio":0,"seconds":0}'
  exit 0
fi

work=$(mktemp -d /tmp/pitlog-faults.XXXXXX)
mnt="$work/mnt"
mkdir -p "$mnt"
cleanup() {
  umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if (( long )); then episodes=51 workers=4; else episodes=6 workers=2; fi
# Smaller than the ~140 MB RocksDB preallocates for a WAL at the campaign's --storage-memory 1024
# (1.1 write buffers of 128 MiB; faults_campaign.cpp): the preallocation then fails (a tmpfs
# gives all or nothing), so the WAL meets the full disk at once instead of writing into pages it
# had reserved, which would hide the fault for the next 140 MB of commands.
mount -t tmpfs -o size=64m tmpfs "$mnt"

args=(--pit-replay "$build/tools/pit-replay" --mount "$mnt" --work "$work"
      --shim "$build/tests/campaigns/faults/libpitlog_faults_shim.so"
      --episodes "$episodes" --workers "$workers" --figures "$work/figures.json")
status=0
"$build/tests/campaigns/faults/pitlog_faults_campaign" "${args[@]}" > "$work/out.txt" 2>&1 || status=$?
grep -v '^FIGURES ' "$work/out.txt" || true
if (( status != 0 )); then
  echo "faults campaign FAILED (exit $status); pitd's log, last lines:" >&2
  tail -n 20 "$work/pitd.log" | sed 's/pit_[0-9A-Za-z]\{49\}/pit_<redacted>/g' >&2 || true
fi
if [[ -s "$work/figures.json" ]]; then
  figures "$(cat "$work/figures.json")"
else
  figures '{"campaign":"faults","skipped":false,"failed":true}'
fi
exit "$status"
