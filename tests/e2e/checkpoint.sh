#!/usr/bin/env bash
# quick
# bq-checkpoint through the real binary, with both stores: get/commit/
# status/set/reset, phases and per-table batch sizes, bad acks, rebalancing
# from 2 workers to 3, commit fed by the real harper-load, the seed's
# monitoring SQL against the real Harper, and the man page's EXAMPLES.
. "$(dirname "$0")/lib.sh"
need_harper

db=$(harper_db)
# harper_db ran in a subshell: register the drop here, in this shell.
drop="hop '{\"operation\":\"drop_database\",\"database\":\"$db\"}'"
cleanup "$drop || { sleep 2; $drop; }"
cfg=$T/config.yaml
cat > "$cfg" <<EOF
bigquery:
  projectId: bqsync-test
  dataset: maritime_tracking
  tables:
    - id: vessel_positions
      table: vessel_positions
      timestampColumn: timestamp
      targetTable: VesselPositions
    - id: port_events
      table: port_events
      timestampColumn: event_time
      targetTable: PortEvents
      sync:
        steadyBatchSize: 100
        pollInterval: 2m
harper:
  database: $db
checkpoint:
  path: $T/state.json
EOF
export BQSYNC_CONFIG=$cfg

ago() { date -u -d "-$1 seconds" +%Y-%m-%dT%H:%M:%S.000000Z; }
ack() { printf '{"table":"%s","rows":%s,"total":0,"cursor":%s}\n' "$@"; }
# field NAME: that field of each NDJSON record on stdin, one a line.
field() {
	python3 -c 'import json,sys
for l in sys.stdin:
    v = json.loads(l).get(sys.argv[1], "MISSING")
    print("null" if v is None else v)' "$1"
}

# nstatus [options]: the number of status lines (fails if status does).
nstatus() {
	bq-checkpoint "$@" status > "$T/status.out" || fail "status $* failed"
	wc -l < "$T/status.out"
}

C1=2025-11-04T15:59:00.123456Z
C0=2025-11-04T15:58:00.000000Z

# --- the same behaviour with each store -----------------------------------
for store in file harper; do
	say "store $store"
	ck() { bq-checkpoint --store "$store" "$@"; }
	ck reset --all -q
	ck reset --all -q -t port_events

	out=$(ck get)
	expect_eq "" "$out" "get without a checkpoint"
	eval "$(ck get --format sh)"
	expect_eq "|initial|10000|1" \
	    "$BQSYNC_CURSOR|$BQSYNC_PHASE|$BQSYNC_BATCH_SIZE|$BQSYNC_POLL_INTERVAL"

	# A null cursor only counts; an older cursor never moves back.
	{ ack VesselPositions 500 null; ack VesselPositions 500 "\"$C1\""
	  ack vessel_positions 7 "\"$C0\""; } | ck -w 1/3 --name h-1 commit
	expect_eq "$C1" "$(ck -w 1/3 get)" "cursor after commit"
	out=$(ck -w 0/3 get)
	expect_eq "" "$out" "other worker"
	st=$(ck status)
	expect_eq 1 "$(printf '%s\n' "$st" | wc -l)" "status lines"
	expect_eq "vessel_positions:1/3" "$(printf '%s\n' "$st" | field checkpointId)"
	expect_eq 1007 "$(printf '%s\n' "$st" | field recordsIngested)"
	expect_eq h-1 "$(printf '%s\n' "$st" | field worker)"
	expect_eq initial "$(printf '%s\n' "$st" | field phase)"
	expect_eq 10000 "$(printf '%s\n' "$st" | field batchSize)"
	lag=$(printf '%s\n' "$st" | field lag_seconds)
	python3 -c "import sys; sys.exit(not (float('$lag') > 3600*24*30))" ||
	    fail "lag_seconds $lag"
	printf '%s\n' "$st" | python3 -c 'import json,sys
