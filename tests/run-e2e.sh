#!/usr/bin/env bash
# Runs the end-to-end tests (tests/e2e/*.sh, or the ones named) against a
# real Harper: the one in HARPER_URL when it answers, else one started here
# (scripts/harper.sh, instance "test") and stopped at the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
started=
if [ -z "${HARPER_URL:-}" ] || ! curl -sf -o /dev/null "$HARPER_URL/health"; then
	export BQSYNC_HARPER_INSTANCE=test HARPER_OPS_PORT=${HARPER_OPS_PORT:-9945}
	scripts/harper.sh start || exit 1
	started=1
	# shellcheck disable=SC1091
	. "${BQSYNC_HARPER_DIR:-$top/.harper}/test/harper.env"
	unset BQSYNC_HARPER_INSTANCE HARPER_OPS_PORT
fi
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
stop() {
	[ -n "$started" ] && BQSYNC_HARPER_INSTANCE=test HARPER_OPS_PORT=9945 scripts/harper.sh stop
}
trap stop EXIT

if [ $# -gt 0 ]; then
	tests=()
	for t in "$@"; do
		case $t in */*) tests+=("$t") ;; *) tests+=("tests/e2e/${t%.sh}.sh") ;; esac
	done
else
	tests=(tests/e2e/[0-9a-z]*.sh)
fi
pass=0 failed=0 names=
for t in "${tests[@]}"; do
	[ "$(basename "$t")" = lib.sh ] && continue
	start=$(date +%s)
	if bash "$t" > "tests/tmp-$(basename "$t" .sh).log" 2>&1; then
		pass=$((pass + 1)); res=ok
	else
		failed=$((failed + 1)); res=FAIL; names="$names $(basename "$t")"
		sed 's/^/    /' "tests/tmp-$(basename "$t" .sh).log" | tail -n 40
	fi
	mkdir -p tests/tmp; mv "tests/tmp-$(basename "$t" .sh).log" "tests/tmp/$(basename "$t" .sh).log"
	printf '%-4s %s (%ss)\n' "$res" "$t" "$(( $(date +%s) - start ))"
done
[ -z "$names" ] || echo "failed:$names"
echo "e2e: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
