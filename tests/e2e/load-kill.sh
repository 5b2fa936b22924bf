#!/usr/bin/env bash
# harper-load killed with SIGKILL at random moments and rerun from the
# checkpoint that bq-checkpoint stored, until one run completes: Harper ends
# with exactly the source rows.  The first runs are killed after a random
# 0.3-2.5 s; later runs are left to finish, so the loop is bounded.
. "$(dirname "$0")/lib.sh"
load_setup -t kill Kill -i timestamp 'batchRows: 400' 'inFlight: 3'
# 30,000 rows in groups of 7 equal timestamps: batches split groups.
genrows 30000 7 > "$T/rows.ndjson"
RANDOM=4242
kills=0 runs=0 done=
while [ -z "$done" ]; do
	runs=$((runs + 1))
	[ "$runs" -le 40 ] || fail "not done after 40 runs"
	cursor=$(bq-checkpoint -c "$cfg" -t kill get)
	bqtest after "$cursor" "$T/rows.ndjson" > "$T/in.ndjson"
	sh -c 'echo $$ > "$1"; exec harper-load -q -c "$2" -t kill "$3"' sh \
	    "$T/hl.pid" "$cfg" "$T/in.ndjson" |
	    bq-checkpoint -c "$cfg" -t kill commit &
	pipe=$!
	if [ "$runs" -le 8 ]; then
		sleep "$((RANDOM % 23 + 3))e-1"
		kill -KILL "$(cat "$T/hl.pid")" 2>/dev/null && kills=$((kills + 1))
	fi
	rc=0
	wait "$pipe" || rc=$?
	case $rc in
	0) done=1 ;;
	137) ;;
	*) fail "run $runs: exit $rc" ;;
	esac
	say "run $runs from '${cursor:-start}': exit $rc"
done
[ "$kills" -ge 3 ] || fail "only $kills runs were killed"
expect_eq 30000 "$(checkrows "$T/rows.ndjson" "$db.Kill")" "rows"
last=$(tail -n 1 "$T/rows.ndjson" | jget timestamp)
expect_eq "$last" "$(bq-checkpoint -c "$cfg" -t kill get)" "final cursor"
say "ok: $runs runs, $kills killed"
