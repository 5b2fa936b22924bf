#!/usr/bin/env bash
# bq-verify: the three maritime tables are synced, then BigQuery and Harper
# are made to disagree in every way at once: late rows with old timestamps,
# rows deleted and rows updated in place by DML in BigQuery, a new column
# with values, rows deleted from Harper and foreign rows added to Harper.  bq-verify reports
# exactly those rows, by kind, and exits 3; --repair --prune fixes them; a
# second bq-verify exits 0 and Harper equals BigQuery field by field.
# VERIFY_WORKERS=3 does the same with three workers verifying their shares;
# VERIFY_KILLS=K first kills bq-verify --repair --prune with SIGKILL at K
# random instants (verify-drift-workers.sh does both).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 30
maritime-synth -q -c "$cfg" -s 11 initialize 1
for t in $PL_TABLES; do
	pl_sync "$t" 0/1
done
say "synced the three tables (${SECONDS}s)"
N=${VERIFY_WORKERS:-1}

# verify ARGS...: every share, at once; the summaries go to $T/sum, status
# to $vs.
verify() {
	local i rc pids=()
	vs=0
	: > "$T/sum"
	for ((i = 0; i < N; i++)); do
		bq-verify -v -c "$cfg" -w "$i/$N" --format json "$@" > "$T/v.$i" \
		    2> "$T/v.$i.err" &
		pids+=($!)
	done
	for ((i = 0; i < N; i++)); do
		rc=0
		wait "${pids[i]}" || rc=$?
		grep '"kind":"summary"' "$T/v.$i" >> "$T/sum"
		case $rc in
		0) ;;
		3) vs=3 ;;
		*) fail "bq-verify -w $i/$N $*: exit $rc" ;;
		esac
	done
}
# kinds: "TABLE missing extra changed" per table over the shares' summaries.
kinds() {
	bqtest verify kinds "$T/sum" $PL_TABLES
}

verify
expect_eq 0 "$vs" "status of a fresh sync"
expect_eq "vessel_positions 0 0 0
port_events 0 0 0
vessel_metadata 0 0 0" "$(kinds)" "a fresh sync: missing extra changed"

# The drift, every kind at once (`bqtest verify drift` says what and how
# much):
# late rows with old timestamps, rows deleted and updated in place by DML
# in BigQuery, a new column with values, rows deleted from Harper, foreign
# rows added to Harper, and an older version of a natural key.
for t in $PL_TABLES; do pl_dump "$t"; done
bqtest verify drift "$T" "$db"

verify
expect_eq 3 "$vs" "status with drift"
expect_eq "vessel_positions 6 5 0
port_events 3 1 0
vessel_metadata 0 0 1" "$(kinds)" "the drift: missing extra changed"
say "bq-verify found exactly the drift, by kind (${SECONDS}s)"

for ((k = 0; k < ${VERIFY_KILLS:-0}; k++)); do
	bq-verify -q -c "$cfg" -w "$((k % N))/$N" --repair --prune > /dev/null &
	pid=$!
	ms=$((50 + RANDOM % 2450))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
done
[ "${VERIFY_KILLS:-0}" -eq 0 ] || say "killed bq-verify --repair ${VERIFY_KILLS} times"
verify --repair --prune
[ "${VERIFY_KILLS:-0}" -gt 0 ] || expect_eq 3 "$vs" "status of the repair"
say "repaired (${SECONDS}s)"
verify
expect_eq 0 "$vs" "status after the repair"
for t in $PL_TABLES; do
	pl_compare "$t"
done
hsql "SELECT remark FROM $db.PortEvents WHERE remark = 'late with a remark'" |
    grep -q 'late with a remark' || fail "the new column is not visible to SQL"
say ok
