#!/usr/bin/env bash
# Rebalancing: part of each table is synced by 2 workers, then the cluster
# grows to 3.  A new worker has no checkpoint for N=3 and starts from the
# minimum cursor of the 2-worker layout (bq-checkpoint get), which is safe
# because the upserts are idempotent; the 3 workers finish the sync and
# Harper holds exactly BigQuery's rows.  vessel_positions keeps its
# checkpoints in a file, port_events in Harper.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 60
maritime-synth -q -c "$cfg" -s 5 initialize 2
declare -A store=([vessel_positions]=file [port_events]=harper)
declare -A limit=([vessel_positions]=500 [port_events]=4)
for t in vessel_positions port_events; do
	s=${store[$t]} n=${limit[$t]}
	pl_info "$t"
	pl_dump "$t"
	# Two cycles of each of 2 workers: part of the table.
	for i in 0 1; do
		pl_cycle "$t" "$i/2" "$s" "$n"
		pl_cycle "$t" "$i/2" "$s" "$n"
		pl_share "$t" "$i/2"
	done
	c0=$(pl_get "$t" 0/2 "$s") c1=$(pl_get "$t" 1/2 "$s")
	[ -n "$c0" ] && [ -n "$c1" ] || fail "$t: no cursors after two cycles"
	compare covered "$db.$TARGET" "$T/share.$t.0.2" "$c0" "$T/share.$t.1.2" "$c1" > /dev/null ||
	    fail "$t: 2-worker checkpoints ran ahead"
	partial=$(hcount "$db.$TARGET")
	[ "$partial" -lt "$(wc -l < "$T/src.$t")" ] || fail "$t: already complete with 2 workers"
	min=$c0
	[[ "$c1" > "$c0" ]] || min=$c1
	# The new layout: every worker of 3 starts from the old minimum.
	for i in 0 1 2; do
		expect_eq "$min" "$(pl_get "$t" "$i/3" "$s")" "$t: cursor of new worker $i/3"
	done
	bq-checkpoint -c "$cfg" -t "$t" -w 2/3 --store "$s" -v get 2> "$T/rebalance.err" > /dev/null
	grep -qi 'rebalanc\|layout\|minimum' "$T/rebalance.err" ||
	    fail "$t: -v does not say where the cursor came from: $(cat "$T/rebalance.err")"
	for i in 2 0 1; do
		pl_sync "$t" "$i/3" "$s" "$n"
	done
	pl_compare "$t"
	say "$t: $partial rows with 2 workers, cursor $min for 3, then exact"
done
# The old layout's records stay until reset; the new ones are there too.
bq-checkpoint -c "$cfg" -t port_events --store harper status > "$T/status"
expect_eq 5 "$(grep -c '"port_events"' "$T/status")" "port_events checkpoints (2 + 3)"
say ok
