#!/usr/bin/env bash
# bq-sync --harper on a real three-node Harper cluster (native replication
# on loopback), one agent per node, checkpoints in Harper, the three
# maritime tables while maritime-synth keeps writing to bq-emulator:
# every node ends with exactly BigQuery's rows; kill -9 of one agent and a
# restart lose nothing; with one Harper node stopped the other two see
# N=2, rebalance and complete the tables alone, and N=3 again once it is
# back; `bq-checkpoint control stop` pauses all three, `start` resumes;
# the seed's monitoring query shows one checkpoint per table and worker,
# with distinct worker names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

t_start=$(date +%s)
pl_setup 20	# as agent-signals: 20 vessels give port events too
NODES="node_a node_b node_c"

# --- the cluster (as partition-cluster.sh) --------------------------------
# Joined nodes replicate the system database, users included: every node
# gets node_a's admin credentials.
shared_url=$HARPER_URL shared_user=$HARPER_USERNAME shared_pass=$HARPER_PASSWORD
for n in $NODES; do
	if [ "$n" != node_a ]; then
		mkdir -p "$BQSYNC_HARPER_DIR/cluster_$n.$$"
		cp "$BQSYNC_HARPER_DIR/cluster_node_a.$$/harper.env" \
		    "$BQSYNC_HARPER_DIR/cluster_$n.$$/harper.env"
	fi
	p=$(free_port)
	export REPLICATION_HOSTNAME=$n REPLICATION_PORT=127.0.0.1:$p \
	    REPLICATION_URL=ws://127.0.0.1:$p
	export BQSYNC_HARPER_DIR=${BQSYNC_HARPER_DIR:-$top/.harper}
	private_harper "cluster_$n.$$" >&2 || fail "cannot start Harper $n"
	printf -v "${n}_URL" %s "$HARPER_URL"
	printf -v "${n}_REPL" %s "ws://127.0.0.1:$p"
	printf -v "${n}_RP" %s "$p"
done
unset REPLICATION_HOSTNAME REPLICATION_PORT REPLICATION_URL BQSYNC_HARPER_INSTANCE HARPER_OPS_PORT
use() {	# point the tools and hop at node NAME
	local u=${1}_URL
	export HARPER_URL=${!u}
}
auth="Basic $(printf '%s:%s' "$HARPER_USERNAME" "$HARPER_PASSWORD" | base64 -w0)"
connected='[.connections[] | select(any(.database_sockets[]?; .connected))] | length'
peers() {	# peers NODE: connected peers of NODE
	use "$1"
	hop '{"operation":"cluster_status"}' | jq "$connected"
}
add_node() {	# add_node FROM TO
	local r=${2}_REPL
	use "$1"
	hop "{\"operation\":\"add_node\",\"url\":\"${!r}\",\"retain_authorization\":true,\"authorization\":\"$auth\"}" > "$T/add"
	grep -q 'Successfully added' "$T/add" || fail "add_node $1 $2: $(cat "$T/add")"
}
wait_peers() {	# wait_peers WANT NODE...: each NODE sees WANT connected peers
	local want=$1 n i
	shift
	for n in "$@"; do
		for i in $(seq 300); do
			[ "$(peers "$n")" -eq "$want" ] && continue 2
			sleep 0.2
		done
		fail "$n sees $(peers "$n") connected peers, not $want"
	done
}
add_node node_a node_b
add_node node_a node_c
wait_peers 2 $NODES
say "3 Harper nodes, fully connected ($(($(date +%s) - t_start)) s)"

# --- one bq-sync --harper per node ------------------------------------------
sed -i "s|^  path: .*|  path: STATE\n  store: harper|" "$cfg"
cat >> "$cfg" <<'YAML'
sync:
  initialPollInterval: 200
  catchupPollInterval: 200
  pollInterval: 500
  topologyInterval: 1s
  topologyGrace: 3s
