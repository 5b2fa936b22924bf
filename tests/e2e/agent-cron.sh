#!/usr/bin/env bash
# The shipped crontab line, run exactly as cron runs it (env -i with cron's
# HOME, LOGNAME, SHELL and PATH, then the crontab's own variables) after
# `make install PREFIX=<temp>`: it syncs every table, keeps its state in
# the config file's folder (a relative checkpoint.path), and a table that
# does not exist makes it exit non-zero, as does sync-cycle.sh.  The
# shipped systemd unit passes systemd-analyze verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 20
prefix=$T/prefix etc=$T/etc home=$T/home
mkdir -p "$etc" "$home"
make -s -C "$top" install PREFIX="$prefix" > "$T/install.log" 2>&1 ||
    fail "make install: $(cat "$T/install.log")"
sed 's|^  path: .*|  path: state.json|' "$cfg" > "$etc/config.yaml"
# harper.env as README writes it for the systemd unit's EnvironmentFile
# (VAR=value lines, no export): the crontab reads the same file
printf 'HARPER_URL=%s\nHARPER_USERNAME=%s\nHARPER_PASSWORD=%s\nBIGQUERY_EMULATOR_HOST=%s\n' \
    "$HARPER_URL" "$HARPER_USERNAME" "$HARPER_PASSWORD" "$BIGQUERY_EMULATOR_HOST" > "$etc/harper.env"
chmod 600 "$etc/harper.env"
maritime-synth -q -c "$cfg" -s 7 initialize 1

# cron: the crontab's variable lines and the command of its job line
ex=$prefix/share/bqsync/examples
[ -f "$ex/crontab" ] || fail "make install did not install the crontab"
sed -e "s|/usr/local|$prefix|g" -e "s|/etc/bqsync|$etc|g" "$ex/crontab" > "$T/crontab"
# (the sync job first, then the nightly verify)
vars=() cmd= vcmd=
while IFS= read -r line; do
	case $line in
	'#'*|'') ;;
	[A-Z]*=*) vars+=("$line") ;;
	*bq-verify*) vcmd=$(printf '%s\n' "$line" | cut -d' ' -f6-) ;;
	*) cmd=$(printf '%s\n' "$line" | cut -d' ' -f6-) ;;
	esac
done < "$T/crontab"
[ -n "$cmd" ] || fail "no job line in the crontab"
[ -n "$vcmd" ] || fail "no nightly bq-verify line in the crontab"
as_cron() {
	(cd "$home" && env -i HOME="$home" LOGNAME=root SHELL=/bin/sh \
	    PATH=/usr/bin:/bin "${vars[@]}" /bin/sh -c "${1:-$cmd}")
}
as_cron 2> "$T/cron.log" || fail "the crontab line failed ($?): $(cat "$T/cron.log")"
for t in $PL_TABLES; do
	pl_compare "$t"
done
# the nightly verify, as cron runs it: nothing differs, exit 0
as_cron "$vcmd" > "$T/verify.out" 2> "$T/verify.log" ||
    fail "the nightly verify line failed ($?): $(cat "$T/verify.out" "$T/verify.log")"
[ -s "$home/bq-verify.ndjson" ] || fail "the nightly verify wrote no report"
[ -f "$etc/state.json" ] || fail "state not in the config's folder: $(ls "$etc" "$home")"
# the same state from another directory
n=$(cd / && "$prefix/bin/bq-checkpoint" -c "$etc/config.yaml" status --format json | wc -l)
expect_eq 3 "$n" "checkpoints seen from /"
say "crontab line: synced, state in the config's folder"

# a table that does not exist: the cron line fails
sed -i 's/^harper:/    - id: nosuch\n      table: nosuch\n      timestampColumn: ts\n      targetTable: NoSuch\nharper:/' "$etc/config.yaml"
rc=0
as_cron 2> "$T/cron2.log" || rc=$?
[ "$rc" -ne 0 ] || fail "a missing table gave exit 0"
say "crontab line with a missing table: exit $rc"
rc=0
(cd "$home" && env -i HOME="$home" PATH="$prefix/bin:/usr/bin:/bin" \
    BQSYNC_CONFIG="$etc/config.yaml" bash -c "set -a && . '$etc/harper.env' && set +a && '$ex/sync-cycle.sh' nosuch 0/1") \
    2> "$T/cycle.log" || rc=$?
[ "$rc" -ne 0 ] || fail "sync-cycle.sh with a missing table gave exit 0"
say "sync-cycle.sh with a missing table: exit $rc"

# the unit file
if command -v systemd-analyze > /dev/null; then
	sed -e "s|/usr/local|$prefix|g" -e "s|/etc/bqsync|$etc|g" \
	    "$ex/bq-sync.service" > "$T/bq-sync.service"
	# (it runs man(1) on Documentation=: find the installed page)
	MANPATH=$prefix/share/man systemd-analyze verify "$T/bq-sync.service" \
	    > "$T/verify.log" 2>&1 ||
	    fail "systemd-analyze verify: $(cat "$T/verify.log")"
	[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify warns: $(cat "$T/verify.log")"
	say "bq-sync.service: systemd-analyze verify is clean"
else
	say "systemd-analyze not installed: unit file not verified"
fi
say ok
