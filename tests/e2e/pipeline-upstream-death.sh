#!/usr/bin/env bash
# quick
# The upstream dies in the middle of a large group of equal timestamps:
# 5 rows, then 4,000 rows sharing one timestamp, then 5 rows.  The pipeline
#   bq-pull | harper-load | bq-checkpoint commit
# is cut (A) by head -n at a line boundary, (B) by head -c in the middle of
# a line, (C) by SIGKILL of bq-pull while it is blocked writing the group.
# Each time harper-load must exit 65 without acknowledging the group (the
# stored cursor is the 5th row's timestamp, before the group), and the next
# full cycles complete the group: Harper then has exactly BigQuery's rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup
pl_config '{id: ties_a, table: ties_a, timestampColumn: ts, targetTable: ties_a}' \
    '{id: ties_b, table: ties_b, timestampColumn: ts, targetTable: ties_b}' \
    '{id: ties_c, table: ties_c, timestampColumn: ts, targetTable: ties_c}'
bqtest gen pipeline-upstream-death > "$T/rows.ndjson"
before_group=2025-11-01T00:00:04.000001Z
for t in ties_a ties_b ties_c; do
	bqapi table test-project maritime $t '[{"name":"ts","type":"TIMESTAMP"},
	    {"name":"seq","type":"INT64"}, {"name":"pad","type":"STRING"}]'
	expect_eq 4010 "$(bqapi insert test-project maritime $t < "$T/rows.ndjson")" inserted
done
pull() { bq-pull -q -c "$cfg" -t "$1" --limit 1000; }
load() { harper-load -q -c "$cfg" -t "$1" -b 200 2> "$T/load.err.$1"; }
commit() { bq-checkpoint -q -c "$cfg" -t "$1" commit; }

# check_cut TABLE STATUS MESSAGE: harper-load's exit and message, the
# stored cursor.  (A cut inside a line ends on that line: invalid JSON.)
check_cut() {
	expect_eq 65 "$2" "$1: harper-load's exit status"
	grep -Eq "$3" "$T/load.err.$1" ||
	    fail "$1: harper-load said: $(cat "$T/load.err.$1")"
	expect_eq "$before_group" "$(pl_get "$1" 0/1)" "$1: cursor after the cut"
	n=$(hcount "$db.$1")
	[ "$n" -ge 205 ] && [ "$n" -lt 4010 ] || fail "$1: $n rows in Harper after the cut"
	say "$1: cut in the group: exit 65, cursor $before_group, $n rows loaded"
}

# finish TABLE: full cycles until caught up; Harper equals BigQuery.
finish() {
	pl_sync "$1" 0/1
	expect_eq 2025-11-01T00:00:14.000001Z "$(pl_get "$1" 0/1)" "$1: final cursor"
	pl_compare "$1"
	expect_eq 4010 "$(hcount "$db.$1")" "$1: rows in Harper"
}

# A: the stream ends at a line boundary inside the group.
st=0
pull ties_a | head -n 2000 | load ties_a | commit ties_a || st=("${PIPESTATUS[@]}")
check_cut ties_a "${st[2]:-0}" "input ended before the end marker"
finish ties_a

# B: the stream ends in the middle of a line inside the group.
st=0
pull ties_b | head -c 150000 | load ties_b | commit ties_b || st=("${PIPESTATUS[@]}")
check_cut ties_b "${st[2]:-0}" "<stdin>:[0-9]+: invalid JSON"
finish ties_b

# C: bq-pull SIGKILLed while it is blocked writing the group: a relay
# passes its lines on slowly and says when 1,000 went through.
rm -f "$T/f1" "$T/f2" "$T/f3" "$T/half"
mkfifo "$T/f1" "$T/f2" "$T/f3"
bq-pull -q -c "$cfg" -t ties_c --limit 1000 > "$T/f1" & pp=$!	# not the function: $! must be bq-pull
cleanup "kill -9 $pp"
"$PY" "$top/tests/e2e/bqtest.py" relay "$T/half" 1000 500 < "$T/f1" > "$T/f2" & rp=$!
load ties_c < "$T/f2" > "$T/f3" & hp=$!
tee "$T/acks" < "$T/f3" | commit ties_c & cp=$!
for i in $(seq 1200); do
	[ -e "$T/half" ] && break
	kill -0 $rp 2> /dev/null || break
	sleep 0.1
done
[ -e "$T/half" ] || fail "ties_c: the relay did not pass 1,000 lines"
kill -0 $pp 2> /dev/null || fail "ties_c: bq-pull ended before the kill"
kill -9 $pp
sp=0 sh=0 sc=0
wait $pp || sp=$?
wait $rp || fail "ties_c: the relay failed"
wait $hp || sh=$?
wait $cp || sc=$?
expect_eq 137 "$sp" "ties_c: bq-pull killed"
expect_eq 0 "$sc" "ties_c: bq-checkpoint commit"
check_cut ties_c "$sh" "input ended before the end marker|<stdin>:[0-9]+: invalid JSON"
finish ties_c
say ok