YAML
for n in $NODES; do	# each node its own folder (the agents' locks)
	mkdir -p "$T/$n"
	sed "s|STATE|$T/$n/state.json|" "$cfg" > "$T/$n/cfg.yaml"
done
cfg=$T/node_a/cfg.yaml
use node_a
maritime-synth -q -c "$cfg" -s 7 initialize 1
t0=$(($(date -u +%s) + 600))
more() {	# more FROM TO: rows of simulated hours FROM..TO after t0
	maritime-synth -q -c "$cfg" -s 7 start --no-backfill --speedup 86400 \
	    --start "$(date -u -d "@$((t0 + $1 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
	    --until "$(date -u -d "@$((t0 + $2 * 3600))" +%Y-%m-%dT%H:%M:%SZ)"
}
start_sync() {	# start_sync NODE: its agent in the background, pid in ${NODE}_PID
	local u=${1}_URL
	HARPER_URL=${!u} bq-sync -c "$T/$1/cfg.yaml" --harper \
	    2>> "$T/$1/sync.log" &
	printf -v "${1}_PID" %s $!
	cleanup "kill -9 $!"
}
stop_sync() {	# stop_sync NODE: SIGTERM, exit 0
	local p=${1}_PID rc=0
	kill -TERM "${!p}"
	wait "${!p}" || rc=$?
	expect_eq 0 "$rc" "$1: bq-sync exit status after SIGTERM"
}
synced() {	# synced NODE...: each node's tables equal BigQuery's, within a bound
	local n t i
	for t in $PL_TABLES; do pl_dump "$t"; done
	for n in "$@"; do
		use "$n"
		for i in $(seq 150); do
			for t in $PL_TABLES; do
				pl_info "$t"
				compare compare "$T/src.$t" "$db.$TARGET" $KEY \
				    > "$T/cmp" 2>&1 || { sleep 0.2; continue 2; }
			done
			continue 2
		done
		say "$n: $(cat "$T/cmp")"; return 1
	done
}
# workers N SINCE NODE...: every NODE has committed each table as worker
# i/N at SINCE (UTC, ISO 8601) or later
workers() {
	local want=$1 since=$2 n i
	shift 2
	use node_a
	for i in $(seq 150); do
		hsql "SELECT checkpointId, worker, lastSyncTime FROM $db.SyncCheckpoint" > "$T/ck" 2>&1 || { sleep 0.2; continue; }
		for n in "$@"; do
			[ "$(jq --arg n "$n" --arg s "$since" --argjson N "$want" \
			    '[.[] | select(.worker | startswith($n + "-")) | select(.checkpointId | endswith("/\($N)")) | select(.lastSyncTime >= $s)] | length' "$T/ck")" -eq 3 ] ||
			    { sleep 0.2; continue 2; }
		done
		return 0
	done
	fail "not every node committed as one of $want workers since $since: $(cat "$T/ck")"
}
now() { date -u +%Y-%m-%dT%H:%M:%S; }
stages() { pgrep -P "$1" | wc -l; }

# node_a's agent creates the tables, the others start once replication has
# brought them (three nodes creating one table at once crashed Harper 4.7's
# native code once, in this test)
tables_on() {	# tables_on NODE: NODE has every table with rows in BigQuery
	local t
	use "$1"
	for t in $PL_TABLES; do
		[ -s "$T/src.$t" ] || continue
		pl_info "$t"
		hsql "SELECT count(*) AS n FROM $db.$TARGET" > /dev/null 2>&1 || return 1
	done
}
more 0 4
for t in $PL_TABLES; do pl_dump "$t"; done
since=$(now)
start_sync node_a
for i in $(seq 150); do tables_on node_b && tables_on node_c && break; sleep 0.2; done
tables_on node_b && tables_on node_c || fail "the tables never reached node_b and node_c"
start_sync node_b
start_sync node_c
more 4 6 &
m=$!
sleep 1
wait "$m"
synced $NODES || fail "not synced on every node"
workers 3 "$since" $NODES
say "3 agents synced every table on every node ($(($(date +%s) - t_start)) s)"

# --- kill -9 of one agent while rows arrive, then a restart ----------------
more 6 10 &
m=$!
sleep 1
kill -9 "$node_b_PID"; wait "$node_b_PID" 2>/dev/null || true
wait "$m"
start_sync node_b
synced $NODES || fail "not synced after kill -9 of node_b's bq-sync and a restart"
say "kill -9 and restart: nothing lost ($(($(date +%s) - t_start)) s)"

# --- node_c down: node_a and node_b see N=2 and complete alone -------------
stop_sync node_c
since=$(now)
BQSYNC_HARPER_INSTANCE=cluster_node_c.$$ HARPER_OPS_PORT=${node_c_URL##*:} \
    "$top/scripts/harper.sh" stop >&2
more 10 16
workers 2 "$since" node_a node_b
synced node_a node_b || fail "node_a and node_b not synced without node_c"
say "node_c stopped: N=2, the other two complete ($(($(date +%s) - t_start)) s)"

# --- node_c back: N=3 again, every node complete -----------------------------
export REPLICATION_HOSTNAME=node_c REPLICATION_PORT=127.0.0.1:$node_c_RP \
    REPLICATION_URL=$node_c_REPL
BQSYNC_HARPER_INSTANCE=cluster_node_c.$$ HARPER_OPS_PORT=${node_c_URL##*:} \
    "$top/scripts/harper.sh" start >&2
unset REPLICATION_HOSTNAME REPLICATION_PORT REPLICATION_URL
wait_peers 2 $NODES
since=$(now)
start_sync node_c
more 16 22
workers 3 "$since" $NODES
synced $NODES || fail "not synced after node_c came back"
say "node_c back: N=3, every node complete ($(($(date +%s) - t_start)) s)"

# --- control stop pauses all three, start resumes ---------------------------
use node_a
bq-checkpoint -c "$cfg" control stop
for n in $NODES; do
	p=${n}_PID
	for i in $(seq 80); do [ "$(stages "${!p}")" -eq 0 ] && break; sleep 0.1; done
	expect_eq 0 "$(stages "${!p}")" "$n: stages after control stop (8 s)"
done
more 22 24
sleep 2
for n in $NODES; do
	p=${n}_PID
	expect_eq 0 "$(stages "${!p}")" "$n: stages 2 s after control stop"
done
bq-checkpoint -c "$cfg" control start
for n in $NODES; do
	p=${n}_PID
	for i in $(seq 80); do [ "$(stages "${!p}")" -eq 9 ] && break; sleep 0.1; done
	expect_eq 9 "$(stages "${!p}")" "$n: stages after control start (8 s)"
done
synced $NODES || fail "not synced after control start"
say "control stop paused all three, start resumed ($(($(date +%s) - t_start)) s)"

# --- the seed's monitoring query --------------------------------------------
for n in $NODES; do stop_sync "$n"; done
use node_a
hsql "SELECT * FROM $db.SyncCheckpoint ORDER BY nodeId" > "$T/mon"
python3 - "$T/mon" <<'PY' || fail "SELECT * FROM $db.SyncCheckpoint: $(cat "$T/mon")"
import json, sys
rows = json.load(open(sys.argv[1]))
ids = [r["checkpointId"] for r in rows]
assert len(ids) == len(set(ids)), ids
n3 = sorted((r["checkpointId"], r["worker"]) for r in rows if r["clusterSize"] == 3)
want = sorted(("%s:%d/3" % (t, i), "node_%s-%d" % ("abc"[i], i))
              for t in ("vessel_positions", "port_events", "vessel_metadata")
              for i in range(3))
assert n3 == want, n3
for t in ("vessel_positions", "port_events", "vessel_metadata"):
    names = [r["worker"] for r in rows if r["checkpointId"].startswith(t + ":")]
    assert len(names) == len(set(names)), (t, names)
PY
say "monitoring: one checkpoint per table and worker, distinct names"
say "ok ($(($(date +%s) - t_start)) s)"
