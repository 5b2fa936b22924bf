#!/usr/bin/env bash
# bq-partition whoami --harper: worker identity from the cluster_status of
# a real two-node Harper cluster (native replication on loopback), and from
# a stand-alone Harper (no node_name: self is the host name).
. "$(dirname "$0")/lib.sh"

need_harper
# stand-alone (the shared instance): {"connections":[]}
expect_eq "{\"worker\":\"$(hostname)-0\",\"index\":0,\"count\":2,\"workers\":[\"$(hostname)-0\",\"$(hostname)-1\"]}" \
    "$(bq-partition whoami --harper --threads 2)" "stand-alone"

# node_a and node_b, each on its own ports, replication over plain ws
start_node() {	# NAME -> sets ${NAME}_URL/_USER/_PASS, _REPL
	local name=$1
	export BQSYNC_HARPER_DIR=${BQSYNC_HARPER_DIR:-$top/.harper}
	export REPLICATION_HOSTNAME=$name
	private_harper "partition_$name.$$" >&2 ||
	    fail "cannot start Harper $name"
	printf -v "${name}_URL" %s "$HARPER_URL"
	printf -v "${name}_USER" %s "$HARPER_USERNAME"
	printf -v "${name}_PASS" %s "$HARPER_PASSWORD"
}
# Joined nodes replicate the system database, users included: both nodes
# get the same admin credentials (node_b reuses node_a's harper.env).
for n in node_a node_b; do
	if [ "$n" = node_b ]; then
		mkdir -p "$BQSYNC_HARPER_DIR/partition_node_b.$$"
		cp "$BQSYNC_HARPER_DIR/partition_node_a.$$/harper.env" \
		    "$BQSYNC_HARPER_DIR/partition_node_b.$$/harper.env"
	fi
	p=$(free_port)
	export REPLICATION_PORT=127.0.0.1:$p REPLICATION_URL=ws://127.0.0.1:$p
	printf -v "${n}_REPL" %s "ws://127.0.0.1:$p"
	start_node "$n"
done
unset REPLICATION_HOSTNAME REPLICATION_PORT REPLICATION_URL

use() {	# point the tools and hop at node NAME
	local u=${1}_URL us=${1}_USER pw=${1}_PASS
	export HARPER_URL=${!u} HARPER_USERNAME=${!us} HARPER_PASSWORD=${!pw}
}
use node_b
auth="Basic $(printf '%s:%s' "$node_b_USER" "$node_b_PASS" | base64 -w0)"
use node_a
hop "{\"operation\":\"add_node\",\"url\":\"$node_b_REPL\",\"retain_authorization\":true,\"authorization\":\"$auth\"}" > "$T/add"
grep -q 'Successfully added' "$T/add" || fail "add_node: $(cat "$T/add")"

# wait until both sides are connected (no timing assertion: a bound)
connected='[.connections[] | select(any(.database_sockets[]?; .connected))] | length'
for n in node_a node_b; do
	use "$n"
	for i in $(seq 300); do
		hop '{"operation":"cluster_status"}' > "$T/st_$n"
		[ "$(jq "$connected" "$T/st_$n")" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(jq "$connected" "$T/st_$n")" -ge 1 ] ||
	    fail "$n never saw its peer: $(cat "$T/st_$n")"
done

use node_a
got=$(bq-partition whoami --harper --threads 2)
expect_eq '{"worker":"node_a-0","index":0,"count":4,"workers":["node_a-0","node_a-1","node_b-0","node_b-1"]}' "$got" "node_a"
use node_b
eval "$(bq-partition whoami --harper -n 2 -s node_b-1 -f sh)"
expect_eq 3/4 "$BQSYNC_WORKER" "node_b-1"
expect_eq node_b-1 "$BQSYNC_WORKER_NAME"
# --harper and --peers exclude each other
must_fail 64 bq-partition whoami --harper --peers x
# bad credentials: 77
HARPER_PASSWORD=wrong must_fail 77 bq-partition whoami --harper

# node_b stopped: node_a lists it, but only connected peers count
BQSYNC_HARPER_INSTANCE=partition_node_b.$$ HARPER_OPS_PORT=${node_b_URL##*:} \
    "$top/scripts/harper.sh" stop >&2
use node_a
for i in $(seq 300); do
	hop '{"operation":"cluster_status"}' > "$T/st_down"
	[ "$(jq "$connected" "$T/st_down")" -eq 0 ] && break
	sleep 0.1
done
[ "$(jq '.connections | length' "$T/st_down")" -ge 1 ] ||
    fail "node_a no longer lists node_b: $(cat "$T/st_down")"
got=$(bq-partition whoami --harper --threads 2)
expect_eq '{"worker":"node_a-0","index":0,"count":2,"workers":["node_a-0","node_a-1"]}' "$got" "node_a without node_b"
say "ok"
