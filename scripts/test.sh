#!/usr/bin/env bash
# Installs, builds and runs every test: unit, actor, wire and browser.
#   BUILD_DIR=build-asan CMAKE_ARGS="-DACTORCHAT_SANITIZE=ON" scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
build_dir=${BUILD_DIR:-build}
# ccache hits across checkouts in different folders (a fresh CI clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -DACTORCHAT_TESTS=ON ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j2
# Sanitizer runtime settings (used only by sanitizer builds).
export UBSAN_OPTIONS="suppressions=$PWD/test/ubsan.supp:print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/test/lsan.supp"
# CTEST_ARGS is a list of arguments: split on purpose.
# shellcheck disable=SC2086
ctest --test-dir "$build_dir" --output-on-failure -j2 ${CTEST_ARGS:-}
