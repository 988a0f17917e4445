#!/usr/bin/env bash
# Installs every Debian bookworm package that canaryd's build, tests and benches need.
# Idempotent: when all are installed it prints one line and changes nothing.
#
#   scripts/install-deps.sh           install what is missing (apt-get update first)
#   scripts/install-deps.sh --check   only report; exit 1 if something is missing
#   scripts/install-deps.sh --list    print the package list, one a line
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang clang-format libclang-rt-14-dev  # libFuzzer and clang's sanitizer runtimes
  # libraries (see ../shared/packages.md for the CMake names)
  librdkafka-dev
  libssl-dev
  # Boost 1.74: all headers (lockfree, outcome, math, asio, beast) + the program_options library
  libboost-dev libboost-program-options-dev
  libeigen3-dev libspdlog-dev libfmt-dev prometheus-cpp-dev libsimdjson-dev libyaml-cpp-dev
  nlohmann-json3-dev
  libjemalloc-dev  # the programs' allocator (CANARYD_JEMALLOC)
  libxxhash-dev    # XXH3-128 fingerprints of load ids (header only)
  libgtest-dev libgmock-dev libbenchmark-dev
  # test peers: an independent Kafka client, Prometheus and Alertmanager
  python3 python3-kafka python3-yaml kcat prometheus prometheus-alertmanager
)

mode=install
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "install-deps.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#PACKAGES[@]} Debian packages already installed"
  exit 0
fi

echo "install-deps.sh: missing ${#missing[@]} package(s): ${missing[*]}"
if [[ $mode == check ]]; then
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps.sh: not root and no sudo; install the packages above as root" >&2
    exit 1
  fi
fi

"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps.sh: installed ${missing[*]}"
