#!/usr/bin/env bash
# Fast checks that need no build (seconds): C++ formatted by .clang-format,
# shell scripts clean under shellcheck, and actors/ free of Boost and net/.
# .ci/run runs it first; run it alone before a commit.
# Installs clang-format and shellcheck if missing (install-deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null || ! command -v shellcheck >/dev/null; then
  scripts/install-deps.sh --test
fi
failed=0

# Our C++ sources, new files included; no build trees, no node_modules.
mapfile -t sources < <(find actors net test bench \
  \( -name node_modules -o -name 'build*' \) -prune -o \
  -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print | sort)
if ! clang-format --dry-run -Werror "${sources[@]}"; then
  echo "check-drift: format with: clang-format -i FILE..." >&2
  failed=1
fi

mapfile -t scripts < <(find scripts bench -maxdepth 1 -name '*.sh' | sort)
if ! shellcheck "${scripts[@]}" .ci/run; then
  failed=1
fi

# actors/ is the part of the server without I/O: CAF and the standard
# library (and nlohmann/json) only, so it builds and tests without Asio.
if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](boost/|net/)' \
  actors/*.cpp actors/*.hpp; then
  echo "check-drift: actors/ must not include Boost or net/ headers" >&2
  failed=1
fi

if ((failed)); then
  echo "check-drift: FAILED" >&2
  exit 1
fi
echo "check-drift: ${#sources[@]} C++ files formatted, ${#scripts[@]} scripts" \
  "and .ci/run shellcheck-clean, actors/ free of Boost and net/"
