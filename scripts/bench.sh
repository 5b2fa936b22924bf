#!/usr/bin/env bash
# bench.sh [NAME...]: runs the benchmarks (scripts/bench-*.sh, or the named
# ones) against a real Harper (HARPER_URL, else one started here).  Each
# prints its figures, the baseline measured in the same run and "ratio: X".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
started=
if [ -z "${HARPER_URL:-}" ] || ! curl -sf -o /dev/null "$HARPER_URL/health"; then
	BQSYNC_HARPER_INSTANCE=bench HARPER_OPS_PORT=9985 scripts/harper.sh start || exit 1
	started=1
	# shellcheck disable=SC1091
	. "${BQSYNC_HARPER_DIR:-$top/.harper}/bench/harper.env"
fi
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
trap '[ -z "$started" ] || BQSYNC_HARPER_INSTANCE=bench HARPER_OPS_PORT=9985 scripts/harper.sh stop' EXIT
if [ $# -gt 0 ]; then
	set -- "${@/#/scripts/bench-}"; set -- "${@/%/.sh}"
else
	set -- scripts/bench-*.sh
fi
rc=0
for b in "$@"; do
	[ -x "$b" ] || continue
	printf '\n== %s\n' "$(basename "$b" .sh)"
	"$b" || { echo "benchmark $b failed"; rc=1; }
done
exit $rc
