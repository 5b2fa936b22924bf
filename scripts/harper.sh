#!/usr/bin/env bash
# harper.sh: install, start, wait for, stop a local Harper (npm harperdb)
# bound to 127.0.0.1 only.  Users and tests use it alike.
#
#   scripts/harper.sh install   npm-install harperdb into $BQSYNC_HARPER_DIR/pkg
#   scripts/harper.sh start     install if needed, start, wait until ready
#                               (fails, and stops it, if it is not ready in
#                               120 s or cannot listen on one of its ports)
#   scripts/harper.sh wait      wait until the operations API answers
#   scripts/harper.sh stop      stop (SIGTERM, waits for the process to end)
#   scripts/harper.sh status    print where it listens and whether it runs
#
# Environment (all optional):
#   BQSYNC_HARPER_DIR       where packages and instances live (default .harper)
#   BQSYNC_HARPER_INSTANCE  instance name (default "main"); one data dir each
#   HARPER_OPS_PORT         operations API port (default 9925); the instance
#                           uses it and the next five ports
#   HARPER_USERNAME, HARPER_PASSWORD
#                           admin credentials; else read from, or created in,
#                           the instance's 0600 file harper.env
# Credentials never appear on a command line: they reach Harper through its
# environment and the tools through harper.env (". <dir>/harper.env").
set -euo pipefail

HARPER_VERSION=4.7.29
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BQSYNC_HARPER_DIR:-$top/.harper}
inst=${BQSYNC_HARPER_INSTANCE:-main}
port=${HARPER_OPS_PORT:-9925}
idir=$dir/$inst
root=$idir/root
envfile=$idir/harper.env
pkg=$dir/pkg
bin=$pkg/node_modules/.bin/harperdb

say() { printf 'harper.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

credentials() {
	mkdir -p "$idir"
	if [ -z "${HARPER_USERNAME:-}" ] || [ -z "${HARPER_PASSWORD:-}" ]; then
		if [ -f "$envfile" ]; then
			# shellcheck disable=SC1090
			. "$envfile"
		fi
	fi
	if [ -z "${HARPER_USERNAME:-}" ] || [ -z "${HARPER_PASSWORD:-}" ]; then
		HARPER_USERNAME=admin
		HARPER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	fi
	export HARPER_USERNAME HARPER_PASSWORD
	export HARPER_URL="http://127.0.0.1:$port"
	(umask 077; {
		printf 'export HARPER_URL=%s\n' "$HARPER_URL"
		printf 'export HARPER_USERNAME=%s\n' "$HARPER_USERNAME"
		printf 'export HARPER_PASSWORD=%s\n' "$HARPER_PASSWORD"
	} > "$envfile.tmp" && mv "$envfile.tmp" "$envfile")
}

harper_env() {
	export HOME=$idir/home TC_AGREEMENT=yes ROOTPATH=$root
	export HDB_ADMIN_USERNAME=$HARPER_USERNAME HDB_ADMIN_PASSWORD=$HARPER_PASSWORD
	export OPERATIONSAPI_NETWORK_PORT=127.0.0.1:$port
	export HTTP_PORT=127.0.0.1:$((port + 1))
	export MQTT_NETWORK_PORT=127.0.0.1:$((port + 2))
	export MQTT_NETWORK_SECUREPORT=127.0.0.1:$((port + 3))
	export REPLICATION_SECUREPORT=127.0.0.1:$((port + 4))
	export LOCALSTUDIO_ENABLED=false THREADS_COUNT=${HARPER_THREADS:-2}
	export NODE_OPTIONS="--require $top/scripts/loopback-only.cjs"
	unset DEFAULTS_MODE
	mkdir -p "$HOME"
}

cmd_install() {
	if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null | tail -n 1)" = "$HARPER_VERSION" ]; then
		say "harperdb $HARPER_VERSION already installed in $pkg"
		return 0
	fi
	command -v npm >/dev/null || die "npm not found; install nodejs and npm first"
	mkdir -p "$pkg"
	(cd "$pkg" && { [ -f package.json ] || npm init -y >/dev/null; } &&
	 npm install --no-audit --no-fund --loglevel=error "harperdb@$HARPER_VERSION" >&2)
	say "installed harperdb $HARPER_VERSION in $pkg"
}

pid_of() {
	[ -f "$root/hdb.pid" ] || return 1
	local p
	p=$(cat "$root/hdb.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

# Waits until the operations API answers, for up to 120 s.  A Harper that
# could not bind one of its ports says so only in harper.out, and keeps
# running without it: that ends the wait at once, with Harper's words.
cmd_wait() {
	local i bind
	for i in $(seq 1200); do
		if curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then
			# authenticated readiness, credentials via a 0600 netrc-like config
			if curl -sf -o /dev/null -K - "http://127.0.0.1:$port/" <<-CFG
			user = "$HARPER_USERNAME:$HARPER_PASSWORD"
			header = "Content-Type: application/json"
			data = "{\"operation\":\"describe_all\"}"
			CFG
			then
				return 0
			fi
		fi
		if [ $((i % 10)) = 0 ] &&
		    bind=$(grep -m 1 'Unable to bind to port' "$idir/harper.out" 2>/dev/null); then
			say "Harper '$inst' cannot listen: $bind"
			return 1
		fi
		sleep 0.1
	done
	say "Harper on 127.0.0.1:$port did not become ready in 120 s (log: $root/log/hdb.log, output: $idir/harper.out)"
	return 1
}

cmd_start() {
	local hp
	credentials
	if p=$(pid_of); then
		say "Harper '$inst' already running (pid $p) on $HARPER_URL"
		cmd_wait || exit 1
		return 0
	fi
	cmd_install
	harper_env
	if [ ! -f "$root/harperdb-config.yaml" ]; then
		say "creating instance '$inst' in $root"
		"$bin" install < /dev/null > "$idir/install.log" 2>&1 ||
		    die "harperdb install failed (see $idir/install.log)"
	fi
	nohup "$bin" < /dev/null > "$idir/harper.out" 2>&1 &
	hp=$!
	if ! cmd_wait; then	# not left running without its port
		cmd_stop
		kill -TERM "$hp" 2>/dev/null || true
		exit 1
	fi
	say "Harper '$inst' (pid $(pid_of || echo '?')) listens on $HARPER_URL (operations API), 127.0.0.1:$((port + 1)) (REST)"
	say "credentials for the tools: . $envfile"
}

cmd_stop() {
	local p
	if ! p=$(pid_of); then
		say "Harper '$inst' is not running"
		return 0
	fi
	kill -TERM "$p"
	for _ in $(seq 300); do
		kill -0 "$p" 2>/dev/null || { say "stopped Harper '$inst' (pid $p)"; return 0; }
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	say "killed Harper '$inst' (pid $p) after 30 s"
}

cmd_status() {
	if p=$(pid_of); then
		say "Harper '$inst' running (pid $p) on http://127.0.0.1:$port"
	else
		say "Harper '$inst' not running (data: $root)"
		return 3
	fi
}

case ${1:-} in
install) cmd_install ;;
start) cmd_start ;;
wait) credentials; cmd_wait || exit 1; say "Harper ready on $HARPER_URL" ;;
stop) cmd_stop ;;
status) cmd_status ;;
pid) pid_of ;;
*) echo "usage: scripts/harper.sh install|start|wait|stop|status|pid" >&2; exit 64 ;;
esac
