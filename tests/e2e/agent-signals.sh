#!/usr/bin/env bash
# bq-sync as a daemon (bq-pull --follow pipelines): it syncs every table
# and keeps up as rows arrive; SIGTERM stops it with exit 0 and nothing
# lost (a restart completes Harper exactly); kill -9 leaves no stage
# running; a second bq-sync finds the tables locked and runs no duplicate
# pipeline; `bq-checkpoint control stop` pauses it within the poll
# interval, `start` resumes it; SIGHUP rereads the config (a table
# removed, then added back) and loses or duplicates nothing; with
# --harper, nothing runs before Harper says where this node stands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 20
cat >> "$cfg" <<'YAML'
sync:
  initialPollInterval: 200
  catchupPollInterval: 200
  pollInterval: 500
YAML
maritime-synth -q -c "$cfg" -s 7 initialize 1
# more FROM TO: maritime-synth adds rows of simulated hours FROM to TO
# after t0, which is after every row so far (rows behind a cursor would be
# late rows, see sync.lookback; t0 is set once the first rows are synced)
more() {
	maritime-synth -q -c "$cfg" -s 7 start --no-backfill --speedup 86400 \
	    --start "$(date -u -d "@$((t0 + $1 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
	    --until "$(date -u -d "@$((t0 + $2 * 3600))" +%Y-%m-%dT%H:%M:%SZ)"
}
synced() {	# every table equal to BigQuery, within a bound
	local t i
	for i in $(seq 120); do
		for t in $PL_TABLES; do
			pl_info "$t"; pl_dump "$t"
			compare compare "$T/src.$t" "$db.$TARGET" $KEY \
			    > /dev/null 2>&1 || continue 2
		done
		return 0
	done
	return 1
}
start_sync() {	# start_sync LOG: bq-sync in the background, pid in $sp
	local log=$1
	shift
	bq-sync -c "$cfg" -w 0/1 "$@" 2> "$log" &
	sp=$!
	cleanup "kill -9 $sp"
}

# --harper before Harper answers: no pipeline (every node would guess 0/1)
nowhere=http://127.0.0.1:$(free_port)
HARPER_URL=$nowhere bq-sync -c "$cfg" --harper 2> "$T/h.log" &
h=$!
cleanup "kill -9 $h"
for i in $(seq 30); do
	[ "$(stages "$h")" -eq 0 ] || fail "bq-sync --harper ran stages without Harper"
	sleep 0.1
done
grep -q "no pipeline until this node knows its place" "$T/h.log" ||
    fail "bq-sync --harper without Harper: $(cat "$T/h.log")"
kill -TERM "$h"; wait "$h" || fail "bq-sync --harper without Harper: exit $?"
[ -s "$T/state.json" ] && fail "a checkpoint without Harper: $(cat "$T/state.json")"
say "--harper: no pipeline until Harper answers"

start_sync "$T/a.log"
synced || fail "not synced: $(tail "$T/a.log")"
say "bq-sync synced all three tables"
wait_stages "$sp" 9 10 "stages running (3 tables x 3)"

# a second bq-sync on the same host: locked out, no duplicate pipeline
bq-sync -v -c "$cfg" -w 0/1 2> "$T/b.log" &
b=$!
sleep 3
grep -q "is locked: another bq-sync runs it" "$T/b.log" ||
    fail "second bq-sync: $(cat "$T/b.log")"
expect_eq 0 "$(stages "$b")" "stages of the second bq-sync"
kill -TERM "$b"; wait "$b" || fail "second bq-sync: exit $?"

# SIGTERM in the middle of new rows: exit 0, then a restart completes
t0=$(($(date -u +%s) + 600))
more 0 6 &
m=$!
sleep 1
before=$(wc -l < "$T/a.log")
kill -TERM "$sp"
rc=0; wait "$sp" || rc=$?
expect_eq 0 "$rc" "bq-sync exit status after SIGTERM"
tail -n +"$((before + 1))" "$T/a.log" | grep "exited" && fail "a stage failed on SIGTERM: $(cat "$T/a.log")"
wait "$m"
start_sync "$T/c.log"
synced || fail "not synced after SIGTERM and restart: $(tail "$T/c.log")"
say "SIGTERM: exit 0, nothing lost"

# kill -9: every stage dies with it
for i in $(seq 100); do [ "$(stages "$sp")" -eq 9 ] && break; sleep 0.1; done
kids=$(pgrep -P "$sp" | tr '\n' ' ')
[ -n "$kids" ] || fail "no stages to orphan"
kill -9 "$sp"; wait "$sp" 2>/dev/null || true
alive() {	# pids of $kids still running (zombies awaiting a reaper are dead)
	local k
	for k in $kids; do
		case $(ps -o stat= -p "$k" 2>/dev/null) in
		''|Z*) ;;
		*) echo "$k" ;;
		esac
	done
}
for i in $(seq 50); do [ -z "$(alive)" ] && break; sleep 0.1; done
[ -z "$(alive)" ] || fail "stages outlived bq-sync: $(ps -o pid,stat,args -p "$(alive | tr '\n' ,)")"
say "kill -9: no stage outlived bq-sync"

