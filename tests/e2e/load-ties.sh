#!/usr/bin/env bash
# quick
# harper-load: a group of equal timestamps larger than two batches, loaded
# and killed (SIGKILL) in the middle of the group, then resumed from the
# checkpoint that bq-checkpoint stored: the cursor lagged the split group,
# and after the resume Harper holds exactly the source rows.
. "$(dirname "$0")/lib.sh"
load_setup -t ties Ties 'batchRows: 500' 'inFlight: 2'
# 300 distinct timestamps, one group of 2,000 rows, 300 distinct again.
{
	genrows 300 1 0
	genrows 2000 2000 300000000
	genrows 300 1 301000000
} > "$T/rows.ndjson"
before_group=$(sed -n 300p "$T/rows.ndjson" | jget timestamp)
group=$(sed -n 301p "$T/rows.ndjson" | jget timestamp)

# Feed 1,500 rows (ending inside the group) and keep the pipe open, so the
# load cannot know whether the group is complete; kill it after two acks.
mkfifo "$T/in"
(head -n 1500 "$T/rows.ndjson"; exec sleep 600) > "$T/in" &
feeder=$!
cleanup "kill $feeder"
sh -c 'echo $$ > "$1"; exec harper-load -q -c "$2" -t ties < "$3"' sh \
    "$T/hl.pid" "$cfg" "$T/in" | tee "$T/acks1" |
    bq-checkpoint -c "$cfg" -t ties commit &
pipe=$!
for i in $(seq 3000); do
	[ "$(wc -l < "$T/acks1")" -ge 2 ] && break
	kill -0 "$pipe" 2>/dev/null || fail "load ended early"
	sleep 0.1
done
[ "$(wc -l < "$T/acks1")" -ge 2 ] || fail "no acks"
kill -KILL "$(cat "$T/hl.pid")"
rc=0
wait "$pipe" || rc=$?
expect_eq 137 "$rc" "killed pipeline status"
kill "$feeder"

cursor=$(bq-checkpoint -c "$cfg" -t ties get)
expect_eq "$before_group" "$cursor" "cursor after the kill (lags the split group)"
n=$(hcount "$db.Ties")
[ "$n" -ge 1000 ] || fail "only $n rows in Harper before the kill"

# Resume: only rows after the cursor.
bqtest after "$cursor" "$T/rows.ndjson" > "$T/rest.ndjson"
[ "$(grep -c "$group" "$T/rest.ndjson")" -eq 2000 ] || fail "resume lacks the group"
harper-load -q -c "$cfg" -t ties "$T/rest.ndjson" | tee "$T/acks2" |
    bq-checkpoint -c "$cfg" -t ties commit

expect_eq 2600 "$(checkrows "$T/rows.ndjson" "$db.Ties")" "rows"
last=$(tail -n 1 "$T/rows.ndjson" | jget timestamp)
expect_eq "$last" "$(bq-checkpoint -c "$cfg" -t ties get)" "final cursor"

# Acks inside the group never claim it before it is complete.  An ack's
# cursor speaks for every batch Harper has confirmed when it is written,
# not only for its own: with inFlight 2 the window holds the acked batch
# and at most one more (500 rows), so the ack of the third batch may
# already claim the group when the fourth was confirmed first.  Only an
# ack written before 2,000 of the resumed rows can have been confirmed
# must leave the group unclaimed.
bqtest acks "$T/acks2" --min-count 5 --unclaimed "$group:1500" ||
    fail "an ack claimed the incomplete group"
say "ok"
