#!/usr/bin/env bash
# quick
# bq-verify's paths around the comparison: --dry-run prints what the
# verification would bill and changes nothing; Harper rows older than
# BigQuery's oldest row (the source's retention) are reported once as
# beyond-retention and deleted only by --prune with an explicit --from;
# with checkpoint.store: harper every summary goes to SyncAudit, and the
# monitoring queries of bqsync-config(5) run on this Harper.
. "$(dirname "$0")/lib.sh"
need_harper
start_emulator
db=$(harper_db)
"$top/tests/e2e/bqapi.py" table p ds t '[{"name":"ts","type":"TIMESTAMP"},{"name":"n","type":"INTEGER"}]'
for i in $(seq 10 29); do
	printf '{"ts":"2025-01-01T00:00:%02d.000000Z","n":%d}\n' "$i" "$i"
done | "$top/tests/e2e/bqapi.py" insert p ds t > /dev/null
cat > "$T/c.yaml" <<YAML
bigquery:
  projectId: p
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
      targetTable: T
harper:
  database: $db
checkpoint:
  store: harper
YAML
bq-pull -q -c "$T/c.yaml" -t t | harper-load -q -c "$T/c.yaml" -t t > /dev/null
expect_eq 20 "$(hcount "$db.T")" "rows synced"

# bqq SQL N: one DML statement (no double quotes) in the emulator,
# affecting N rows.
bqq() {
	curl -sS -H 'Content-Type: application/json' \
	    --data-binary "{\"query\":\"$1\",\"useLegacySql\":false}" \
	    "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/p/queries" > "$T/dml"
	grep -q "\"numDmlAffectedRows\": *\"$2\"" "$T/dml" || fail "$1: $(cat "$T/dml")"
}
# BigQuery's retention removes the 5 oldest rows; one row is updated in
# place (a new whole-row id: one missing, one extra).
bqq "DELETE FROM ds.t WHERE ts < TIMESTAMP '2025-01-01 00:00:15+00'" 5
bqq "UPDATE ds.t SET n = 100 WHERE n = 20" 1
ids() { hsql "SELECT id, n FROM $db.T ORDER BY id"; }
before=$(ids)

# --dry-run: the bytes, nothing checked, nothing written, exit 0.
bq-verify -q -c "$T/c.yaml" --dry-run > "$T/dry" || fail "--dry-run: exit $?"
python3 - "$T/dry" <<'PY' || fail "--dry-run output: $(cat "$T/dry")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1 and lines[0]["table"] == "t" and lines[0]["dryRun"], lines
# 15 rows of 16 bytes (ts, n) read by the window query, the bounds query
# and more: processed > 0, billed at least 10 MiB a query
assert lines[0]["bytesProcessed"] > 0, lines
assert lines[0]["bytesBilled"] >= 2 * 10 * 2**20, lines
PY
bq-verify -q -c "$T/c.yaml" --dry-run --repair --prune --from 2024-01-01T00:00:00Z > /dev/null ||
    fail "--dry-run --repair: exit $?"
expect_eq "$before" "$(ids)" "Harper after --dry-run"
hsql "SELECT count(*) AS n FROM $db.SyncAudit" 2> /dev/null | grep -q '"n":[1-9]' &&
    fail "--dry-run wrote an audit record"

# The retention: reported once, not deleted by --prune without --from.
must_fail 3 bq-verify -q -c "$T/c.yaml" --format json > "$T/v1"
expect_eq 1 "$(grep -c '"kind":"retention"' "$T/v1")" "retention lines"
grep '"kind":"retention"' "$T/v1" | grep -q '"harper":5,.*"status":"beyond-retention"' ||
    fail "retention line: $(grep retention "$T/v1")"
grep '"kind":"summary"' "$T/v1" | grep -q '"missing":1,"extra":1,"changed":0' ||
    fail "summary: $(grep summary "$T/v1")"
must_fail 3 bq-verify -q -c "$T/c.yaml" --repair --prune > "$T/v2"
expect_eq 1 "$(grep -c '"kind":"retention"' "$T/v2")" "retention lines of the repair"
expect_eq 20 "$(hcount "$db.T")" "rows after --repair --prune (without --from)"
bq-verify -q -c "$T/c.yaml" > "$T/v3" || fail "after the repair: exit $?"
# --prune with an explicit --from deletes them.
must_fail 3 bq-verify -q -c "$T/c.yaml" --prune --from 2025-01-01T00:00:00Z > "$T/v4"
grep '"kind":"summary"' "$T/v4" | grep -q '"extra":5,.*"pruned":5' ||
    fail "--prune --from: $(grep summary "$T/v4")"
expect_eq 15 "$(hcount "$db.T")" "rows after --prune --from"
bq-verify -q -c "$T/c.yaml" > "$T/v5" || fail "after the prune: exit $?"
grep -q '"kind":"retention"' "$T/v5" && fail "retention reported after the prune"

# SyncAudit: one record a run (5 runs) plus the latest per share, and the
# documented monitoring queries, as they are written in bqsync-config(5).
expect_eq 6 "$(hcount "$db.SyncAudit")" "audit records"
sed -n '/^Monitoring queries/,/^\.Ed/p' "$top/man/bqsync-config.5" |
    sed -n '/^\.Bd/,/^\.Ed/p' | grep -v '^\.' | sed "s/data\.SyncAudit/$db.SyncAudit/" |
    python3 -c '
import json, sys
print("\0".join(json.dumps({"operation": "sql", "sql": q.strip()})
    for q in sys.stdin.read().split(";") if q.strip()), end="")' > "$T/queries"
while IFS= read -r -d '' q || [ -n "$q" ]; do
	hop "$q" > "$T/q" || fail "monitoring query failed: $q"
	grep -q '"error"' "$T/q" && fail "monitoring query: $q: $(cat "$T/q")"
	cat "$T/q" >> "$T/answers"
	echo >> "$T/answers"
done < "$T/queries"
expect_eq 4 "$(grep -c . "$T/answers")" "monitoring queries run"
# The first is the latest audit per table: t, equal.
head -n 1 "$T/answers" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert len(r) == 1 and r[0]["tableId"] == "t" and r[0]["status"] == "equal" and r[0]["worker"] == "0/1", r' ||
    fail "latest audit per table: $(head -n 1 "$T/answers")"
say ok
