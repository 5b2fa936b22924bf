#!/usr/bin/env bash
# quick
# A table with idColumns (one Harper row per vessel, "updated in place")
# synced by 2 workers: two versions of one mmsi whose timestamps belong to
# different workers.  Whatever order the workers run in (their lags
# differ in any real cluster), Harper must end with the latest version,
# as BigQuery's latest row per mmsi.  (Known to fail: see the report; the
# later-running worker overwrites a newer version with an older one.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup
pl_config '{id: meta, table: meta, timestampColumn: last_updated, targetTable: Meta, idColumns: [mmsi]}'
old='{"mmsi":"232394142","status":"Under way using engine","last_updated":"2025-11-01T00:00:03.000000Z"}'
new='{"mmsi":"232394142","status":"Moored","last_updated":"2025-11-01T00:00:04.000000Z"}'
# the older version is worker 1's, the newer worker 0's
expect_eq "$old" "$(echo "$old" | bq-partition -k last_updated -w 1/2)" "worker of the old version"
expect_eq "$new" "$(echo "$new" | bq-partition -k last_updated -w 0/2)" "worker of the new version"
bqapi table test-project maritime meta '[{"name":"mmsi","type":"STRING"},
    {"name":"status","type":"STRING"}, {"name":"last_updated","type":"TIMESTAMP"}]'
printf '%s\n' "$old" "$new" | bqapi insert test-project maritime meta > /dev/null

# Worker 0 is ahead: it loads the newer version first.
pl_sync meta 0/2
pl_sync meta 1/2
pl_info meta
TSCOL=last_updated TSCOLS=last_updated
export TSCOL TSCOLS
pl_dump meta
got=$(hsql "SELECT status FROM $db.Meta" | jq -c '[.[].status]')
expect_eq '["Moored"]' "$got" "Harper's version of mmsi 232394142 (the latest is 'Moored')"
n=$(compare compare "$T/src.meta" "$db.Meta" mmsi) || fail "Harper differs from BigQuery's latest row per mmsi"
say ok
