#!/usr/bin/env bash
# quick
# A catch-up whose result BigQuery would refuse to return (past its
# response size limit, bq-emulator --max-response): bq-pull reads the
# pass in windows of time, halving the span on each responseTooLarge
# (which bills nothing); every row comes out once, in timestamp order,
# with a sync line after each window; the windows prune partitions, so
# the pass processes little more than the table once.  A single
# timestamp's rows too large to return stop the pull with exit 65.
. "$(dirname "$0")/lib.sh"

limit=200000
start_emulator --max-response $limit
pull_setup -p '{"type":"DAY","field":"ts"}' '[
    {"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"},
    {"name":"note","type":"STRING"}]'
rows=3000
bqtest gen month "$rows" > "$T/src.ndjson"
expect_eq $rows "$(bqapi insert test-project ds t < "$T/src.ndjson")" inserted
size=$(bqapi get test-project ds t numBytes)
say "table: $rows rows, $size bytes; response limit $limit bytes"

# one pull reads it all, in windows: every row once and in timestamp
# order (seq grows with ts), sync cursors that never go back, one at
# least between windows
bq-pull -c "$T/cfg.yaml" -v > "$T/out" 2> "$T/err" ||
    fail "bq-pull: $(tail -n 3 "$T/err")"
grep -q 'responseTooLarge' "$T/err" || fail "no query was too large"
bqtest stream "$T/out" --end --seq "$rows" --syncs 3 || fail "the stream is wrong"
processed=$(bqtest sum bytesProcessed --control sync "$T/out")
say "$(grep -c '"sync"' "$T/out") sync lines, $processed bytes processed" \
    "($(awk "BEGIN { printf \"%.2f\", $processed / $size }")x the table)"
fexpr "$processed <= 1.5 * $size" || fail "windows do not prune"
# the refused queries billed nothing; each that ran, its bill
expect_eq 0 "$(bqtest jobs-billed --reason responseTooLarge)" \
    "jobs.list: bytes billed for refused queries"

# rows of one timestamp too large to return: exit 65, nothing past them
bqapi table test-project ds u '[
    {"name":"ts","type":"TIMESTAMP"},{"name":"note","type":"STRING"}]' \
    '{"type":"DAY","field":"ts"}'
note=$(printf 'y%.0s' $(seq 200))
for _ in $(seq 1200); do
	printf '{"ts":"1761955200","note":"%s"}\n' "$note"
done | bqapi insert test-project ds u > /dev/null
st=0
bq-pull -c "$T/cfg.yaml" --source-table u > "$T/u.out" 2> "$T/u.err" || st=$?
expect_eq 65 "$st" "exit status of a too large group"
grep -q 'alone are too large for BigQuery to return' "$T/u.err" ||
    fail "message: $(cat "$T/u.err")"
expect_eq 0 "$(grep -vc '@bqsync' "$T/u.out")" "rows of the refused group"
