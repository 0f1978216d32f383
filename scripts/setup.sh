#!/usr/bin/env bash
# Installs the Debian 12 packages pitlog builds with (skipping those present) and builds it.
#   scripts/setup.sh [release|asan|all]   (default: release)
# Build trees: build/release (RelWithDebInfo-free Release) and build/asan (Debug + ASan/UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config capnproto libcapnp-dev librocksdb-dev
          libboost-program-options-dev libspdlog-dev catch2 libssl-dev zlib1g-dev curl
          apache2 libapache2-mod-auth-openidc  # the gateway test
          nats-server libnats-dev              # cluster mode
          python3-cryptography jq              # the independent verifier, the auditor how-to test
          chromium                             # the console's browser tests (Playwright)
          faketime)                            # ... and pitd's wall clock moved in some of them
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# The console's browser tests: Playwright and axe from npm (tests/console/package-lock.json),
# driving the chromium installed above; no browser is downloaded. Building pitd needs none of it.
if command -v npm >/dev/null; then
  (cd tests/console && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
else
  echo "setup: npm not found: the console's browser tests (ctest -L console) will be skipped"
fi

jobs=$(nproc)
build() {  # build NAME CMAKE_ARGS...
  local dir="build/$1"; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}
case "${1:-release}" in
  release) build release -DCMAKE_BUILD_TYPE=Release ;;
  asan)    build asan -DCMAKE_BUILD_TYPE=Debug -DPITLOG_SANITIZE=ON -DPITLOG_BENCH=OFF -DPITLOG_CAMPAIGNS=OFF ;;
  all)     build release -DCMAKE_BUILD_TYPE=Release
           build asan -DCMAKE_BUILD_TYPE=Debug -DPITLOG_SANITIZE=ON -DPITLOG_BENCH=OFF -DPITLOG_CAMPAIGNS=OFF ;;
  *) echo "usage: scripts/setup.sh [release|asan|all]" >&2; exit 2 ;;
esac