# control stop pauses within the poll interval, start resumes
start_sync "$T/d.log"
synced || fail "not synced after kill -9 and restart"
bq-checkpoint -c "$cfg" control stop
wait_stages "$sp" 0 8 "stages after control stop (8 s)"
sleep 2
expect_eq 0 "$(stages "$sp")" "stages 2 s after control stop"
bq-checkpoint -c "$cfg" control start
wait_stages "$sp" 9 8 "stages after control start (8 s)"
synced || fail "not synced after control start: $(tail "$T/d.log")"
grep -q "SyncControl stop: pausing" "$T/d.log" || fail "no pause logged"
say "control stop paused, start resumed"

# SIGHUP rereads the config: without port_events (and a longer poll
# interval) the agent drains and runs the other two; with it back, all
# three again, and every table ends exactly equal to BigQuery.  Rows of
# hours 6 to 8 after t0 (after every row so far) arrive in between.
add() {	# add FROM TO: every table's rows of hours FROM to TO after t0
	local t
	for t in $PL_TABLES; do
		maritime-synth -q -c "$cfg" -s 7 generate -t "$t" --vessels 20 \
		    --start "$(date -u -d "@$((t0 + $1 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
		    --end "$(date -u -d "@$((t0 + $2 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" |
		    bqapi insert test-project maritime "$t" > /dev/null
	done
}
cp "$cfg" "$T/full.yaml"
awk '/^    - id: port_events/ { skip = 1; next }
     skip && /^    - id:/ { skip = 0 }
     !skip' "$T/full.yaml" | sed 's/^  pollInterval: 500$/  pollInterval: 700/' > "$cfg"
grep -q port_events "$cfg" && fail "port_events still in $cfg"
kill -HUP "$sp"
wait_stages "$sp" 6 10 "stages after SIGHUP without port_events"
pgrep -P "$sp" -f -- "-t port_events" && fail "port_events still runs after SIGHUP"
grep -q "SIGHUP: rereading" "$T/d.log" || fail "no reread logged: $(tail "$T/d.log")"
add 6 7
cp "$T/full.yaml" "$cfg"
kill -HUP "$sp"
for i in $(seq 100); do [ "$(pgrep -P "$sp" -f -- "-t port_events" | wc -l)" -eq 3 ] && break; sleep 0.1; done
expect_eq 9 "$(stages "$sp")" "stages after SIGHUP with port_events again"
add 7 8
synced || fail "not synced after two SIGHUPs: $(tail "$T/d.log")"
expect_eq 2 "$(grep -c "SIGHUP: rereading" "$T/d.log")" "rereads logged"
say "SIGHUP: reread the config, a table removed and added back, nothing lost"
kill -TERM "$sp"; wait "$sp"
say ok