r = json.loads(sys.stdin.readline())
want = {"checkpointId","tableId","nodeId","clusterSize","worker",
    "lastTimestamp","recordsIngested","lastSyncTime","phase","batchSize",
    "lastError","lastErrorAt","bytesBilled","billingDay","bytesBilledDay",
    "lag_seconds"}
assert set(r) == want, sorted(r)
assert r["nodeId"] == 1 and r["clusterSize"] == 3 and r["tableId"] == "vessel_positions"
assert r["lastSyncTime"].endswith("Z") and len(r["lastSyncTime"]) == 27' ||
	    fail "status record shape"

	# Phases follow the lag; batch size and poll interval per table.
	ack VesselPositions 1 "\"$(ago 1800)\"" | ck -w 1/3 commit
	expect_eq catchup "$(ck -w 1/3 get --phase)"
	expect_eq 1000 "$(ck -w 1/3 get --batch-size)"
	expect_eq 5 "$(ck -w 1/3 get --poll-interval)"
	ack VesselPositions 1 "\"$(ago 10)\"" | ck -w 1/3 commit
	eval "$(ck -w 1/3 get --format sh)"
	expect_eq "steady|500|30" \
	    "$BQSYNC_PHASE|$BQSYNC_BATCH_SIZE|$BQSYNC_POLL_INTERVAL"
	ack PortEvents 3 "\"$(ago 10)\"" | ck -t port_events commit
	eval "$(ck -t port_events get --format sh)"
	expect_eq "steady|100|120" \
	    "$BQSYNC_PHASE|$BQSYNC_BATCH_SIZE|$BQSYNC_POLL_INTERVAL"
	expect_eq steady "$(ck -t port_events status | field phase)"
	expect_eq 2 "$(nstatus --store "$store")" "status of every table"

	# set moves back (and validates); commit never does.
	ck -w 1/3 set --cursor '2025-11-01 00:00:00'
	expect_eq 2025-11-01T00:00:00.000000Z "$(ck -w 1/3 get)"
	must_fail 64 ck -w 1/3 set --cursor 'yesterday'
	must_fail 64 ck -w 3/3 get
	must_fail 64 ck get --tee
	expect_eq 2025-11-01T00:00:00.000000Z "$(ck -w 1/3 get)"

	# Bad acks: 65 with the line number; nothing stored for it or after.
	{ ack VesselPositions 10 "\"$C0\""; ack VesselPositions 10 "\"$C1\""
	  echo '{"table":"VesselPositions","rows":1,'
	  ack VesselPositions 10 '"2025-12-01T00:00:00.000000Z"'; } |
	    must_fail 65 ck -w 0/3 commit 2> "$T/err"
	grep -q '<stdin>:3: invalid JSON' "$T/err" || fail "$(cat "$T/err")"
	expect_eq "$C1" "$(ck -w 0/3 get)" "cursor before the bad line"
	ack VesselPositions 1 '"noon"' | must_fail 65 ck -w 0/3 commit 2> "$T/err"
	grep -q '<stdin>:1: ack with a bad cursor' "$T/err" || fail "$(cat "$T/err")"
	ack PortEvents 1 '"2025-12-01T00:00:00Z"' |
	    must_fail 65 ck -w 0/3 commit 2> "$T/err"
	grep -q "<stdin>:1: ack for table 'PortEvents'" "$T/err" ||
	    fail "$(cat "$T/err")"
	expect_eq "$C1" "$(ck -w 0/3 get)" "cursor after refused acks"

	# --tee passes stored acks through.
	out=$(ack VesselPositions 2 "\"$C1\"" | ck -w 2/3 commit --tee)
	expect_eq "$(ack VesselPositions 2 "\"$C1\"")" "$out" "--tee"
	out=$(ack VesselPositions 2 "\"$C1\"" | ck -w 2/3 commit)
	expect_eq "" "$out" "commit is silent"

	# Rebalancing from 2 workers to 3: the minimum of the old layout.
	ck reset --all -q
	ack VesselPositions 5 '"2025-11-04T10:00:00.000000Z"' | ck -w 0/2 commit
	out=$(ck -w 1/3 get 2> "$T/err")
	expect_eq "" "$out" "incomplete layout"
	grep -q 'layout of 2 workers is incomplete (1 have a cursor)' "$T/err" ||
	    fail "no warning about the incomplete layout: $(cat "$T/err")"
	ack VesselPositions 5 '"2025-11-04T09:00:00.000001Z"' | ck -w 1/2 commit
	for w in 0/3 1/3 2/3; do
		expect_eq 2025-11-04T09:00:00.000001Z "$(ck -w "$w" get)" \
		    "rebalanced $w"
	done
	ck -v -w 2/3 get 2>&1 >/dev/null | grep -q 'minimum cursor of the 2-worker layout' ||
	    fail "get -v does not say it rebalanced"
	expect_eq True "$(ck -w 2/3 get --format json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["rebalanced"])')"
	ack VesselPositions 5 '"2025-11-04T11:00:00.000000Z"' | ck -w 2/3 commit
	expect_eq 2025-11-04T11:00:00.000000Z "$(ck -w 2/3 get)" "own checkpoint"
	expect_eq 2025-11-04T09:00:00.000001Z "$(ck -w 0/3 get)" "still rebalanced"
	expect_eq 3 "$(nstatus --store "$store" -t vessel_positions)" "records of both layouts"
	ck -w 0/2 reset -q
	expect_eq 2 "$(nstatus --store "$store" -t vessel_positions)" "reset one worker"
	ck reset --all -q
	ck reset --all -q -t port_events
	expect_eq 0 "$(nstatus --store "$store")" "reset --all"
