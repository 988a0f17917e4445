#!/usr/bin/env bash
# Write-audit-publish: the publish step runs only if canaryd promoted the release that wrote the
# audit schema. Use as the publish task's pre-step (Airflow BashOperator, dbt run-operation, CI):
#
#   deploy/executors/wap-publish-gate.sh orders-dbt-2026.11.23.2 && dbt run-operation publish_audit
#
# Exit codes are canaryd gate's: 0 promote (publish), 3 rollback (skip publish, drop the audit
# schema), 4 undecided after the wait (skip publish; retry the task later), 2 canaryd unreachable
# or misconfigured. Nothing is published unless the exit is 0.
set -uo pipefail

release=${1:?usage: wap-publish-gate.sh RELEASE [WAIT]}
wait=${2:-30m}
url=${CANARYD_URL:-http://127.0.0.1:8787}

canaryd gate --release "$release" --wait "$wait" --url "$url"
status=$?
case $status in
  0) echo "wap-publish-gate: $release promoted; publishing" >&2 ;;
  3) echo "wap-publish-gate: $release rolled back; publish skipped" >&2 ;;
  4) echo "wap-publish-gate: $release undecided after $wait; publish skipped" >&2 ;;
  *) echo "wap-publish-gate: cannot ask canaryd (exit $status); publish skipped" >&2 ;;
esac
exit $status
