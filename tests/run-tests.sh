#!/usr/bin/env bash
# run-tests.sh [--unit] [--e2e] [--quick | --long] [NAME...]
# Runs the Check suites (tests/check_*) and the end-to-end tests
# (tests/e2e/*.sh, or the ones named).  The e2e tier runs against a real
# Harper: the one in HARPER_URL when it answers, else one started here
# (scripts/harper.sh, instance "test") and stopped at the end; the suites'
# Harper tests then run against it and must not skip (BQSYNC_REQUIRE_HARPER).
# --unit alone starts no Harper: the suites' Harper tests run if HARPER_URL
# answers and skip with a message if not.  --quick keeps the e2e tests
# marked "# quick" (the sanitizer run).  Tests marked "# long" (soaks of
# many minutes) run only when named or with --long (`make soak`), not in
# `make check`.  Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
unit= e2e= quick= long=
while [ $# -gt 0 ]; do
	case $1 in
	--unit) unit=1 ;;
	--e2e) e2e=1 ;;
	--quick) quick=1 ;;
	--long) long=1 e2e=1 ;;
	--) shift; break ;;
	-*) echo "usage: tests/run-tests.sh [--unit] [--e2e] [--quick | --long] [NAME...]" >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
[ -n "$unit$e2e" ] || { unit=1; e2e=1; }

started=
test_port=${BQSYNC_TEST_HARPER_PORT:-9945}
if [ -n "$e2e" ]; then
	if [ -z "${HARPER_URL:-}" ] || ! curl -sf -o /dev/null "$HARPER_URL/health"; then
		BQSYNC_HARPER_INSTANCE=test HARPER_OPS_PORT=$test_port scripts/harper.sh start || exit 1
		started=1
		# shellcheck disable=SC1091
		. "${BQSYNC_HARPER_DIR:-$top/.harper}/test/harper.env"
	fi
	export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
	export BQSYNC_REQUIRE_HARPER=1
fi
stop() {
	[ -z "$started" ] || BQSYNC_HARPER_INSTANCE=test HARPER_OPS_PORT=$test_port scripts/harper.sh stop
}
trap stop EXIT

pass=0 failed=0 names=
mkdir -p tests/tmp
record() {	# record NAME RC SECONDS LOG
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1)); res=ok
	else
		failed=$((failed + 1)); res=FAIL; names="$names $1"
		sed 's/^/    /' "$4" | tail -n 60
	fi
	printf '%-4s %s (%ss)\n' "$res" "$1" "$3"
}

if [ -n "$unit" ] && [ $# -eq 0 ]; then
	for t in tests/check_*; do
		case $t in *.c|*.o|*.d) continue ;; esac
		[ -x "$t" ] || continue
		s=$(date +%s); log=tests/tmp/$(basename "$t").log
		rc=0; "./$t" > "$log" 2>&1 || rc=$?
		grep -E '^[0-9]+%: Checks|: skipped: ' "$log" || true
		record "$t" "$rc" "$(( $(date +%s) - s ))" "$log"
	done
fi

if [ -n "$e2e" ]; then
	if [ $# -gt 0 ]; then
		tests=()
		for t in "$@"; do
			case $t in */*) tests+=("$t") ;; *) tests+=("tests/e2e/${t%.sh}.sh") ;; esac
		done
	else
		tests=(tests/e2e/*.sh)
	fi
	for t in "${tests[@]}"; do
		[ "$(basename "$t")" = lib.sh ] && continue
		if [ -n "$quick" ] && ! grep -qx '# quick' "$t"; then
			continue
		fi
		if [ $# -eq 0 ] && [ -z "$long" ] && grep -qx '# long' "$t"; then
			continue
		fi
		if [ -n "$long" ] && [ $# -eq 0 ] && ! grep -qx '# long' "$t"; then
			continue
		fi
		s=$(date +%s); log=tests/tmp/$(basename "$t" .sh).log
		rc=0; bash "$t" > "$log.run" 2>&1 || rc=$?
		mv "$log.run" "$log"
		record "$t" "$rc" "$(( $(date +%s) - s ))" "$log"
	done
fi
[ -z "$names" ] || echo "failed:$names"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
