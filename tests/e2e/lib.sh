# Sourced by every end-to-end test: real binaries, real pipelines, a real
# Harper (HARPER_URL etc. exported by tests/run-e2e.sh) and bq-emulator.
# Everything a test starts is stopped by its EXIT trap.
set -eu -o pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PATH=$top/bin:$top/scripts:$PATH
export PATH
test_name=$(basename "$0" .sh)
T=$top/tests/tmp/$test_name
rm -rf "$T"
mkdir -p "$T"
export BQSYNC_CONFIG=$T/none.yaml	# tests pass -c or write their own
: > "$BQSYNC_CONFIG"
unset GOOGLE_APPLICATION_CREDENTIALS BIGQUERY_EMULATOR_HOST BQSYNC_PROJECT

_cleanups=()
cleanup() { _cleanups+=("$*"); }
_run_cleanups() {
	local rc=$? i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	return $rc
}
trap _run_cleanups EXIT

say() { printf '%s: %s\n' "$test_name" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# must_fail CODE cmd...: cmd must exit with exactly CODE (not by a signal).
must_fail() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "expected exit $want, got $rc: $*"
	fi
}

# expect_eq WANT GOT [what]
expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# bqtest CMD ARGS...: tests/e2e/bqtest.py, the Python side of the tests
# (JSON, acks, streams, Harper SQL, BigQuery set-up, tokens); see its header.
# PY is the interpreter itself, not a version manager's slow shim.
PY=$(python3 "$top/tests/e2e/bqtest.py" python)
bqtest() { "$PY" "$top/tests/e2e/bqtest.py" "$@"; }
# jget [-f FILE] PATH...: the value at PATH of the JSON document on stdin.
jget() { bqtest get "$@"; }
# jfield NAME [FILE]: NAME of each NDJSON record, one a line (MISSING if absent).
jfield() { bqtest field "$@"; }
# bqapi table|insert|get PROJECT DATASET TABLE ...: BigQuery set-up calls.
bqapi() { bqtest bq "$@"; }
# checkrows SOURCE DB.TABLE: Harper holds exactly SOURCE's rows; prints N.
checkrows() { bqtest compare "$@"; }
# genrows N [GROUP] [START] [--ids]: deterministic vessel rows.
genrows() { bqtest gen rows "$@"; }
# fexpr EXPR: true if the awk expression EXPR (floating point) holds.
fexpr() { awk "BEGIN { exit !($1) }" < /dev/null; }

# A free TCP port on 127.0.0.1 (and, with N, N consecutive free ports),
# below the kernel's ephemeral range and never the same twice in a test.
export BQTEST_PORTS=$T/ports
free_port() { bqtest free-port "${1:-1}"; }

# stages PID: the number of PID's children (an agent's pipeline stages).
stages() { pgrep -P "$1" | wc -l; }
# wait_stages PID N SECONDS WHAT: waits up to SECONDS (whole; 0: not at
# all) for PID to have N children, then checks that it has (WHAT names
# the check).
wait_stages() {
	local _
	for _ in $(seq $(($3 * 10))); do
		[ "$(stages "$1")" -eq "$2" ] && break
		sleep 0.1
	done
	expect_eq "$2" "$(stages "$1")" "$4"
}

# --- Harper --------------------------------------------------------------

need_harper() {
	[ -n "${HARPER_URL:-}" ] || fail "HARPER_URL is not set (run via tests/run-e2e.sh)"
	export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
}

# hop JSON: one operations-API call against $HARPER_URL; prints the body,
# fails on HTTP errors and after 120 s (a hung Harper fails the test, it does
# not hang the suite).  Credentials go to curl on stdin, not argv.
hop() {
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" |
	    curl -sS --fail-with-body --max-time 120 -K - \
	    -H 'Content-Type: application/json' \
	    --data-binary "$1" "$HARPER_URL/"
}
# hsql SQL: prints the JSON result of a Harper SQL query.
hsql() { bqtest harper-sql "$1"; }
# hcount DB.TABLE: number of records (via SQL count).
hcount() { bqtest harper-count "$1"; }
# A fresh Harper database name for this test, dropped at exit.  Tests call
# it as db=$(harper_db), in a subshell, so the drop is registered here, when
# lib.sh is sourced, for the one name harper_db hands out ($$ is the test's
# own pid, also in subshells).
_test_db="t_${test_name//-/_}_$$"
harper_db() {
	echo "$_test_db"
}
cleanup "[ -z \"\${HARPER_URL:-}\" ] || hop '{\"operation\":\"drop_database\",\"database\":\"$_test_db\"}'"

