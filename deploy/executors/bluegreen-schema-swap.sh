#!/usr/bin/env bash
# Rollback executor for blue/green schemas: consumers read views in the public schema that point
# at either the blue or the green physical schema. A release builds the idle colour and flips the
# views; a rollback flips the views of the rolled-back dataset back to the previous colour, in
# one transaction. Idempotent: re-pointing a view at the colour it already uses changes nothing.
#
# canaryd sets:  CANARYD_DATASET (e.g. analytics.orders) CANARYD_DECISION ...
# you set:       PGURI (psql connection string), PREVIOUS_COLOUR_TABLE (a table
#                release_colours(dataset text primary key, previous text) kept by the deploy job).
set -euo pipefail

: "${CANARYD_DATASET:?run by canaryd}" "${CANARYD_DECISION:?run by canaryd}" "${PGURI:?}"
[[ "$CANARYD_DECISION" == rollback ]] || exit 0

table=${PREVIOUS_COLOUR_TABLE:-deploy.release_colours}
schema=${CANARYD_DATASET%%.*}
name=${CANARYD_DATASET#*.}

# psql variables (:'x') quote the values; dataset names come from reports validated by canaryd
# ([A-Za-z0-9_.:/-]) and are quoted again as identifiers below.
psql "$PGURI" -v ON_ERROR_STOP=1 -q \
  -v dataset="$CANARYD_DATASET" -v schema="$schema" -v name="$name" -v colours="$table" <<'SQL'
BEGIN;
SELECT previous AS prev FROM :colours WHERE dataset = :'dataset' \gset
SELECT format('CREATE OR REPLACE VIEW %I.%I AS SELECT * FROM %I.%I',
              :'schema', :'name', :'schema' || '_' || :'prev', :'name') AS ddl \gset
:ddl;
COMMIT;
SQL
echo "bluegreen-schema-swap: $CANARYD_DATASET points at the previous colour again" >&2
