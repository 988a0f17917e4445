#!/usr/bin/env bash
# Configures and builds canaryd with CMake + Ninja.
#
#   scripts/build.sh [release|asan|tsan] [BUILD_DIR] [TARGET...]
#
#   release  Release build                                  (default dir: build/)
#   asan     RelWithDebInfo, AddressSanitizer + UBSan       (default dir: build-asan/)
#   tsan     RelWithDebInfo, ThreadSanitizer                (default dir: build-tsan/)
#
# Warnings are errors in the release build when CI=true or CANARYD_WERROR=1. Not in the sanitizer
# builds: GCC's manual recommends against -Werror with sanitizers, which make it report false
# positives (bookworm's GCC 12 flags std::regex/std::function with -Wmaybe-uninitialized under
# ASan); the release build is the warnings gate, the sanitizer builds check behaviour.
# TARGETs (optional) limit what is built, e.g. `scripts/build.sh asan "" canaryd_unit_tests`;
# default is everything. Compiler and launcher come from the usual CMake variables (CXX,
# CMAKE_CXX_COMPILER_LAUNCHER=ccache, ...).
# Build output goes to stderr; stdout gets only the build directory's absolute path, so
# `dir=$(scripts/build.sh asan)` works.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

flavour=${1:-release}
case "$flavour" in
  release) build_type=Release;        asan=OFF; tsan=OFF; default_dir=build ;;
  asan)    build_type=RelWithDebInfo; asan=ON;  tsan=OFF; default_dir=build-asan ;;
  tsan)    build_type=RelWithDebInfo; asan=OFF; tsan=ON;  default_dir=build-tsan ;;
  -h|--help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "build.sh: unknown build '$flavour' (release, asan or tsan)" >&2; exit 2 ;;
esac
build_dir=${2:-}
if [[ -z "$build_dir" ]]; then
  build_dir="$repo/$default_dir"
fi
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")

werror=OFF
if [[ $flavour == release && ( "${CI:-}" == true || "${CANARYD_WERROR:-0}" == 1 ) ]]; then
  werror=ON
fi

mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

# Ninja cannot take over a directory configured with another generator: say so plainly.
if [[ -f "$build_dir/CMakeCache.txt" ]] &&
   ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
  echo "build.sh: $build_dir was configured with another generator; remove it and rerun" >&2
  exit 2
fi

jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
{
  echo "build.sh: $flavour ($build_type, asan=$asan tsan=$tsan werror=$werror) in $build_dir"
  # Sanitizer builds: -O1 -g1 (line tables for stack traces) compiles far faster than the default
  # -O2 -g, and the sanitizers need no more.
  # They are also unity builds: CMake joins a target's sources 8 at a time, so the heavy headers
  # (Boost.Beast and Asio, GTest, spdlog) are parsed once per batch. The ASan unit tests built in
  # 258-309 s that way against 421 s one file at a time (2 cores, same minutes). The release
  # build is not a unity build, so a file that leans on another's includes still fails there.
  sanitizer_flags=()
  if [[ $asan == ON || $tsan == ON ]]; then
    sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON)
  fi
  cmake -S "$repo" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="$build_type" "${sanitizer_flags[@]}" \
    -DCANARYD_ASAN="$asan" -DCANARYD_TSAN="$tsan" -DCANARYD_WERROR="$werror"
  if [[ ${#targets[@]} -gt 0 ]]; then
    cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
  else
    cmake --build "$build_dir" -j "$jobs"
  fi
  echo "build.sh: $flavour build done in $((SECONDS - start))s"
} >&2
echo "$build_dir"
