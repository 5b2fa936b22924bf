# Sourced by the agent-cluster*.sh tests after lib.sh and
# pipeline-common.bash: a three-node Harper cluster on loopback (native
# replication, as partition-cluster.sh builds two), the three maritime
# tables in bq-emulator, one bq-sync --harper per node with checkpoints in
# Harper, and a writer (maritime-synth start in real time).  What the
# agents must then do is each test's own.

NODES="node_a node_b node_c"
t_start=$(date +%s)
took() { echo "$(($(date +%s) - t_start)) s"; }

use() {	# use NODE: point the tools and hop at NODE
	local u=${1}_URL
	export HARPER_URL=${!u}
}
harper_node() {	# harper_node NODE start|stop
	local u=${1}_URL rp=${1}_RP
	local ops=${!u##*:}
	BQSYNC_HARPER_INSTANCE=cluster_$1.$$ HARPER_OPS_PORT=$ops \
	    REPLICATION_HOSTNAME=$1 REPLICATION_PORT=127.0.0.1:${!rp} \
	    REPLICATION_URL=ws://127.0.0.1:${!rp} "$top/scripts/harper.sh" "$2"
}
_connected='[.connections[] | select(any(.database_sockets[]?; .connected))] | length'
peers() {	# peers NODE: connected peers of NODE
	use "$1"
	hop '{"operation":"cluster_status"}' | jq "$_connected"
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

# cluster_up: the three Harper nodes, joined; the maritime tables with a
# day of rows; each node's config in $T/NODE/cfg.yaml ($cfg is node_a's).
cluster_up() {
	local n d p r pass auth bad
	pl_setup 20	# as agent-signals: 20 vessels give port events too
	# Joined nodes replicate the system database, users included: every
	# node gets the same admin credentials, written before any starts,
	# so the three start at once (20 to 60 s each on a busy machine).
	export BQSYNC_HARPER_DIR=${BQSYNC_HARPER_DIR:-$top/.harper}
	pass=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	unset HARPER_USERNAME HARPER_PASSWORD
	for n in $NODES; do
		d=$BQSYNC_HARPER_DIR/cluster_$n.$$
		mkdir -p "$d"
		(umask 077; printf 'export HARPER_USERNAME=admin\nexport HARPER_PASSWORD=%s\n' \
		    "$pass" > "$d/harper.env")
		printf -v "${n}_URL" %s "http://127.0.0.1:$(free_port 6)"
		printf -v "${n}_RP" %s "$(free_port)"
		r=${n}_RP
		printf -v "${n}_REPL" %s "ws://127.0.0.1:${!r}"
		# Harper's log stays in $T, for a failure's post-mortem
		cleanup "harper_node $n stop; cp '$d/root/log/hdb.log' '$T/$n.hdb.log'; rm -rf '$d'"
		harper_node "$n" start > "$T/$n.harper" 2>&1 &
		printf -v "${n}_HP" %s $!
	done
	# every start ends before any failure is reported: the exit trap
	# then stops whatever did start
	bad=
	for n in $NODES; do
		p=${n}_HP
		wait "${!p}" || bad="$bad $n"
	done
	for n in $bad; do
		fail "cannot start Harper $n: $(cat "$T/$n.harper" \
		    "$BQSYNC_HARPER_DIR/cluster_$n.$$/install.log" 2>&1)"
	done
	# shellcheck disable=SC1090
	. "$BQSYNC_HARPER_DIR/cluster_node_a.$$/harper.env"
	auth="Basic $(printf '%s:%s' "$HARPER_USERNAME" "$HARPER_PASSWORD" | base64 -w0)"
	use node_a
	for n in node_b node_c; do
		r=${n}_REPL
		hop "{\"operation\":\"add_node\",\"url\":\"${!r}\",\"retain_authorization\":true,\"authorization\":\"$auth\"}" > "$T/add"
		grep -q 'Successfully added' "$T/add" || fail "add_node $n: $(cat "$T/add")"
	done
	wait_peers 2 $NODES
	say "3 Harper nodes, fully connected ($(took))"

	# Short thresholds: a worker whose newest row is seconds old would
	# be in "catchup" by the clock; it must stay "steady" while the
	# source is quiet.
	sed -i "s|^  path: .*|  path: STATE\n  store: harper|" "$cfg"
	cat >> "$cfg" <<-'YAML'
	sync:
	  initialPollInterval: 200
	  catchupPollInterval: 200
	  pollInterval: 500
	  steadyThreshold: 1s
	  catchupThreshold: 2s
	  topologyInterval: 1s
	  topologyGrace: 3s
	YAML
	for n in $NODES; do	# each node its own folder (the agents' locks)
		mkdir -p "$T/$n"
		sed "s|STATE|$T/$n/state.json|" "$cfg" > "$T/$n/cfg.yaml"
	done
	cfg=$T/node_a/cfg.yaml
	maritime-synth -q -c "$cfg" -s 7 initialize 1
	# the writer's rate: 4 positions and a metadata row a second
	sed 's/^  generationInterval: .*/  generationInterval: 1s/; s/^  batchSize: .*/  batchSize: 4/' \
	    "$cfg" > "$T/synth.yaml"
}

# The writer: maritime-synth start in real time (speedup 1, so a restart
# goes on after the rows it wrote before), streamed.
writer_on() {
	maritime-synth -q -c "$T/synth.yaml" -s 7 start --no-backfill \
	    --streaming 2>> "$T/synth.log" &
	W=$!
	cleanup "kill $W"
}
writer_off() {
	kill -TERM "$W"
	wait "$W" || fail "maritime-synth start: exit $?: $(cat "$T/synth.log")"
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
		for i in $(seq 300); do
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
	for i in $(seq 300); do
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
stage() {	# stage NODE TOOL TABLE: pid of that stage of NODE's agent
	local p=${1}_PID
	pgrep -P "${!p}" -f "^$2 .* -t $3( |\$)"
}

# three_agents: an agent on every node at once while rows arrive (the
# first to load creates the tables, the others find them replicated or
# create them too); every node ends with every row.
three_agents() {
	local since
	since=$(now)
	writer_on
	for n in $NODES; do start_sync "$n"; done
	sleep 3
	writer_off
	synced $NODES || fail "not synced on every node"
	# a new table's first rows wait for replication (harper-load(1)):
	# without it a peer once lost a node's first batch for good
	grep -q "harper.replicationSettle" "$T"/node_?/sync.log ||
	    fail "no harper-load let a new table settle: $(cat "$T"/node_?/sync.log)"
	workers 3 "$since" $NODES
	say "3 agents synced every table on every node ($(took))"
}
