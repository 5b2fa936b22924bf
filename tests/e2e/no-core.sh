#!/usr/bin/env bash
# quick
# no-core: the tools that hold a password, key or token dump no core
# (RLIMIT_CORE 0) and are not dumpable (PR_SET_DUMPABLE 0: /proc/PID is
# root's, no ptrace, no gcore), while bq-partition, which holds none, is
# left alone.  Each tool blocks reading its config from a FIFO, after it
# set that up.  No Harper needed.
. "$(dirname "$0")/lib.sh"

D=$(mktemp -d /tmp/no-core.XXXXXX)
cleanup "rm -rf '$D'"
chmod 755 "$D"
mkfifo -m 666 "$D/cfg"

as_nobody=
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi

# blocked TOOL ARGS...: starts TOOL -c FIFO ARGS in the background and
# prints its pid once it waits on the FIFO.
blocked() {
	local tool=$1 pid i
	shift
	$as_nobody "$top/bin/$tool" -c "$D/cfg" "$@" < /dev/null > /dev/null 2>&1 &
	pid=$!
	cleanup "kill $pid"
	for i in $(seq 100); do
		grep -Eq "fifo|wait_for_partner" "/proc/$pid/wchan" 2> /dev/null && break
		sleep 0.05
	done
	echo "$pid"
}

core_limit() {	# the soft and hard core limits of pid $1
	awk '/^Max core file size/ { print $5, $6 }' "/proc/$1/limits"
}

for t in "bq-pull -t t --dry-run" "harper-load" "bq-checkpoint get" \
    "maritime-synth generate -n 1" "bq-partition -w 0/1"; do
	set -- $t
	tool=$1
	say "$tool"
	pid=$(blocked "$@")
	if [ "$tool" = bq-partition ]; then
		[ "$(core_limit "$pid")" != "0 0" ] ||
		    fail "$tool: core limit set to 0"
	else
		expect_eq "0 0" "$(core_limit "$pid")" "$tool core limit"
		if [ -n "$as_nobody" ]; then
			# not dumpable: its /proc files belong to root
			expect_eq "0" "$(stat -c %u "/proc/$pid/status")" \
			    "$tool /proc owner"
			if command -v gcore > /dev/null; then
				! $as_nobody gcore -o "$D/core" "$pid" \
				    > /dev/null 2>&1 || fail "$tool: gcore worked"
				! ls "$D"/core* > /dev/null 2>&1 ||
				    fail "$tool: a core was written"
			fi
		fi
	fi
	kill "$pid"
	wait "$pid" 2> /dev/null || true
done
say "ok"
