#!/usr/bin/env bash
# quick
# bq-pull through injected faults (bq-emulator's fault rules): 503, 429,
# 500 and 502 answers, a job that failed (re-run as a new job),
# jobComplete:false polls and a body cut short.  The pull still returns
# exactly the table's rows; errors that retrying cannot fix fail at once
# with BigQuery's reason on one line.
. "$(dirname "$0")/lib.sh"

pull_setup '[{"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]'
api="http://$BIGQUERY_EMULATOR_HOST"
bqtest gen epoch 25000 1762000000 > "$T/src.ndjson"
expect_eq 25000 "$(bqapi insert test-project ds t \
    < "$T/src.ndjson")" inserted

fault() {
	curl -sf -X POST -H 'Content-Type: application/json' --data "$1" \
	    "$api/emulator/faults" > /dev/null || fail "cannot add fault $1"
}
fault '{"path":"/queries","method":"POST","status":503,"count":1}'
fault '{"path":"/queries","method":"POST","status":429,"count":1}'
fault '{"path":"/queries","method":"POST","status":400,
    "reason":"jobRateLimitExceeded","count":1}'
fault '{"path":"/queries/job","method":"GET","status":500,"count":1}'
fault '{"path":"/queries/job","method":"GET","status":502,"count":1}'
fault '{"path":"/queries/job","method":"GET","truncate":1,"count":1}'

bq-pull -c "$T/cfg.yaml" -v --limit 100000 > "$T/out.ndjson" 2> "$T/err"
grep -v 'SELECT' "$T/err" >&2 || true
for st in 503 429 400 500 502; do
	grep -q ": $st\$" "$T/err" || fail "fault $st was not met"
done
grep -q 're-running the query' "$T/err" || fail "the failed job was not re-run"
grep -q 'partial file' "$T/err" || fail "no truncated answer was met"
bqtest stream "$T/out.ndjson" --end --seq 25000 --cursor-last

# a slow job: jobComplete:false answers are polled until it is done
curl -sf -X DELETE "http://$BIGQUERY_EMULATOR_HOST/emulator/faults" > /dev/null
fault '{"incomplete":3}'
bq-pull -c "$T/cfg.yaml" -v --limit 100000 > "$T/out.ndjson" 2> "$T/err"
polls=$(grep 'GET .*/queries/job' "$T/err" | grep -v pageToken | grep -c ': 200$')
[ "$polls" -ge 2 ] || fail "jobComplete:false was not polled ($polls)"
bqtest stream "$T/out.ndjson" --end --seq 25000 --cursor-last

# not retryable: fail fast, one line with the reason, the right exit code
curl -sf -X DELETE "$api/emulator/faults" > /dev/null
fault '{"path":"/queries","status":400,"reason":"invalidQuery","count":1}'
must_fail 78 bq-pull -c "$T/cfg.yaml" > "$T/out2" 2> "$T/err2"
expect_eq 1 "$(wc -l < "$T/err2")" "error lines"
grep -q '^bq-pull: jobs.query: invalidQuery: ' "$T/err2" ||
    fail "message: $(cat "$T/err2")"
fault '{"path":"/queries","status":403,"reason":"accessDenied","count":1}'
must_fail 77 bq-pull -c "$T/cfg.yaml" > "$T/out3" 2> "$T/err3"
grep -q 'accessDenied' "$T/err3" || fail "message: $(cat "$T/err3")"
# no end line after a failure, but an error line: downstream must not take
# it as complete
bqtest stream "$T/out3" --rows 0 --controls begin,error --error-status 77 ||
    fail "output after failure: $(cat "$T/out3")"
