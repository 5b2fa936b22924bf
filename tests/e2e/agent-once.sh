#!/usr/bin/env bash
# bq-sync --once: every table of the config pulled until caught up, by
# real bq-pull | harper-load | bq-checkpoint pipelines; Harper then holds
# exactly BigQuery's rows, and `bq-checkpoint status --format prometheus`
# parses as Prometheus' text format.  A table that does not exist in BigQuery makes
# it exit with that pipeline's status, records lastError, and leaves the
# other tables synced.  A second bq-sync on the same lock waits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 30
maritime-synth -q -c "$cfg" -s 7 initialize 1
bq-sync -c "$cfg" -w 0/1 --once 2> "$T/once.log" ||
    fail "bq-sync --once: $(tail -5 "$T/once.log")"
for t in $PL_TABLES; do
	pl_compare "$t"
done
# caught up: a second run pulls nothing and still exits 0
bq-sync -q -c "$cfg" -w 0/1 --once
n=$(bq-checkpoint -c "$cfg" status --format json | wc -l)
expect_eq 3 "$n" "checkpoint records"
bq-checkpoint -c "$cfg" status --format json | jq -e -s \
    "all(.worker == \"$(hostname)-0\")" > /dev/null ||
    fail "worker names: $(bq-checkpoint -c "$cfg" status --format json)"

# the metrics, read by a real exposition-format parser (Debian's
# python3-prometheus-client, for the system python3)
# bq-sync status is bq-checkpoint status for the same config
# (lag_seconds aside: the wall clock moved between the two)
bq-sync -c "$cfg" status | jq -c 'del(.lag_seconds)' > "$T/sync-status.txt"
bq-checkpoint -c "$cfg" status | jq -c 'del(.lag_seconds)' > "$T/ckpt-status.txt"
expect_eq 3 "$(wc -l < "$T/sync-status.txt")" "bq-sync status lines"
cmp -s "$T/sync-status.txt" "$T/ckpt-status.txt" ||
    fail "bq-sync status differs from bq-checkpoint status"
bq-checkpoint -c "$cfg" status --format prometheus > "$T/metrics.prom"
/usr/bin/python3 - "$T/metrics.prom" <<'PY' || fail "metrics: $(cat "$T/metrics.prom")"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
for name, typ in (("bqsync_lag_seconds", "gauge"), ("bqsync_rows_ingested", "counter"),
                  ("bqsync_phase", "gauge"), ("bqsync_last_sync_timestamp_seconds", "gauge")):
    assert fams[name].type == typ, (name, fams[name].type)
rows = {s.labels["table"]: s.value for s in fams["bqsync_rows_ingested"].samples}
assert set(rows) == {"vessel_positions", "port_events", "vessel_metadata"}, rows
assert all(v > 0 for v in rows.values()), rows
assert len(fams["bqsync_phase"].samples) == 9
assert sum(s.value for s in fams["bqsync_phase"].samples) == 3
assert all(s.labels["worker"] == "0/1" for s in fams["bqsync_lag_seconds"].samples)
PY
say "status --format prometheus parses, 3 tables"

# a table missing in BigQuery: the first failure's status, the rest synced
cat "$cfg" > "$T/bad.yaml"
sed -i 's/^harper:/    - id: nosuch\n      table: nosuch\n      timestampColumn: ts\n      targetTable: NoSuch\nharper:/' "$T/bad.yaml"
rc=0
bq-sync -c "$T/bad.yaml" -w 0/1 --once 2> "$T/bad.log" || rc=$?
[ "$rc" -ne 0 ] || fail "a missing table gave exit 0: $(cat "$T/bad.log")"
grep -q "table 'nosuch' worker 0/1: bq-pull exited $rc" "$T/bad.log" ||
    fail "no report of the failed table: $(cat "$T/bad.log")"
say "missing table: exit $rc, reported"
# ... and recorded as the worker's lastError, also in the metrics
bq-checkpoint -c "$T/bad.yaml" -t nosuch status --format json > "$T/err.json"
jq -e '.lastError | test("bq-pull.*78.*nosuch")' "$T/err.json" > /dev/null ||
    fail "lastError: $(cat "$T/err.json")"
jq -e '.lastErrorAt != null' "$T/err.json" > /dev/null || fail "no lastErrorAt"
bq-checkpoint -c "$T/bad.yaml" status --format prometheus > "$T/err.prom"
/usr/bin/python3 - "$T/err.prom" <<'PY' || fail "error metrics: $(cat "$T/err.prom")"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
errs = [s for s in fams["bqsync_last_error_info"].samples]
assert [s.labels["table"] for s in errs] == ["nosuch"], errs
assert "nosuch" in errs[0].labels["message"], errs
PY
say "lastError recorded and exported"
say ok