done

# --- the file store: atomic replacement and sharing -----------------------
ack VesselPositions 1 "\"$C1\"" | bq-checkpoint -w 0/1 commit
printf '{"checkpoints":[{"tab' > "$T/state.json.tmp"	# a crashed writer
expect_eq "$C1" "$(bq-checkpoint get)" "stale .tmp ignored"
ack VesselPositions 1 "\"$(ago 5)\"" | bq-checkpoint -w 0/1 commit
[ ! -e "$T/state.json.tmp" ] || fail "stale .tmp left behind"
pids=
for k in 0 1 2 3; do
	( for j in $(seq 10 34); do
		ack VesselPositions 1 "\"2025-11-04T12:00:$j.000000Z\""
	  done | bq-checkpoint -w $k/4 commit ) &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent commit failed"; done
bq-checkpoint status | grep ':[0-3]/4' > "$T/four"
expect_eq 4 "$(wc -l < "$T/four")" "4 concurrent workers"
expect_eq "25 25 25 25" "$(field recordsIngested < "$T/four" | xargs)"
expect_eq 2025-11-04T12:00:34.000000Z "$(bq-checkpoint -w 3/4 get)"
# On a terminal, status is an aligned table.
script -qec "bq-checkpoint status" /dev/null | tr -d '\r' > "$T/tty"
grep -q '^TABLE  *WORKER  *NAME  *CURSOR  *LAG  *PHASE  *ROWS  *LAST SYNC  *BYTES BILLED  *LAST ERROR$' "$T/tty" ||
    fail "status on a terminal: $(cat "$T/tty")"
grep -q '^vessel_positions 3/4  *[^ ]*-3 *2025-11-04T12:00:34.000000Z  *[0-9]*d[0-9]*h  *initial  *25 ' "$T/tty" ||
    fail "status on a terminal: $(cat "$T/tty")"
printf '{"checkpoints":[' > "$T/state.json"
must_fail 65 bq-checkpoint get
rm "$T/state.json"

