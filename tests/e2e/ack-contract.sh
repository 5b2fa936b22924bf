#!/usr/bin/env bash
# The control lines and acks of README's contract, end to end with the real
# tools, bq-emulator and Harper: begin carries table and worker, and
# bq-checkpoint refuses another worker's or table's acks (nothing stored); a
# caught-up poll reaches the checkpoint and makes it steady however old its
# cursor; a failing bq-pull's error line becomes lastError, cleared by the
# next good run; bytes billed add up in the record; a huge rows ack is
# refused and reset deletes a record the reader refuses.
. "$(dirname "$0")/lib.sh"
need_harper
start_emulator

db=$(harper_db)
cat > "$T/config.yaml" <<EOF
bigquery:
  projectId: bqsync-test
  dataset: acks
  tables:
    - id: vessel_positions
      table: vessel_positions
      timestampColumn: timestamp
      targetTable: AckPositions
    - id: port_events
      table: port_events
      timestampColumn: timestamp
      targetTable: AckEvents
harper:
  database: $db
checkpoint:
  path: $T/state.json
EOF
export BQSYNC_CONFIG=$T/config.yaml
for t in vessel_positions port_events; do
	bqapi table bqsync-test acks $t \
	    '[{"name":"timestamp","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]'
	# 300 rows on 2025-11-01: a cursor weeks old
	bqtest gen seconds 300 |
	    bqapi insert bqsync-test acks $t > /dev/null
done
nrecords() { [ ! -e "$T/state.json" ] && echo 0 || bqtest len -f "$T/state.json" checkpoints; }

# --- begin: table id and worker; another worker's or table's acks ---------
bq-pull -w 0/2 > "$T/pull0"
expect_eq '{"@bqsync":"begin","table":"vessel_positions","worker":"0/2"}' \
    "$(head -n 1 "$T/pull0")" "begin line"
expect_eq "" "$(bq-pull -w 0/2 --no-markers | grep '@bqsync' || true)" \
    "--no-markers"
set +e
bq-pull -w 0/2 | harper-load | bq-checkpoint -w 1/2 commit 2> "$T/err"
codes="${PIPESTATUS[*]}"
set -e
[ "${codes##* }" = 65 ] || fail "commit of worker 0/2's acks as 1/2: $codes"
grep -q "<stdin>:1: ack of worker 0/2, not 1/2" "$T/err" || fail "$(cat "$T/err")"
expect_eq 0 "$(nrecords)" "records after a refused worker"
set +e
bq-pull -t port_events | harper-load -t port_events |
    bq-checkpoint -t vessel_positions commit 2> "$T/err"
codes="${PIPESTATUS[*]}"
set -e
[ "${codes##* }" = 65 ] || fail "commit of port_events' acks: $codes"
grep -q "ack for table 'port_events', not 'vessel_positions'" "$T/err" ||
    fail "$(cat "$T/err")"
expect_eq 0 "$(nrecords)" "records after a refused table"
# The Harper table name is taken only from a stream without begin.
printf '{"table":"AckEvents","worker":"0/1","rows":1,"total":1,"cursor":null}\n' |
    must_fail 65 bq-checkpoint -t port_events commit
printf '{"table":"AckPositions","rows":1,"total":1,"cursor":null}\n' |
    must_fail 65 bq-checkpoint -t port_events commit
# harper-load refuses a stream of another table than its own.
bq-pull -t port_events > "$T/events"
must_fail 65 harper-load -t vessel_positions < "$T/events" > "$T/acks" 2> "$T/err"
grep -q "a stream of table 'port_events', but this loads 'vessel_positions'" "$T/err" ||
    fail "$(cat "$T/err")"
expect_eq 0 "$(nrecords)" "records after a refused begin"

# --- a full pull, then a caught-up poll: steady however old ----------------
bq-pull -w 1/2 > "$T/pull1"
harper-load < "$T/pull1" | bq-checkpoint -w 1/2 commit --tee > "$T/acks1"
st=$(bq-checkpoint -w 1/2 status)
expect_eq initial "$(printf '%s\n' "$st" | jfield phase)" "phase after the first pull"
share=$(grep -vc '@bqsync' "$T/pull1")
expect_eq "$share" "$(printf '%s\n' "$st" | jfield recordsIngested)"
# (a sync line follows each result page: every one of them says newer)
expect_eq true "$(grep '"newer"' "$T/acks1" | jfield newer | sort -u)" "newer of the first pull"
expect_eq 1/2 "$(jfield worker < "$T/acks1" | sort -u)" "worker in every ack"
expect_eq vessel_positions "$(jfield table < "$T/acks1" | sort -u)" "table in every ack"
# A sync line carries what the queries since the one before it billed (none
# after a page of a query already counted): the pull's bill is their sum.
billed() { bqtest sum bytesBilled --control sync "$1"; }
billed1=$(billed "$T/pull1")
[ "$billed1" -ge 10485760 ] || fail "bytesBilled $billed1"
grep -m 1 '"@bqsync":"sync"' "$T/pull1" | jfield bytesProcessed | grep -qx '[0-9][0-9]*' ||
    fail "no bytesProcessed: $(grep sync "$T/pull1")"
expect_eq "$billed1" "$(printf '%s\n' "$st" | jfield bytesBilled)" "bytes billed"
expect_eq "$billed1" "$(printf '%s\n' "$st" | jfield bytesBilledDay)"
expect_eq "$(date -u +%F)" "$(printf '%s\n' "$st" | jfield billingDay)"
cur=$(bq-checkpoint -w 1/2 get)

