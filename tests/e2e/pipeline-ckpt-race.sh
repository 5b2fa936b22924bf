#!/usr/bin/env bash
# The harper checkpoint store after a killed commit: bq-checkpoint commit
# (cursor ...01) is SIGKILLed within its first 150 ms on a checkpoint table
# that does not exist yet (so it dies creating the table, upserting, or
# before); then a commit of cursor ...02 succeeds (exit 0).  The stored cursor must
# be ...02, now and a second later: nothing the killed process left in
# flight overrides the later commit.  Several rounds, since what the kill
# interrupts depends on timing.  Each round names a table of its own
# (checkpoint.table) rather than dropping and re-creating the database:
# Harper 4.7.29 once failed to open a database re-created this way ("No
# transaction to renew"), which is Harper's race, not the one tested here.
. "$(dirname "$0")/lib.sh"

need_harper
db=$(harper_db)
ack='{"table":"t1","rows":5,"total":5,"cursor":"2025-11-01T00:00:0%d.000000Z"}'
ck() { bq-checkpoint -q -c "$T/cfg.yaml" -t t1 -w 1/3 --store harper "$@"; }
RANDOM=${PL_SEED:-$$}
bad=0
for r in $(seq 40); do
	printf 'harper:\n  database: %s\ncheckpoint:\n  table: Ckpt%d\n' "$db" "$r" > "$T/cfg.yaml"
	printf "$ack\n" 1 > "$T/a1"
	# not through the function: $! must be bq-checkpoint itself
	bq-checkpoint -q -c "$T/cfg.yaml" -t t1 -w 1/3 --store harper commit < "$T/a1" & p=$!
	sleep "0.$(printf %03d $((RANDOM % 150)))"
	kill -9 $p 2> /dev/null || true
	wait $p 2> /dev/null || true
	printf "$ack\n" 2 | ck commit
	g1=$(ck get)
	sleep 1
	g2=$(ck get)
	if [ "$g1" != 2025-11-01T00:00:02.000000Z ] || [ "$g2" != "$g1" ]; then
		say "round $r: committed ...02, then get says '$g1', a second later '$g2'"
		bad=$((bad + 1))
	fi
done
expect_eq 0 "$bad" "rounds in which a successful commit was lost"
say ok
