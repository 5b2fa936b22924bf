#!/usr/bin/env bash
# maritime-synth's BigQuery mode against bq-emulator: initialize 7 with a
# small configured rate, stats, clear (keeps the schema, empties), reset 2,
# and start keeping the two-day window over a simulated day.  Counts and
# time ranges are checked with queries of our own through curl.  stats
# shows sizes, rows per vessel type and time spans; clear, clean and reset
# refuse (75) while a start runs on the dataset, and a killed start leaves
# no lock behind.
. "$(dirname "$0")/lib.sh"

start_emulator
cat > "$T/synth.yaml" <<YAML
bigquery:
  projectId: synthtest
  dataset: maritime
synthesizer:
  vessels: 40
  batchSize: 10
  generationInterval: 1h
  retentionDays: 2
  cleanupInterval: 6h
  loadRows: 1000
YAML
# (The man page's EXAMPLES, with this configuration.)
ms() { maritime-synth -c "$T/synth.yaml" -s 1 "$@"; }

# q SQL: the first row of a query, as tab-separated values.
q() {
	bqtest bq-query --project synthtest "$1"
}
count() { q "SELECT COUNT(*) FROM \`synthtest.maritime.$1\`"; }
now_us() { bqtest now-us; }
DAY=86400000000

# initialize 7: 10 positions an hour for a week, every vessel's metadata.
t0=$(now_us)
ms initialize 7
t1=$(now_us)
expect_eq 1680 "$(count vessel_positions)" "positions after initialize 7"
expect_eq 40 "$(count vessel_metadata)" "metadata after initialize 7"
[ "$(count port_events)" -gt 40 ] || fail "too few port events"
read -r lo hi <<< "$(q 'SELECT MIN(timestamp), MAX(timestamp) FROM `synthtest.maritime.vessel_positions`')"
[ "$lo" -ge $((t0 - 7 * DAY)) ] && [ "$lo" -lt $((t0 - 7 * DAY + 3600000000)) ] ||
    fail "oldest position $lo is not a week ago"
[ "$hi" -le "$t1" ] && [ "$hi" -gt $((t1 - 3600000000)) ] || fail "newest position $hi is not now"
expect_eq 40 "$(q 'SELECT COUNT(DISTINCT mmsi) FROM `synthtest.maritime.vessel_positions`')" \
    "vessels in positions"
# The tables are partitioned and clustered as documented.
curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/synthtest/datasets/maritime/tables/vessel_positions" |
    bqtest check synth-bigquery-table || fail "vessel_positions table definition"

# stats: JSON lines that agree with the queries.
ms stats > "$T/stats"
bqtest check synth-bigquery-stats "$T/stats" || fail "stats output"

# clear: empty tables that keep their schema; stats still answers.
ms clear
for t in vessel_positions port_events vessel_metadata; do
	expect_eq 0 "$(count $t)" "$t after clear"
done
curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/synthtest/datasets/maritime/tables/port_events" |
    bqtest len schema.fields | grep -qx 8 || fail "port_events lost its schema"
grep -q '"rows":0' <<< "$(ms stats)" || fail "stats after clear"

# reset 2: two days again.
ms reset 2
expect_eq 480 "$(count vessel_positions)" "positions after reset 2"

# start over a simulated day: the window is kept at two days.
until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
ms start --speedup 86400 --until "$until"
read -r n lo hi <<< "$(q 'SELECT COUNT(*), MIN(timestamp), MAX(timestamp) FROM `synthtest.maritime.vessel_positions`')"
end=$(bqtest us "$until")
[ "$hi" -le "$end" ] && [ "$hi" -gt $((end - 2 * 3600000000)) ] ||
    fail "newest position $hi is not at the simulated end $end"
[ "$lo" -ge $((end - 2 * DAY - 2 * 3600000000)) ] || fail "rows older than the retention remain ($lo)"
[ "$lo" -lt $((end - 2 * DAY + 2 * 3600000000)) ] || fail "the window is not two days ($lo)"
[ "$n" -ge 450 ] && [ "$n" -le 500 ] || fail "$n positions in a two-day window at 10/h"
for t in port_events vessel_metadata; do
	col=event_time
	[ $t = vessel_metadata ] && col=last_updated
	lo=$(q "SELECT MIN($col) FROM \`synthtest.maritime.$t\`")
	[ "$lo" -ge $((end - 2 * DAY - 2 * 3600000000)) ] || fail "$t keeps old rows"
