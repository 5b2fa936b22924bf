#!/usr/bin/env bash
# quick
# The whole sync path with the real binaries: maritime-synth fills
# bq-emulator; for each table, 3 workers loop
#   bq-pull -w i/3 --after CURSOR | harper-load | bq-checkpoint commit
# until caught up; Harper then holds exactly BigQuery's rows, field by
# field (vessel_metadata: the latest row per mmsi).  More rows are added
# with maritime-synth start; a second sync pulls exactly the new rows and
# Harper is again exactly BigQuery.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 60
maritime-synth -q -c "$cfg" -s 7 initialize 2
for t in $PL_TABLES; do
	for i in 0 1 2; do
		pl_sync "$t" "$i/3"
	done
done
declare -A before
for t in $PL_TABLES; do
	pl_compare "$t"
	before[$t]=$(wc -l < "$T/src.$t")
	# the three shares partition the table
	pl_share "$t" 0/3; pl_share "$t" 1/3; pl_share "$t" 2/3
	expect_eq "${before[$t]}" "$(cat "$T"/share."$t".?.3 | wc -l)" "$t: shares"
	for i in 0 1 2; do
		[ -s "$T/share.$t.$i.3" ] || fail "$t: worker $i/3 owns no rows"
	done
done
[ "${before[vessel_positions]}" -ge 4000 ] || fail "too few positions: ${before[vessel_positions]}"

# Twelve more simulated hours: new positions, port calls and metadata.
until=$(date -u -d '+12 hours' +%Y-%m-%dT%H:%M:%SZ)
maritime-synth -q -c "$cfg" -s 7 start --no-backfill --speedup 86400 --until "$until"
for t in $PL_TABLES; do
	: > "$T/pull2.$t"
	for i in 2 1 0; do
		PL_TEE=$T/pull2.$t pl_sync "$t" "$i/3"
	done
	pl_compare "$t"
	new=$(( $(wc -l < "$T/src.$t") - ${before[$t]} ))
	[ "$new" -gt 0 ] || fail "$t: maritime-synth start added no rows"
	expect_eq "$new" "$(grep -vc '"@bqsync"' "$T/pull2.$t")" "$t: rows pulled by the second sync"
	say "$t: the second sync pulled exactly the $new new rows"
done
say ok
