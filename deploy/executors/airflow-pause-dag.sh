#!/usr/bin/env bash
# Rollback executor for a canary DAG (Airflow): pauses the canary DAG through the Airflow REST API
# (stable API, PATCH /api/v1/dags/{dag_id}) so it stops publishing, and turns off the release's
# feature flag when FLAG_URL is set. Run by canaryd as a command action; idempotent (pausing a
# paused DAG is a no-op), so a retried or repeated call is harmless.
#
# canaryd sets:  CANARYD_RELEASE CANARYD_DATASET CANARYD_DECISION CANARYD_IDEMPOTENCY_KEY ...
# you set:       AIRFLOW_URL (e.g. http://airflow:8080), AIRFLOW_AUTH (user:password),
#                CANARY_DAG_MAP (file of "release-prefix dag_id" lines), optional FLAG_URL.
set -euo pipefail

: "${CANARYD_RELEASE:?run by canaryd}" "${CANARYD_DECISION:?run by canaryd}"
: "${AIRFLOW_URL:?}" "${AIRFLOW_AUTH:?}" "${CANARY_DAG_MAP:?}"

[[ "$CANARYD_DECISION" == rollback ]] || exit 0

# The release id names the pipeline: "orders-dbt-2026.11.23.2" -> prefix "orders-dbt".
dag_id=""
while read -r prefix dag; do
  [[ -z "$prefix" || "$prefix" == \#* ]] && continue
  if [[ "$CANARYD_RELEASE" == "$prefix"* ]]; then dag_id=$dag; break; fi
done < "$CANARY_DAG_MAP"
if [[ -z "$dag_id" ]]; then
  echo "airflow-pause-dag: no DAG mapped for release $CANARYD_RELEASE in $CANARY_DAG_MAP" >&2
  exit 3  # retried by canaryd, then recorded as failed in the audit log
fi

curl -fsS --max-time 10 -u "$AIRFLOW_AUTH" -X PATCH \
  -H 'Content-Type: application/json' \
  "$AIRFLOW_URL/api/v1/dags/$dag_id?update_mask=is_paused" \
  -d '{"is_paused": true}' >/dev/null
echo "airflow-pause-dag: paused $dag_id for release $CANARYD_RELEASE ($CANARYD_DATASET)" >&2

if [[ -n "${FLAG_URL:-}" ]]; then
  # A flag service that routes partitions to the canary: send everything back to the baseline.
  curl -fsS --max-time 10 -X PUT -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $CANARYD_IDEMPOTENCY_KEY" \
    "$FLAG_URL/flags/canary-$dag_id" -d '{"enabled": false}' >/dev/null
  echo "airflow-pause-dag: flag canary-$dag_id off" >&2
fi