done

# An existing empty table is not an error: start backfills the window.
ms clear
until=$(bqtest iso-in 7200)
ms start --speedup 86400 --until "$until" 2> "$T/start.err"
n=$(count vessel_positions)
[ "$n" -ge 480 ] && [ "$n" -le 500 ] || fail "$n positions after start on empty tables"
# A simulated day in few load jobs: rows are loaded every 5 minutes at most.
grep -q 'start: .* in [1-6] load jobs' "$T/start.err" || fail "too many load jobs: $(cat "$T/start.err")"

# SIGTERM ends start cleanly, after loading what it generated.
ms clear
maritime-synth -c "$T/synth.yaml" -s 1 start --speedup 3600 --no-backfill &
pid=$!
cleanup "kill $pid"
for i in $(seq 600); do	# until its first rows are in
	[ "$(count vessel_positions)" -gt 0 ] && break
	kill -0 $pid 2> /dev/null || fail "start exited early"
	sleep 0.1
done
# While start runs on the dataset, clear, clean and reset refuse (75).
must_fail 75 ms clear
must_fail 75 ms reset 1
must_fail 75 ms clean
msg=$(ms clear 2>&1) || true
case $msg in
*"clear: a start is running on dataset 'maritime'"*) ;;
*) fail "no clear message for the refusal: $msg" ;;
esac
before=$(count vessel_positions)
kill -TERM $pid
wait $pid || fail "start did not end cleanly on SIGTERM (status $?)"
[ "$(count vessel_positions)" -ge "$before" ] || fail "rows lost at SIGTERM"
# A start killed outright leaves no stuck lock.
maritime-synth -c "$T/synth.yaml" -s 1 start --speedup 3600 --no-backfill &
pid=$!
locked=
for i in $(seq 600); do
	ms clear 2> /dev/null || { locked=1; break; }	# start holds the lock
	sleep 0.1
done
[ -n "$locked" ] || fail "start never took the dataset's lock"
kill -KILL $pid
wait $pid || true
ms clear
# Only a start holds the lock exclusively: a start waits for a clear,
# clean or reset (shared holders) to end, and refuses another start.
lock=/tmp/maritime-synth.$BIGQUERY_EMULATOR_HOST.synthtest.maritime.lock
flock -s "$lock" sleep 2 &
holder=$!
sleep 0.3
maritime-synth -c "$T/synth.yaml" -s 1 start --speedup 3600 --no-backfill \
    --until "$(date -u -d '+10 min' +%FT%TZ)" 2> "$T/wait.err" ||
	fail "start did not wait for a shared holder: $(cat "$T/wait.err")"
grep -q 'waiting for a clear, clean or reset' "$T/wait.err" ||
	fail "start did not say it waits: $(cat "$T/wait.err")"
wait $holder
flock -x "$lock" sleep 2 &
holder=$!
sleep 0.3
must_fail 75 ms start --no-backfill
wait $holder
ms clear

# Configuration and usage errors.
must_fail 64 ms initialize nine
must_fail 64 ms stats extra
# Streaming inserts (insertAll, 500 rows a request) instead of load jobs.
ms clear
ms --streaming initialize 1 2> "$T/stream.err"
expect_eq 240 "$(count vessel_positions)" "positions streamed"
expect_eq 40 "$(count vessel_metadata)" "metadata streamed"
grep -q 'insertAll requests' "$T/stream.err" || fail "not streamed: $(cat "$T/stream.err")"

# Without a seed, runs over one dataset share one fleet (seed from its name).
ms clear
maritime-synth -c "$T/synth.yaml" initialize 1
maritime-synth -c "$T/synth.yaml" initialize 1
expect_eq 480 "$(count vessel_positions)" "positions of two runs"
expect_eq 40 "$(q 'SELECT COUNT(DISTINCT mmsi) FROM `synthtest.maritime.vessel_positions`')" \
    "vessels of two unseeded runs"

ms clean
expect_eq 0 "$(curl -s "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/synthtest/datasets/maritime/tables" |
    bqtest len 'tables?')" "tables after clean"
must_fail 78 maritime-synth -c /dev/null stats
say ok
