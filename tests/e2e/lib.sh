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

# A free TCP port on 127.0.0.1 (and, with N, N consecutive free ports).
free_port() {
	python3 - "${1:-1}" <<'PY'
import socket, sys, random
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        for s in socks: s.close()
        continue
    for s in socks: s.close()
    print(base); break
PY
}

# --- Harper --------------------------------------------------------------

need_harper() {
	[ -n "${HARPER_URL:-}" ] || fail "HARPER_URL is not set (run via tests/run-e2e.sh)"
	export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
}

# hop JSON: one operations-API call against $HARPER_URL; prints the body,
# fails on HTTP errors.  Credentials go to curl on stdin, not argv.
hop() {
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" |
	    curl -sS --fail-with-body -K - -H 'Content-Type: application/json' \
	    --data-binary "$1" "$HARPER_URL/"
}
# hsql SQL: prints the JSON result of a Harper SQL query.
hsql() {
	local q
	q=$(python3 -c 'import json,sys; print(json.dumps({"operation":"sql","sql":sys.argv[1]}))' "$1")
	hop "$q"
}
# hcount DB.TABLE: number of records (via SQL count).
hcount() {
	hsql "SELECT count(*) AS n FROM $1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["n"])'
}
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
