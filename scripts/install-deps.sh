#!/usr/bin/env bash
# Installs the Debian 12 packages actorchat needs (as root, or via sudo).
#   scripts/install-deps.sh          build and run the server
#   scripts/install-deps.sh --test   also Catch2, Chromium, Node.js,
#                                    playwright-core, clang-format and
#                                    ShellCheck (for scripts/check-drift.sh)
#   scripts/install-deps.sh --fuzz   also clang with libFuzzer and ICU (for
#                                    scripts/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make ccache libcaf-dev libboost1.81-dev nlohmann-json3-dev
  liburing-dev libssl-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(catch2 chromium clang-format shellcheck)
  command -v node >/dev/null && command -v npm >/dev/null ||
    packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev libicu-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
  # The browser test drives Debian's Chromium; no browser download.
  (cd test/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
