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
db=$(harper_db)
pull_setup -s harper '[{"name":"ts","type":"TIMESTAMP"},{"name":"n","type":"INTEGER"}]' \
    'targetTable: T'
for i in $(seq 10 29); do
	printf '{"ts":"2025-01-01T00:00:%02d.000000Z","n":%d}\n' "$i" "$i"
done | bqapi insert test-project ds t > /dev/null
bq-pull -q -c "$T/cfg.yaml" -t t | harper-load -q -c "$T/cfg.yaml" -t t > /dev/null
expect_eq 20 "$(hcount "$db.T")" "rows synced"

# BigQuery's retention removes the 5 oldest rows; one row is updated in
# place (a new whole-row id: one missing, one extra).
bqtest bq-dml "DELETE FROM ds.t WHERE ts < TIMESTAMP '2025-01-01 00:00:15+00'" 5
bqtest bq-dml "UPDATE ds.t SET n = 100 WHERE n = 20" 1
ids() { hsql "SELECT id, n FROM $db.T ORDER BY id"; }
before=$(ids)

# --dry-run: the bytes, nothing checked, nothing written, exit 0.
bq-verify -q -c "$T/cfg.yaml" --dry-run > "$T/dry" || fail "--dry-run: exit $?"
expect_eq 1 "$(wc -l < "$T/dry")" "lines of --dry-run"
# 15 rows of 16 bytes (ts, n) read by the window query, the bounds query
# and more: processed > 0, billed at least 10 MiB a query
read -r table dry processed billed <<< \
    "$(jget -f "$T/dry" table dryRun bytesProcessed bytesBilled | xargs)"
expect_eq "t true" "$table $dry" "--dry-run: table and dryRun"
fexpr "$processed > 0 && $billed >= 2 * 10 * 2^20" ||
    fail "--dry-run output: $(cat "$T/dry")"
bq-verify -q -c "$T/cfg.yaml" --dry-run --repair --prune --from 2024-01-01T00:00:00Z > /dev/null ||
    fail "--dry-run --repair: exit $?"
expect_eq "$before" "$(ids)" "Harper after --dry-run"
hsql "SELECT count(*) AS n FROM $db.SyncAudit" 2> /dev/null | grep -q '"n":[1-9]' &&
    fail "--dry-run wrote an audit record"

# The retention: reported once, not deleted by --prune without --from.
must_fail 3 bq-verify -q -c "$T/cfg.yaml" --format json > "$T/v1"
expect_eq 1 "$(grep -c '"kind":"retention"' "$T/v1")" "retention lines"
grep '"kind":"retention"' "$T/v1" | grep -q '"harper":5,.*"status":"beyond-retention"' ||
    fail "retention line: $(grep retention "$T/v1")"
grep '"kind":"summary"' "$T/v1" | grep -q '"missing":1,"extra":1,"changed":0' ||
    fail "summary: $(grep summary "$T/v1")"
must_fail 3 bq-verify -q -c "$T/cfg.yaml" --repair --prune > "$T/v2"
expect_eq 1 "$(grep -c '"kind":"retention"' "$T/v2")" "retention lines of the repair"
expect_eq 20 "$(hcount "$db.T")" "rows after --repair --prune (without --from)"
bq-verify -q -c "$T/cfg.yaml" > "$T/v3" || fail "after the repair: exit $?"
# --prune with an explicit --from deletes them.
must_fail 3 bq-verify -q -c "$T/cfg.yaml" --prune --from 2025-01-01T00:00:00Z > "$T/v4"
grep '"kind":"summary"' "$T/v4" | grep -q '"extra":5,.*"pruned":5' ||
    fail "--prune --from: $(grep summary "$T/v4")"
expect_eq 15 "$(hcount "$db.T")" "rows after --prune --from"
bq-verify -q -c "$T/cfg.yaml" > "$T/v5" || fail "after the prune: exit $?"
grep -q '"kind":"retention"' "$T/v5" && fail "retention reported after the prune"

# SyncAudit: one record a run (5 runs) plus the latest per share, and the
# documented monitoring queries, as they are written in bqsync-config(5).
expect_eq 6 "$(hcount "$db.SyncAudit")" "audit records"
sed -n '/^Monitoring queries/,/^\.Ed/p' "$top/man/bqsync-config.5" |
    sed -n '/^\.Bd/,/^\.Ed/p' | grep -v '^\.' | sed "s/data\.SyncAudit/$db.SyncAudit/" |
    bqtest harper-sql --each - > "$T/answers" || fail "a monitoring query failed"
expect_eq 4 "$(grep -c . "$T/answers")" "monitoring queries run"
# The first is the latest audit per table: t, equal.
head -n 1 "$T/answers" > "$T/latest"
expect_eq "1 t equal 0/1" \
    "$(bqtest len -f "$T/latest" '') $(jget -f "$T/latest" 0.tableId 0.status 0.worker | xargs)" \
    "latest audit per table"
say ok