# --- commit fed by the real harper-load -----------------------------------
rows() {	# rows N FROM: N rows at one-second steps, 2 per timestamp
	python3 - "$@" <<'PY'
import sys, datetime
n, start = int(sys.argv[1]), int(sys.argv[2])
base = datetime.datetime(2025, 11, 4, tzinfo=datetime.timezone.utc)
for k in range(start, start + n):
    ts = (base + datetime.timedelta(seconds=k // 2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    print('{"id":"r%d","mmsi":%d,"timestamp":"%s"}' % (k, 367000000 + k, ts))
PY
}
export BQSYNC_CONFIG=$cfg
for store in file harper; do
	bq-checkpoint --store "$store" reset --all -q
	rows 3000 0 > "$T/rows.ndjson"
	harper-load -t vessel_positions < "$T/rows.ndjson" |
	    bq-checkpoint --store "$store" -t vessel_positions commit
	expect_eq 2025-11-04T00:24:59.000000Z \
	    "$(bq-checkpoint --store "$store" get)" "cursor after harper-load"
	expect_eq 3000 "$(bq-checkpoint --store "$store" status | field recordsIngested)"
done
expect_eq 3000 "$(hcount "$db.VesselPositions")" "rows in Harper"

# Upstream dies inside a group: the stream began, never ended.  harper-load
# acks only the groups a later timestamp proved; nothing beyond is stored.
bq-checkpoint reset --all -q
set +e
{ echo '{"@bqsync":"begin"}'; rows 11 6000; } |
    harper-load -t vessel_positions |
    bq-checkpoint -t vessel_positions commit
codes="${PIPESTATUS[*]}"
set -e
expect_eq "0 65 0" "$codes" "exit codes of the truncated pipeline"
got=$(bq-checkpoint get)
expect_eq 2025-11-04T00:50:04.000000Z "$got" "cursor after a truncated stream"

# --- the seed's monitoring SQL against the records in Harper -------------
bq-checkpoint --store harper reset --all -q
q1="SELECT * FROM SyncCheckpoint ORDER BY nodeId"
q2="SELECT nodeId, lastTimestamp, (UNIX_TIMESTAMP(NOW()) - UNIX_TIMESTAMP(lastTimestamp)) as lag_seconds, phase FROM SyncCheckpoint"
if hsql "$q1" > "$T/sql" 2>&1; then fail "unqualified SQL worked: $(cat "$T/sql")"; fi
grep -q 'schema not defined for table SyncCheckpoint' "$T/sql" || fail "$(cat "$T/sql")"
for w in 0/2 1/2; do
	ack VesselPositions 4 "\"$(ago 60)\"" | bq-checkpoint --store harper -w $w --name "n-$w" commit
done
hsql "${q1/FROM /FROM $db.}" > "$T/sql"
python3 - "$T/sql" <<'PY' || fail "SELECT * FROM $db.SyncCheckpoint: $(cat "$T/sql")"
import json, sys
rows = json.load(open(sys.argv[1]))
ids = [r["checkpointId"] for r in rows]
assert ids == ["vessel_positions:0/2", "vessel_positions:1/2"], ids
for r in rows:
    assert r["worker"] == "n-%d/2" % r["nodeId"] and r["recordsIngested"] == 4
    assert r["phase"] == "steady" and r["batchSize"] == 500 and r["clusterSize"] == 2
PY
# The seed's lag expression runs but yields no lag_seconds in Harper...
hsql "${q2/FROM /FROM $db.}" > "$T/sql"
python3 -c 'import json,sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 2 and all("lag_seconds" not in r and r["phase"] for r in rows), rows' \
    "$T/sql" || fail "seed lag query: $(cat "$T/sql")"
# ...the man page's DATE_DIFF form does, and agrees with status.
hsql "SELECT nodeId, lastTimestamp, DATE_DIFF(NOW(), lastTimestamp, 'seconds') AS lag_seconds, phase FROM $db.SyncCheckpoint ORDER BY nodeId" > "$T/sql"
bq-checkpoint --store harper status > "$T/status"
python3 - "$T/sql" "$T/status" <<'PY' || fail "DATE_DIFF lag: $(cat "$T/sql")"
import json, sys
sql = json.load(open(sys.argv[1]))
st = [json.loads(l) for l in open(sys.argv[2])]
assert [r["nodeId"] for r in sql] == [0, 1]
for a, b in zip(sql, st):
    assert 55 < a["lag_seconds"] < 600, a
    assert abs(a["lag_seconds"] - b["lag_seconds"]) < 60, (a, b)
PY

# --- the man page's EXAMPLES ----------------------------------------------
cd "$T"
rm -f state.json
printf '%s\n' \
 '{"table":"VesselPositions","rows":500,"total":500,"cursor":null}' \
 '{"table":"VesselPositions","rows":500,"total":1000,"cursor":"2025-11-04T15:59:00.123456Z"}' |
    bq-checkpoint --state state.json -w 1/3 commit
expect_eq "$C1" "$(bq-checkpoint --state state.json -w 1/3 get)" "example 1"

bq-checkpoint reset --all -q
rows 10 100 > rows.ndjson
harper-load -t vessel_positions < rows.ndjson |
    bq-checkpoint -t vessel_positions commit
expect_eq 2025-11-04T00:00:54.000000Z "$(bq-checkpoint get)" "example 2"

# Example 3, the cron cycle, against bq-emulator: with initialBatchSize 100
# it takes several cycles; together they load worker 1/3's share exactly.
start_emulator
cat > cycle.yaml <<EOF
bigquery:
  projectId: bqsync-test
  dataset: cyc
  tables:
    - id: vessel_positions
      table: vessel_positions
      timestampColumn: timestamp
      targetTable: CycleRows
sync:
  initialBatchSize: 100
harper:
  database: $db
checkpoint:
  path: $T/cycle-state.json
EOF
"$top"/tests/e2e/bqapi.py table bqsync-test cyc vessel_positions \
    '[{"name":"timestamp","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]'
python3 -c 'for i in range(900): print("{\"timestamp\":\"2025-11-01T00:%02d:%02dZ\",\"seq\":%d}" % (i // 3 // 60, i // 3 % 60, i))' |
    "$top"/tests/e2e/bqapi.py insert bqsync-test cyc vessel_positions > /dev/null
BQSYNC_CONFIG=$T/cycle.yaml bq-pull -w 1/3 --no-markers --limit 100000 > share.ndjson
share=$(wc -l < share.ndjson)
last=$(tail -n 1 share.ndjson | field timestamp)
[ "$share" -gt 150 ] || fail "worker 1/3 has only $share rows"
prev=none cycles=0
while :; do
	(
	export BQSYNC_CONFIG=$T/cycle.yaml
	eval "$(bq-checkpoint -w 1/3 get --format sh)"
	[ "$BQSYNC_BATCH_SIZE" = 100 ] || fail "batch size $BQSYNC_BATCH_SIZE"
	bq-pull -w 1/3 --after "$BQSYNC_CURSOR" --limit "$BQSYNC_BATCH_SIZE" |
	    harper-load | bq-checkpoint -w 1/3 commit
	)
	cur=$(BQSYNC_CONFIG=$T/cycle.yaml bq-checkpoint -w 1/3 get)
	[ "$cur" != "$prev" ] || break
	prev=$cur cycles=$((cycles + 1))
	[ "$cycles" -lt 30 ] || fail "no end after 30 cycles"
done
[ "$cycles" -ge 3 ] || fail "only $cycles cycles for $share rows"
expect_eq "$last" "$prev" "cursor after the cycles"
expect_eq "$share" "$(hcount "$db.CycleRows")" "worker 1/3's rows in Harper"
expect_eq "$share" "$(BQSYNC_CONFIG=$T/cycle.yaml bq-checkpoint status | field recordsIngested)"
say "example 3: $cycles cycles loaded $share rows"

bq-checkpoint --store harper status > status.ndjson
expect_eq 2 "$(wc -l < status.ndjson)" "example 4"

bq-checkpoint -w 0/2 set --cursor '2025-11-01 00:00:00'
expect_eq 2025-11-01T00:00:00.000000Z "$(bq-checkpoint -w 0/2 get)" "example 5"
bq-checkpoint reset --all
expect_eq 0 "$(nstatus)" "example 5 reset"
say ok
