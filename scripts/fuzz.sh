#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz/ with clang into build-fuzz/ and
# runs each for SECONDS (default 30), then sweeps every code point through
# fuzz_validate's checks (sweep_validate). Exits non-zero if any reports a
# crash, a broken invariant, a leak, a timeout or undefined behaviour.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
# Each target grows its corpus in build-fuzz/corpus/<target>/ (not committed)
# from the seeds in test/fuzz/corpus/<target>/; docs/FUZZING.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(ws_reader ws_upgrade codec validate percent static_files)

scripts/install-deps.sh --fuzz
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# shellcheck disable=SC2086
cmake -S test/fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ \
  ${FUZZ_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j2
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1"

failed=()
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  log="$build/$target.log"
  mkdir -p "$corpus"
  rc=0
  nice -n 19 "$build/fuzz_$target" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/$target-" "$corpus" "test/fuzz/corpus/$target" \
    >"$log" 2>&1 || rc=$?
  # A report that did not stop the run still fails it.
  if ((rc != 0)) || grep -qE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log"; then
    failed+=("$target")
    echo "== $target: FAILED (exit $rc), last lines of $log:"
    tail -n 40 "$log"
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  echo "== $target: ${execs:-?} executions in ${seconds} s; ${final#*DONE}"
done

# What the fuzzer reaches by chance, tried in full: every code point
# around a name's joiner through fuzz_validate's checks.
if ! "$build/sweep_validate" >"$build/sweep_validate.log" 2>&1; then
  failed+=(sweep_validate)
  echo "== sweep_validate: FAILED, last lines of $build/sweep_validate.log:"
  tail -n 20 "$build/sweep_validate.log"
else
  echo "== $(cat "$build/sweep_validate.log")"
fi

if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]} (inputs saved as $build/<target>-crash-*)"
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, no findings"
