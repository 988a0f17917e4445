#!/usr/bin/env bash
# Fuzzes one of canaryd's parsers of untrusted input with libFuzzer under ASan + UBSan:
#   rules    the rules parser (tests/fuzz/rules_parser_fuzz.cc), seeds in tests/fuzz/rules_corpus/
#   decoder  report decoding, and the one-pass reader against simdjson
#            (tests/fuzz/sample_decoder_fuzz.cc), seeds in tests/fuzz/decoder_corpus/
#
#   scripts/fuzz.sh rules|decoder [SECONDS]     (default 30)
#
# Builds with clang (not the main GCC build; no CMake needed) into build/fuzz-TARGET/, starts from
# the seed corpus (read-only: new inputs go to build/fuzz-TARGET/corpus), and exits non-zero when
# the fuzzer finds a crash, a leak, undefined behaviour or a hang; the input that did it is saved
# in build/fuzz-TARGET/ (crash-*, leak-*, timeout-*) and named on stderr.
# Reproduce one with: build/fuzz-TARGET/TARGET_fuzz_binary build/fuzz-TARGET/crash-...
# Environment: CXX (default clang++-14, else clang++), FUZZ_BUILD_DIR, FUZZ_JOBS (parallel compiles).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${1:-}
seconds=${2:-30}
if [[ $target == -h || $target == --help || -z $target ]]; then
  sed -n '2,15s/^# \{0,1\}//p' "$0"
  [[ -n $target ]] && exit 0
  exit 2
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi

cxx=${CXX:-}
if [[ -z $cxx ]]; then
  if command -v clang++-14 >/dev/null; then cxx=clang++-14; else cxx=clang++; fi
fi
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

out=${FUZZ_BUILD_DIR:-$repo/build/fuzz-$target}
mkdir -p "$out/obj" "$out/corpus"

flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -I"$repo" -isystem /usr/include/eigen3)
sources=()
case $target in
  rules)
    # The rules room and the one core file its types need (CheckPolicy, AbsoluteLimit). The
    # engine's source of rules (rules_judge_source.cc, spdlog) is not what is fuzzed.
    for src in "$repo"/rules/*.cc; do
      [[ $(basename "$src") == rules_judge_source.cc ]] || sources+=("$src")
    done
    sources+=("$repo/detector/judge/check_policy.cc" "$repo/tests/fuzz/rules_parser_fuzz.cc")
    headers=("$repo"/rules/*.h "$repo"/detector/judge/*.h)
    binary=rules_parser_fuzz
    libs=(-lyaml-cpp)
    run_flags=(-max_len=4096 -dict="$repo/tests/fuzz/rules.dict")
    seeds=$repo/tests/fuzz/rules_corpus
    ;;
  decoder)
    sources+=("$repo"/detector/{sample_decoder,sample_fast_path,sample_rules,timestamp}.cc
              "$repo/tests/fuzz/sample_decoder_fuzz.cc")
    headers=("$repo"/detector/*.h)
    binary=sample_decoder_fuzz
    libs=(-lsimdjson)
    run_flags=(-max_len=2048)
    seeds=$repo/tests/fuzz/decoder_corpus
    ;;
  *)
    echo "fuzz.sh: TARGET must be rules or decoder, not '$target'" >&2
    exit 2
    ;;
esac

# Recompile a source only when it (or any rules or judge header) is newer than its object.
newest_header=$(ls -t "${headers[@]}" | head -1)
objects=()
pids=()
jobs=${FUZZ_JOBS:-2}
for src in "${sources[@]}"; do
  obj="$out/obj/$(basename "${src%.cc}").o"
  objects+=("$obj")
  if [[ ! -f $obj || $src -nt $obj || $newest_header -nt $obj ]]; then
    echo "fuzz.sh: compiling $(basename "$src")" >&2
    nice -n 10 "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
    pids+=($!)
    if (( ${#pids[@]} >= jobs )); then
      wait "${pids[0]}"
      pids=("${pids[@]:1}")
    fi
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$cxx" "${flags[@]}" "${objects[@]}" "${libs[@]}" -o "$out/$binary"

echo "fuzz.sh: fuzzing the $target for ${seconds}s" >&2
status=0
# -timeout: one input taking over 10 s is a hang. -rss_limit_mb: a leak or blow-up is a failure.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$out/$binary" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${run_flags[@]}" \
  -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus" "$seeds" 2> "$out/fuzz.log" || status=$?
tail -n 25 "$out/fuzz.log" >&2
if (( status != 0 )); then
  echo "fuzz.sh: FAILED (exit $status); full log: $out/fuzz.log" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${seconds}s (log: $out/fuzz.log)" >&2
