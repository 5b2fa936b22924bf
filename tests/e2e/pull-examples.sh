#!/usr/bin/env bash
# quick
# bq-pull(1)'s EXAMPLES, run as written (config from BQSYNC_CONFIG), plus
# the command-line behaviour around them: --dry-run, --lookback, a closed
# pipe (death by SIGPIPE, nothing on stderr), usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

need_harper
start_emulator
db=$(harper_db)
cfg=$BQSYNC_CONFIG
pl_config "{id: vessel_positions, table: vessel_positions, timestampColumn: timestamp, targetTable: VesselPositions}"
bqapi table test-project maritime vessel_positions \
    '[{"name":"timestamp","type":"TIMESTAMP"},{"name":"mmsi","type":"STRING"},
      {"name":"seq","type":"INT64"}]'
bqtest gen pull-examples > "$T/src.ndjson"
bqapi insert test-project maritime vessel_positions \
    < "$T/src.ndjson" > /dev/null

# EXAMPLE 1, for each worker of 3: together they load the whole table
for w in 0 1 2; do
	bq-pull --worker $w/3 --after "$(bq-checkpoint get --worker $w/3)" |
	    harper-load | bq-checkpoint commit --worker $w/3
done
expect_eq 3000 "$(hcount "$db.VesselPositions")" "Harper rows"
# a second cycle finds nothing new
for w in 0 1 2; do
	bq-pull --worker $w/3 --after "$(bq-checkpoint get --worker $w/3)" \
	    > "$T/again.$w"
	expect_eq 3 "$(wc -l < "$T/again.$w")" "lines of an empty pull"
done

# EXAMPLE 2: the query and the bytes it would scan, no rows
bq-pull --dry-run --worker 0/4 --limit 1000 > "$T/dry"
grep -q '^SELECT \*, FARM_FINGERPRINT(.*) AS _fp FROM `test-project.maritime.vessel_positions` AS _t WHERE ' \
    "$T/dry" || fail "dry run: $(cat "$T/dry")"
grep -q '^-- bytes processed: [0-9][0-9]*$' "$T/dry" ||
    fail "dry run: $(cat "$T/dry")"
grep -q '@n = 4, @i = 0, @limit = 1000' "$T/dry" || fail "dry run params"
! grep -q '"seq"' "$T/dry" || fail "dry run printed rows"

# EXAMPLE 3: head closes the pipe; bq-pull dies of SIGPIPE, silently (the
# rows exceed a pipe buffer, so bq-pull is still writing)
set +o pipefail
bq-pull --no-markers --source-table vessel_positions 2> "$T/pipe.err" |
    head -n 5 > "$T/head"
rc=${PIPESTATUS[0]}
set -o pipefail
expect_eq 5 "$(wc -l < "$T/head")" "head lines"
expect_eq 141 "$rc" "bq-pull status after head closed the pipe"
[ ! -s "$T/pipe.err" ] || fail "stderr: $(cat "$T/pipe.err")"

# --lookback re-reads (cursor - 1s, cursor]; the sync cursor never goes back
c=2025-11-01T12:51:39.250000Z	# the last row
expect_eq 0 "$(bq-pull --after "$c" --no-markers | wc -l)" "rows after $c"
bq-pull --after "$c" --lookback 1s > "$T/lb"
expect_eq 2 "$(grep -vc '@bqsync' "$T/lb")" "rows with --lookback 1s"
# only rows at or before the cursor: not newer
expect_eq "\"cursor\":\"$c\",\"newer\":false" \
    "$(grep -o '"cursor":"[^"]*","newer":[a-z]*' "$T/lb")" \
    "sync line with --lookback"
bq-pull --after 2025-11-01T12:51:39Z --lookback 1s > "$T/lb2"
expect_eq 3 "$(grep -vc '@bqsync' "$T/lb2")" "rows in (08, 09.25]"

# usage errors: 64
must_fail 64 bq-pull --worker 3/3
must_fail 64 bq-pull --worker x
# i/N is one rule for every tool (hash_parse_worker): no signs, no spaces,
# N at most 1000000, as bq-partition and bq-checkpoint refuse them too.
for w in ' 1/3' '+1/3' '1/+3' '1/2000000'; do
	must_fail 64 bq-pull --worker "$w"
	must_fail 64 bq-partition --worker "$w" < /dev/null
done
must_fail 64 bq-pull --partition modulo
must_fail 64 bq-pull --after yesterday
must_fail 64 bq-pull --lookback soon
must_fail 64 bq-pull extra-operand
grep -q '^usage: bq-pull' <<< "$(bq-pull -h)"
expect_eq "bq-pull 0.1.0" "$(bq-pull -V)" version
