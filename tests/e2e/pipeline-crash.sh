#!/usr/bin/env bash
# A crash at any instant resumes without loss.  Each cycle of
#   bq-pull -w i/3 --after CURSOR | harper-load | bq-checkpoint commit
# is SIGKILLed at a random moment (victim: bq-pull, harper-load,
# bq-checkpoint or all three), then rerun from the stored cursor.  After
# every cycle the checkpoint's invariant is checked against Harper by an
# independent oracle: every row of the worker's share (bq-partition over
# BigQuery's rows) with ts <= the stored cursor is in Harper; the cursor
# never moves back.  Workers 0 and 2 use the file store, worker 1 the
# harper store.  At the end Harper holds exactly BigQuery's rows.  (A
# cursor that moves back is safe, rows are read again; with the harper
# store it is reported as a warning, with the file store it fails.)
# PL_SEED=n replays a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

seed=${PL_SEED:-$$}
RANDOM=$seed
say "seed $seed"
pl_setup 40
maritime-synth -q -c "$cfg" -s 11 initialize 1
store=(file harper file)
declare -A limit=([vessel_positions]=200 [port_events]=3 [vessel_metadata]=6)
kills=0 cycles=0 maxdelay=400

# crash_cycle TABLE I: one cycle, SIGKILLed at a random moment.
crash_cycle() {
	local t=$1 i=$2 cur victim delay pp hp cp sp=0 sh=0 sc=0 p
	cur=$(pl_get "$t" "$i/3" "${store[$i]}")
	rm -f "$T/f1" "$T/f2"
	mkfifo "$T/f1" "$T/f2"
	bq-pull -q -c "$cfg" -t "$t" -w "$i/3" --after "$cur" --limit "${limit[$t]}" \
	    > "$T/f1" 2>> "$T/pull.err" & pp=$!
	harper-load -q -c "$cfg" -t "$t" -b 100 < "$T/f1" > "$T/f2" 2>> "$T/load.err" & hp=$!
	bq-checkpoint -q -c "$cfg" -t "$t" -w "$i/3" --store "${store[$i]}" commit \
	    < "$T/f2" 2>> "$T/ckpt.err" & cp=$!
	delay=$((RANDOM % maxdelay))
	case $((RANDOM % 4)) in
	0) victim="$pp" ;; 1) victim="$hp" ;; 2) victim="$cp" ;; *) victim="$pp $hp $cp" ;;
	esac
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 $victim 2> /dev/null || true
	# A tool killed before it opened its FIFOs leaves its neighbour
	# blocked in open(2): open each FIFO read-write (never blocks) and
	# close it, so every open completes and every reader sees its end.
	exec 7<> "$T/f1" 8<> "$T/f2"
	exec 7>&- 8>&-
	wait "$pp" || sp=$?
	wait "$hp" || sh=$?
	wait "$cp" || sc=$?
	cycles=$((cycles + 1))
	last="$sp $sh $sc"
	# Aim at the middle of a cycle: the delay bound follows its length.
	if [[ " $last " == *" 137 "* ]]; then
		kills=$((kills + 1))
		maxdelay=$((maxdelay * 5 / 4 + 1))
	else
		maxdelay=$((maxdelay * 3 / 4 + 10))
	fi
	echo "$t $i/3 after '$cur': kill $victim (of $pp $hp $cp) at ${delay}ms: exits $last" >> "$T/cycles"
}

for t in $PL_TABLES; do
	pl_info "$t"
	pl_dump "$t"
	for i in 0 1 2; do
		pl_share "$t" "$i/3"
	done
	# The target table is created by one cycle nothing kills: a harper-load
	# killed inside Harper's create_table was seen to leave a table that
	# later loads could not use (rows with a null id; under investigation,
	# see the closing note of issue 2).  Crashes start once the table exists.
	bq-pull -q -c "$cfg" -t "$t" -w 0/3 --after "$(pl_get "$t" 0/3 "${store[0]}")" --limit 1 |
	    harper-load -q -c "$cfg" -t "$t" |
	    bq-checkpoint -q -c "$cfg" -t "$t" -w 0/3 --store "${store[0]}" commit
	declare -A done_=()
	for round in $(seq 40); do
		for i in 0 1 2; do
			[ -z "${done_[$i]:-}" ] || continue
			before=$(pl_get "$t" "$i/3" "${store[$i]}")
			crash_cycle "$t" "$i"
			after=$(pl_get "$t" "$i/3" "${store[$i]}")
			# Moving back is safe (rows are read again), but the file
			# store never does it; one run saw the harper store do so.
			if [[ "$after" < "$before" ]]; then
				[ "${store[$i]}" = harper ] || fail "$t $i/3: cursor moved back from $before to $after"
				say "$t $i/3: warning: the harper store's cursor moved back from '$before' to '$after'"
			fi
			n=$(compare covered "$db.$TARGET" "$T/share.$t.$i.3" "$after") ||
			    fail "$t $i/3: the checkpoint ran ahead of Harper (round $round, exits $last)"
			# caught up: a cycle that nothing killed moved nothing
			if [ "$last" = "0 0 0" ] && [ "$after" = "$before" ]; then
				done_[$i]=1
				say "$t $i/3: caught up in round $round ($n rows covered)"
			fi
		done
		[ "${#done_[@]}" -lt 3 ] || break
	done
	# Bounded: whatever the crashes left, plain cycles finish the job.
	for i in 0 1 2; do
		pl_sync "$t" "$i/3" "${store[$i]}" "${limit[$t]}"
		n=$(compare covered "$db.$TARGET" "$T/share.$t.$i.3" "$(pl_get "$t" "$i/3" "${store[$i]}")")
		expect_eq "$(wc -l < "$T/share.$t.$i.3")" "$n" "$t $i/3: rows covered by the final cursor"
	done
	pl_compare "$t"
	unset done_
done
say "$cycles cycles, $kills of them killed"
[ "$kills" -ge 8 ] || fail "only $kills cycles were killed while running"
# Both stores were used: worker 1's records are in Harper, one per table,
# an empty share's too (its sync line, "newer": false, is stored: the
# worker is seen alive), with 0 rows.  A share is empty now and then: port
# events fall into the 3 shares as their keys hash.
hsql "SELECT tableId, nodeId, clusterSize, recordsIngested FROM $db.SyncCheckpoint" \
    > "$T/ckpt-records.json"
for t in $PL_TABLES; do
	got=$(jq -r --arg t "$t" '[.[] | select(.tableId == $t and .nodeId == 1 and
	    .clusterSize == 3)] | "\(length) \(.[0].recordsIngested)"' "$T/ckpt-records.json")
	[ "${got%% *}" = 1 ] || fail "$t 1/3: ${got%% *} harper store records, not 1"
	[ -s "$T/share.$t.1.3" ] || expect_eq 0 "${got#* }" "$t 1/3 (empty share): rows ingested"
done
expect_eq "$(wc -w <<< "$PL_TABLES")" "$(jq length "$T/ckpt-records.json")" "harper store records"
say ok
