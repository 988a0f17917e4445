#!/usr/bin/env bash
# Installs, builds and runs every canaryd test; this is what CI (.ci/run) runs.
#
#   scripts/test.sh [--quick] [--keep-going]
#
# Stages, each timed; the first failure stops the run with a non-zero exit:
#   1. scripts/install-deps.sh
#   2. Release build (build/), then ctest: unit, statistical, integration and e2e tests, then
#      scripts/check-deploy.sh (promtool / amtool on deploy/), scripts/fuzz.sh rules 30 and decoder 30
#   3. ASan+UBSan build (build-asan/) of the unit tests (core, rules, Kafka daemon), ctest -L unit
#   4. TSan build (build-tsan/) of the unit tests, then the concurrency tests:
#      engine, shards, HTTP server, gate, actions
# --quick skips 3 and 4. --keep-going goes on to the later stages after failing tests (not after
# a failed build) and exits non-zero at the end. Environment: CANARYD_TEST_TIMEOUT (seconds for a
# test without its own TIMEOUT; default 300), CANARYD_TEST_JOBS (ctest -j; default 2).
# The last line is "test.sh: N passed, N failed" (all ctest runs added up) or the failed stage.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

quick=0
keep_going=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --keep-going) keep_going=1 ;;
    -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

test_timeout=${CANARYD_TEST_TIMEOUT:-300}
test_jobs=${CANARYD_TEST_JOBS:-2}
passed=0
failed=0
skipped=0
timings=()
failed_stages=()
run_start=$SECONDS

# ctest_run NAME BUILD_DIR CTEST_ARGS... : runs ctest, echoes its output, adds up its counts.
ctest_run() {
  local name=$1 dir=$2
  shift 2
  local log="$dir/test.sh-ctest.log" rc summary total f s d
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$test_jobs" \
    --timeout "$test_timeout" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 57", then the tests that did not run.
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of' "$log" | tail -1 || true)
  if [[ -n "$summary" ]]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
    f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
    # ctest counts a skipped test in "out of N" (and as passed); a disabled one in neither.
    s=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)$' "$log" || true)
    d=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Disabled\)$' "$log" || true)
    passed=$((passed + total - f - s))
    failed=$((failed + f))
    skipped=$((skipped + s + d))
  fi
  if [[ $rc -ne 0 && -z "$summary" ]]; then
    echo "test.sh: ctest ($name) exited $rc without a summary (no tests matched, or it crashed)"
  fi
  return "$rc"
}

print_timings() {
  echo "test.sh: stage timings (total $((SECONDS - run_start))s):"
  printf '%s\n' "${timings[@]}"
}

# stage [--tests] TITLE COMMAND... : prints a header, runs the command, prints its elapsed
# seconds. A failure ends the run, unless --keep-going and the stage only ran tests.
stage() {
  local tests_only=0
  if [[ $1 == --tests ]]; then
    tests_only=1
    shift
  fi
  local title=$1
  shift
  echo
  echo "==> $title"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  local took=$((SECONDS - start))
  timings+=("$(printf '%6ss  %s' "$took" "$title")")
  if [[ $rc -ne 0 && $keep_going -eq 1 && $tests_only -eq 1 ]]; then
    echo "<== $title: FAILED (exit $rc) after ${took}s; --keep-going"
    failed_stages+=("$title")
  elif [[ $rc -ne 0 ]]; then
    echo "<== $title: FAILED (exit $rc) after ${took}s"
    echo
    print_timings
    if [[ $((passed + failed)) -gt 0 ]]; then
      echo "test.sh: tests so far: $passed passed, $failed failed, $skipped skipped"
    fi
    echo "test.sh: FAILED at stage '$title' after $((SECONDS - run_start))s"
    exit 1
  else
    echo "<== $title: ok in ${took}s"
  fi
}

# build.sh prints the build directory on stdout; the build log goes to stderr.
build() { bash scripts/build.sh "$@" >/dev/null; }

stage "install dependencies" bash scripts/install-deps.sh
stage "build release" build release build
stage --tests "ctest release: unit, statistical, integration" ctest_run release build
stage "deploy: promtool check/test rules, amtool check-config" bash scripts/check-deploy.sh
stage "fuzz the rules parser (libFuzzer, 30 s)" bash scripts/fuzz.sh rules 30
stage "fuzz the report decoder against simdjson (libFuzzer, 30 s)" bash scripts/fuzz.sh decoder 30

if [[ $quick -eq 0 ]]; then
  # The Kafka daemon's fault test runs here (librdkafka starts C11 threads, which GCC 12's TSan
  # does not intercept, so it cannot run under TSan).
  stage "build asan (ASan+UBSan) unit tests" \
    build asan build-asan canaryd_unit_tests canaryd_ingest_tests canaryd_rules_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    stage --tests "ctest asan: unit" ctest_run asan build-asan -L unit

  # Only the rooms with threads of their own (engine shards, HTTP listener, actions): the whole
  # binary under TSan would add a third full build for no concurrent code the tests miss.
  stage "build tsan unit tests" build tsan build-tsan canaryd_unit_tests canaryd_http_tests
  # libspdlog.so is not instrumented, so TSan cannot see its own synchronisation.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/scripts/tsan.supp" \
    stage --tests "ctest tsan: engine, shards, HTTP server, gate, actions" \
    ctest_run tsan build-tsan -R 'Engine|Shard|HttpServer|Gate|Action|Exporter'
else
  echo
  echo "test.sh: --quick: sanitizer builds skipped"
fi

echo
print_timings
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  printf 'test.sh: FAILED stage: %s\n' "${failed_stages[@]}"
  echo "test.sh: $passed passed, $failed failed, $skipped skipped"
  exit 1
fi
if [[ $skipped -gt 0 ]]; then
  echo "test.sh: $passed passed, $failed failed, $skipped skipped"
else
  echo "test.sh: $passed passed, $failed failed"
fi
