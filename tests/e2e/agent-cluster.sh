#!/usr/bin/env bash
# bq-sync --harper on a real three-node Harper cluster (native replication
# on loopback), one agent per node, checkpoints in Harper, the three
# maritime tables while maritime-synth keeps writing to bq-emulator:
# every node ends with exactly BigQuery's rows; kill -9 of one agent, of a
# bq-pull and of a harper-load, then restarts, lose nothing; `bq-checkpoint
# control stop` pauses all three, `start` resumes; on a quiet source the
# seed's monitoring queries show one checkpoint per table and worker, with
# distinct worker names, no error left and every worker "steady".  (One
# node stopped and back: agent-cluster-rebalance.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"
. "$(dirname "$0")/cluster-common.bash"

cluster_up
three_agents

# --- kill -9 of one agent and of single stages, then restarts --------------
writer_on
sleep 2
kill -9 "$node_b_PID"; wait "$node_b_PID" 2>/dev/null || true
p=$(stage node_a bq-pull vessel_positions) || fail "no bq-pull on node_a"
kill -9 $p
p=$(stage node_c harper-load vessel_metadata) || fail "no harper-load on node_c"
kill -9 $p
sleep 2
start_sync node_b
sleep 2
writer_off
synced $NODES || fail "not synced after kill -9 of an agent and of two stages"
grep -q "bq-pull exited 137" "$T/node_a/sync.log" ||
    fail "node_a: the killed bq-pull: $(cat "$T/node_a/sync.log")"
grep -q "harper-load exited 137" "$T/node_c/sync.log" ||
    fail "node_c: the killed harper-load: $(cat "$T/node_c/sync.log")"
say "kill -9 of an agent, a bq-pull and a harper-load: nothing lost ($(took))"

# --- control stop pauses all three, start resumes ---------------------------
use node_a
# all_stages N SECONDS WHAT: wait_stages on every node's agent.
all_stages() {
	local n p
	for n in $NODES; do
		p=${n}_PID
		wait_stages "${!p}" "$1" "$2" "$n: $3"
	done
}
bq-checkpoint -c "$cfg" control stop
all_stages 0 8 "stages after control stop (8 s)"
writer_on
sleep 2
all_stages 0 0 "stages 2 s after control stop"
bq-checkpoint -c "$cfg" control start
all_stages 9 8 "stages after control start (8 s)"
writer_off
synced $NODES || fail "not synced after control start"
say "control stop paused all three, start resumed ($(took))"

# --- the seed's monitoring queries, on a quiet source ------------------------
# Nothing new for 3 s, more than catchupThreshold: by the clock every worker
# would be behind; from the source each is steady.
sleep 3
for n in $NODES; do stop_sync "$n"; done
use node_a
hsql "SELECT * FROM $db.SyncCheckpoint ORDER BY nodeId" > "$T/mon"
hsql "SELECT nodeId, lastTimestamp, DATE_DIFF(NOW(), lastTimestamp, 'seconds') AS lag_seconds, phase FROM $db.SyncCheckpoint ORDER BY nodeId" > "$T/lag"
bqtest check agent-cluster-monitoring "$T/mon" "$T/lag" ||
    fail "monitoring: $(cat "$T/mon" "$T/lag")"
say "monitoring: one checkpoint per table and worker, distinct names, steady on a quiet source"
say "ok ($(took))"