bq-pull -w 1/2 --after "$cur" > "$T/pull2"
expect_eq 0 "$(grep -vc '@bqsync' "$T/pull2" || true)" "rows of the caught-up poll"
expect_eq false "$(grep '"@bqsync":"sync"' "$T/pull2" | jfield newer)"
harper-load < "$T/pull2" | bq-checkpoint -w 1/2 commit --tee > "$T/acks2"
expect_eq 1 "$(wc -l < "$T/acks2")" "acks of the caught-up poll"
expect_eq "0|false|$cur" "$(jfield rows < "$T/acks2")|$(jfield newer < "$T/acks2")|$(jfield cursor < "$T/acks2")"
st=$(bq-checkpoint -w 1/2 status)
expect_eq steady "$(printf '%s\n' "$st" | jfield phase)" "phase after a caught-up poll"
billed2=$(billed "$T/pull2")
expect_eq $((billed1 + billed2)) "$(printf '%s\n' "$st" | jfield bytesBilled)" "bytes billed summed"
# --lookback re-reads old rows, but none is newer: still caught up.
bq-pull -w 1/2 --after "$cur" --lookback 10m > "$T/pull3"
[ "$(grep -vc '@bqsync' "$T/pull3")" -gt 0 ] || fail "--lookback read no rows"
expect_eq false "$(grep '"@bqsync":"sync"' "$T/pull3" | jfield newer)" "newer with --lookback"

# --- an error line becomes lastError; a good run clears it -----------------
set +e
bq-pull -w 1/2 --source-table nosuch | harper-load |
    bq-checkpoint -w 1/2 commit --tee > "$T/acks3" 2> "$T/err"
codes="${PIPESTATUS[*]}"
set -e
read -r pc lc cc <<< "$codes"
[ "$pc" != 0 ] && [ "$lc" = "$pc" ] && [ "$cc" = 0 ] || fail "exit codes $codes: $(cat "$T/err")"
expect_eq bq-pull "$(tail -n 1 "$T/acks3" | jget error.tool)"
st=$(bq-checkpoint -w 1/2 status)
err=$(printf '%s\n' "$st" | jfield lastError)
case $err in "bq-pull: exit $pc: "*nosuch*) ;; *) fail "lastError: $err" ;; esac
[ "$(printf '%s\n' "$st" | jfield lastErrorAt)" != null ] || fail "no lastErrorAt"
expect_eq "$cur" "$(bq-checkpoint -w 1/2 get)" "cursor after the failure"
tty_out=$(script -qec "bq-checkpoint -w 1/2 status" /dev/null | tr -d '\r')
grep -q "bq-pull: exit $pc: .*nosuch" <<< "$tty_out" ||
    fail "text status without the error"
bq-pull -w 1/2 --after "$cur" | harper-load | bq-checkpoint -w 1/2 commit
st=$(bq-checkpoint -w 1/2 status)
expect_eq "null|null" "$(printf '%s\n' "$st" | jfield lastError)|$(printf '%s\n' "$st" | jfield lastErrorAt)" \
    "lastError after a good run"
# harper-load's own failure (a truncated stream) is recorded too.
{ head -n 3 "$T/pull1"; } | harper-load | bq-checkpoint -w 1/2 commit || true
case $(bq-checkpoint -w 1/2 status | jfield lastError) in
"harper-load: exit 65: "*"input ended before the end marker") ;;
*) fail "lastError of a truncated stream: $(bq-checkpoint -w 1/2 status)" ;;
esac

# --- huge counts are refused; reset works on any record --------------------
printf '{"table":"vessel_positions","rows":9007199254740992,"total":0,"cursor":null}\n' |
    must_fail 65 bq-checkpoint -w 1/2 commit 2> "$T/err"
grep -q '<stdin>:1: ack without a row count' "$T/err" || fail "$(cat "$T/err")"
before=$(bq-checkpoint -w 1/2 status | jfield recordsIngested)
printf '{"table":"vessel_positions","rows":1099511627776,"total":0,"cursor":null}\n%.0s' $(seq 8193) |
    must_fail 65 bq-checkpoint -w 1/2 commit 2> "$T/err"
grep -q 'acks add up to more than' "$T/err" || fail "$(cat "$T/err")"
expect_eq "$before" "$(bq-checkpoint -w 1/2 status | jfield recordsIngested)" "records after refused acks"
bqtest set "$T/state.json" 'checkpoints.*.recordsIngested' 1152921504606846976
must_fail 65 bq-checkpoint -w 1/2 get
bq-checkpoint -w 1/2 reset -q
expect_eq 0 "$(nrecords)" "records after reset"
expect_eq "" "$(bq-checkpoint -w 1/2 get)" "get after reset"
for store in harper; do
	printf '[{"checkpointId":"vessel_positions:0/1","tableId":"vessel_positions","nodeId":0,"clusterSize":1,"recordsIngested":1152921504606846976}]' > "$T/bad"
	printf '{"table":"vessel_positions","rows":1,"total":1,"cursor":null}\n' |
	    bq-checkpoint --store $store commit
	hop "{\"operation\":\"upsert\",\"database\":\"$db\",\"table\":\"SyncCheckpoint\",\"records\":$(cat "$T/bad")}" > /dev/null
	must_fail 65 bq-checkpoint --store $store get
	bq-checkpoint --store $store reset -q
	expect_eq "" "$(bq-checkpoint --store $store get)" "$store: get after reset"
done
say ok
