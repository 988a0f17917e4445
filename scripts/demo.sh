#!/usr/bin/env bash
# Installs, builds and runs canaryd's main job. Until the Kafka daemon lands, that is a replay of
# the shipped example: load reports of one good and one bad release through the real engine and
# judge. One JSON line per decision change, then a summary line.
#
#   scripts/demo.sh [REPLAY_FILE]      (default: examples/orders_two_releases.jsonl)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
input=${1:-examples/orders_two_releases.jsonl}

bash scripts/install-deps.sh
# Only the binary: the demo should not wait for the test suite to compile.
build_dir=$(bash scripts/build.sh release build canaryd)

echo
echo "\$ build/canaryd replay $input"
rc=0
"$build_dir/canaryd" replay "$input" || rc=$?
echo
case $rc in
  0) echo "demo.sh: exit 0 = no release was rolled back" ;;
  3) echo "demo.sh: exit 3 = a release was rolled back (the lines above say which, when, why)" ;;
  2) echo "demo.sh: exit 2 = bad input or rules (see the message above)" ;;
  *) echo "demo.sh: exit $rc = internal error" ;;
esac
if [[ $rc -eq 0 || $rc -eq 3 ]]; then
  exit 0
fi
exit "$rc"
