#!/usr/bin/env bash
# Checks the Prometheus and Alertmanager configuration in deploy/: rule syntax (promtool check
# rules), rule behaviour (promtool test rules on deploy/prometheus/tests/*.test.yml), the example
# scrape config (promtool check config), the Alertmanager config (amtool check-config) and where
# each canaryd alert is routed.
#
#   scripts/check-deploy.sh
#
# Needs promtool and amtool (Debian packages prometheus and prometheus-alertmanager; installed by
# scripts/install-deps.sh). Exit 0 when everything passes, 1 on the first failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo/deploy"

for tool in promtool amtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check-deploy.sh: $tool not found (apt-get install prometheus prometheus-alertmanager)" >&2
    exit 1
  fi
done

shopt -s nullglob
rules=(prometheus/*-rules.yml)
tests=(prometheus/tests/*.test.yml)
if [[ ${#rules[@]} -eq 0 || ${#tests[@]} -eq 0 ]]; then
  echo "check-deploy.sh: no rules or rule tests under deploy/prometheus" >&2
  exit 1
fi

echo "check-deploy.sh: promtool check rules ${rules[*]}"
promtool check rules "${rules[@]}"
echo "check-deploy.sh: promtool test rules ${tests[*]}"
promtool test rules "${tests[@]}"
echo "check-deploy.sh: promtool check config prometheus/prometheus.yml"
promtool check config prometheus/prometheus.yml
echo "check-deploy.sh: amtool check-config alertmanager/alertmanager.yml"
amtool check-config alertmanager/alertmanager.yml

# Routing: the rollback alert reaches the rollback webhook (and on-call); the others on-call only.
route() {
  local want=$1
  shift
  local got
  got=$(amtool config routes test --config.file=alertmanager/alertmanager.yml "$@" 2>/dev/null)
  if [[ "$got" != "$want" ]]; then
    echo "check-deploy.sh: alert {$*} routed to '$got', expected '$want'" >&2
    exit 1
  fi
  echo "check-deploy.sh: route {$*} -> $got"
}
route "canary-rollback,oncall" alertname=CanaryRollbackRequired release=r dataset=d
for alert in CanarydDown CanarydConsumerLagging CanarydRejectingReports FreshnessSLOBreach; do
  route oncall alertname="$alert"
done
echo "check-deploy.sh: all deploy checks passed"
