#!/usr/bin/env bash
# Installs, builds and runs canaryd's main job: `canaryd demo` on the embedded Kafka broker. It
# produces a healthy and a regressing canary release through a real Kafka producer, shows live
# progress, and ends with the rollback and the promote, their evidence, and the signal messages
# read back from the signal topic.
#
#   scripts/demo.sh [canaryd demo options]     (e.g. --pace-ms 50 for a faster run)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

bash scripts/install-deps.sh
# Only the binary: the demo should not wait for the test suite to compile.
build_dir=$(bash scripts/build.sh release build canaryd)

echo
echo "\$ build/canaryd demo $*"
exec "$build_dir/canaryd" demo "$@"
