#!/usr/bin/env bash
# bq-sync --harper on a real three-node Harper cluster, as agent-cluster.sh,
# with one Harper node stopped while maritime-synth keeps writing: the
# other two see N=2 once sync.topologyGrace has passed, rebalance and
# complete every table alone; with the node started again all three see
# N=3 and every node ends with exactly BigQuery's rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"
. "$(dirname "$0")/cluster-common.bash"

cluster_up
three_agents

# --- node_c down: node_a and node_b see N=2 and complete alone -------------
stop_sync node_c
since=$(now)
harper_node node_c stop >&2
writer_on
workers 2 "$since" node_a node_b
sleep 2
writer_off
synced node_a node_b || fail "node_a and node_b not synced without node_c"
grep -q "worker 0/2" "$T/node_a/sync.log" || fail "node_a never was 0/2"
grep -q "worker 1/2" "$T/node_b/sync.log" || fail "node_b never was 1/2"
say "node_c stopped: N=2, the other two complete ($(took))"

# --- node_c back: N=3 again, every node complete -----------------------------
harper_node node_c start >&2
wait_peers 2 $NODES
since=$(now)
start_sync node_c
writer_on
workers 3 "$since" $NODES
sleep 2
writer_off
synced $NODES || fail "not synced after node_c came back"
say "node_c back: N=3, every node complete ($(took))"
for n in $NODES; do stop_sync "$n"; done
say "ok ($(took))"
