#!/usr/bin/env bash
# What bq-pull's queries bill, as bq-emulator models BigQuery's on-demand
# billing: a backfill of a DAY-partitioned 30-day table by 2 workers bills
# at most 2x the table per worker (one scan, not one per batch); a poll of
# a caught-up worker bills at most the 10 MiB minimum; maximumBytesBilled
# and dailyBytesLimit stop a pull with their messages and exit statuses,
# and nothing is acknowledged past what was loaded.
. "$(dirname "$0")/lib.sh"

need_harper
start_emulator
db=$(harper_db)
cfg() {	# cfg FILE [bigquery key lines...]
	local f=$1
	shift
	{
		printf 'bigquery:\n  projectId: test-project\n  dataset: ds\n'
		for k in "$@"; do printf '  %s\n' "$k"; done
		cat <<YAML
  tables:
    - id: t
      table: t
      timestampColumn: ts
      targetTable: T
harper:
  database: $db
checkpoint:
  path: $T/state.json
YAML
	} > "$f"
}
cfg "$T/cfg.yaml"
bqapi table test-project ds t '[
    {"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"},
    {"name":"mmsi","type":"STRING"},{"name":"lat","type":"FLOAT64"},
    {"name":"lon","type":"FLOAT64"},{"name":"note","type":"STRING"}]' \
    '{"type":"DAY","field":"ts"}'
rows=100000
bqtest gen month --vessel "$rows" > "$T/src.ndjson"
expect_eq $rows "$(bqapi insert test-project ds t \
    < "$T/src.ndjson")" inserted
size=$(bqapi get test-project ds t numBytes)
say "table: $rows rows, $size bytes (tables.get numBytes)"
expect_eq $rows "$(bqapi get test-project ds t numRows)" \
    numRows

billed() {	# the bytesBilled of a bq-pull stream's sync lines, summed
	bqtest sum bytesBilled --control sync "$1"
}

# nothing_acked CFG I/N: no row was acknowledged: the worker's cursor is
# none or the very first instant (the sync line that carried the bill of
# the query before the refused one proves nothing more)
nothing_acked() {
	local c
	c=$(bq-checkpoint -c "$1" get --worker "$2")
	case $c in
	''|0001-01-01T00:00:00*Z) ;;
	*) fail "worker $2: cursor '$c' after a stopped pull" ;;
	esac
}

# a backfill from empty, default batch sizes: each worker's pass
total=0
for w in 0 1; do
	bq-pull -c "$T/cfg.yaml" -w $w/2 -v > "$T/pull.$w" 2> "$T/err.$w"
	b=$(billed "$T/pull.$w")
	total=$((total + b))
	n=$(grep -vc '@bqsync' "$T/pull.$w")
	say "worker $w/2: $n rows, $b bytes billed, $(awk "BEGIN { printf \"%.2f\", $b / $size }")x the table"
	[ "$b" -le $((2 * size)) ] || fail "worker $w/2 billed $b > 2 x $size"
	grep -q '^bq-pull: rows: [0-9]* rows, [0-9]* bytes processed, [0-9]* billed$' \
	    "$T/err.$w" || fail "-v does not show what the query cost"
done
expect_eq $rows "$(cat "$T/pull.0" "$T/pull.1" | grep -vc '@bqsync')" \
    "rows of both workers"
expect_eq "$total" "$(bqtest jobs-billed)" "jobs.list's totalBytesBilled"

# a caught-up worker's poll: the probe alone, at most the 10 MiB minimum
last=$(grep '"sync"' "$T/pull.0" | tail -n 1 |
    jget cursor)
bq-pull -c "$T/cfg.yaml" -w 0/2 --after "$last" -v > "$T/poll" 2> "$T/poll.err"
b=$(billed "$T/poll")
say "a caught-up poll: $b bytes billed"
[ "$b" -le 10485760 ] || fail "a poll of a caught-up worker billed $b"
grep -q '"newer":false' "$T/poll" || fail "poll: $(cat "$T/poll")"
# --dry-run prints what the next pass would scan and bills nothing
before=$(bqtest jobs-billed)
bq-pull -c "$T/cfg.yaml" -w 0/2 --after "$last" --dry-run > "$T/dry"
expect_eq 2 "$(grep -c '^-- bytes processed: [0-9]*$' "$T/dry")" "dry-run estimates"
expect_eq "$before" "$(bqtest jobs-billed)" "bytes billed by --dry-run"

# capped NAME I/N: the pipeline of worker I/N with $T/NAME.yaml, each
# stage's stderr in $T/NAME.{err,load,ckpt}, their statuses in st.
capped() {
	set +o pipefail
	bq-pull -c "$T/$1.yaml" -w "$2" 2> "$T/$1.err" |
	    harper-load -c "$T/$1.yaml" 2> "$T/$1.load" |
	    bq-checkpoint -c "$T/$1.yaml" commit --worker "$2" 2> "$T/$1.ckpt"
	st=("${PIPESTATUS[@]}")
	set -o pipefail
}

# maximumBytesBilled: BigQuery refuses the pass's second query (exit 78);
# the pipeline acknowledges nothing
cfg "$T/cap.yaml" "maximumBytesBilled: 10MiB"
capped cap 0/2
expect_eq 78 "${st[0]}" "bq-pull status under maximumBytesBilled"
grep -q 'would bill more than bigquery.maximumBytesBilled (10485760 bytes)' \
    "$T/cap.err" || fail "message: $(cat "$T/cap.err")"
nothing_acked "$T/cap.yaml" 0/2

# dailyBytesLimit: the probe bills the day's 10 MiB, the next query could
# pass it: exit 75, nothing acknowledged, the bill recorded
cfg "$T/day.yaml" "dailyBytesLimit: 10MiB"
rm -f "$T/state.json"
capped day 1/2
expect_eq 75 "${st[0]}" "bq-pull status under dailyBytesLimit"
grep -q 'bigquery.dailyBytesLimit reached: 10485760 of 10485760 bytes' \
    "$T/day.err" || fail "message: $(cat "$T/day.err")"
nothing_acked "$T/day.yaml" 1/2
rec() {	# rec KEY: worker 1/2's checkpoint record's KEY
	jq -r --arg k "$1" '.checkpoints[]? | select(.checkpointId == "t:1/2") | .[$k]' \
	    "$T/state.json"
}
expect_eq 10485760 "$(rec bytesBilledDay)" "bytesBilledDay recorded"
# the same day, a new run stops before any query
n=$(curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/test-project/jobs?maxResults=1000" |
    bqtest len 'jobs?')
must_fail 75 bq-pull -c "$T/day.yaml" -w 1/2 -v > /dev/null 2> "$T/day2.err"
! grep -q 'probe:' "$T/day2.err" || fail "a query ran past the daily limit"
expect_eq "$n" "$(curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/test-project/jobs?maxResults=1000" |
    bqtest len 'jobs?')" \
    "jobs after the daily limit"
# the next UTC day it goes on (the record's day moved back one day)
bqtest set "$T/state.json" 'checkpoints.*.billingDay' '"2000-01-01"'
must_fail 75 bq-pull -c "$T/day.yaml" -w 1/2 -v > /dev/null 2> "$T/day3.err"
grep -q 'probe:' "$T/day3.err" || fail "the next day: $(cat "$T/day3.err")"