# private_harper NAME: starts a Harper instance of this test's own (for
# tests that stop or restart it) and points HARPER_URL at it.
private_harper() {
	local name=$1 p
	p=$(free_port 6)
	export BQSYNC_HARPER_INSTANCE=$name HARPER_OPS_PORT=$p
	export BQSYNC_HARPER_DIR=${BQSYNC_HARPER_DIR:-$top/.harper}
	unset HARPER_USERNAME HARPER_PASSWORD
	cleanup "BQSYNC_HARPER_INSTANCE=$name HARPER_OPS_PORT=$p $top/scripts/harper.sh stop; rm -rf '$BQSYNC_HARPER_DIR/$name'"
	"$top/scripts/harper.sh" start
	# shellcheck disable=SC1090
	. "$BQSYNC_HARPER_DIR/$name/harper.env"
}

# --- bq-emulator ---------------------------------------------------------

# start_emulator [args...]: starts bin/bq-emulator on a free port, exports
# BIGQUERY_EMULATOR_HOST and EMU_PORT; stopped at exit.
start_emulator() {
	EMU_PORT=$(free_port)
	bq-emulator --port "$EMU_PORT" "$@" > "$T/emulator.log" 2>&1 &
	local pid=$!
	cleanup "kill $pid; wait $pid"
	local i
	for i in $(seq 200); do
		curl -sf -o /dev/null "http://127.0.0.1:$EMU_PORT/healthz" && break
		kill -0 "$pid" 2>/dev/null || fail "bq-emulator exited: $(cat "$T/emulator.log")"
		sleep 0.05
	done
	export BIGQUERY_EMULATOR_HOST=127.0.0.1:$EMU_PORT EMU_PORT
}

# pull_setup [-p PARTITIONING] [-s STORE] FIELDS [LINE...]: bq-emulator
# started (unless start_emulator ran first, with options of its own),
# table test-project.ds.t created with FIELDS (a BigQuery schema, JSON;
# timePartitioning PARTITIONING, JSON) and $T/cfg.yaml reading it
# (timestamp column ts), each LINE added to the table's entry (e.g.
# "idColumns: [k]").  With $db set, Harper database $db too, and the
# checkpoints in $T/state.json (with -s, in checkpoint store STORE).
pull_setup() {
	local part=() store='' l
	while :; do
		case ${1:-} in
		-p) part=("$2"); shift 2 ;;
		-s) store=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -n "${EMU_PORT:-}" ] || start_emulator
	{
		cat <<-YAML
		bigquery:
		  projectId: test-project
		  dataset: ds
		  tables:
		    - id: t
		      table: t
		      timestampColumn: ts
		YAML
		for l in "${@:2}"; do printf '      %s\n' "$l"; done
		[ -z "${db:-}" ] || printf 'harper:\n  database: %s\n' "$db"
		if [ -n "$store" ]; then
			printf 'checkpoint:\n  store: %s\n' "$store"
		elif [ -n "${db:-}" ]; then
			printf 'checkpoint:\n  path: %s\n' "$T/state.json"
		fi
	} > "$T/cfg.yaml"
	bqapi table test-project ds t "$1" "${part[@]}"
}

# load_setup [-t ID TARGET [-i INDEXES]] [LINE...]: need_harper, then
# db=$(harper_db) and cfg=$T/cfg.yaml, a config loading into Harper
# database $db, each LINE one more line of its harper section (e.g.
# "batchRows: 400").  With -t, table ID of the config loads into TARGET
# (with INDEXES, e.g. "timestamp, mmsi") and checkpoints go to $T/state.json.
load_setup() {
	local id='' target='' idx='' l
	need_harper
	if [ "${1:-}" = -t ]; then
		id=$2 target=$3
		shift 3
		if [ "${1:-}" = -i ]; then idx=$2; shift 2; fi
	fi
	db=$(harper_db)
	cfg=$T/cfg.yaml
	{
		if [ -n "$id" ]; then
			printf 'bigquery:\n  tables:\n    - id: %s\n      table: %s\n      targetTable: %s\n' \
			    "$id" "$id" "$target"
			[ -z "$idx" ] || printf '      indexes: [%s]\n' "$idx"
		fi
		printf 'harper:\n  database: %s\n' "$db"
		for l in "$@"; do printf '  %s\n' "$l"; done
		[ -z "$id" ] || printf 'checkpoint:\n  path: %s\n' "$T/state.json"
	} > "$cfg"
}
