#!/usr/bin/env bash
# bq-sync --once: every table of the config pulled until caught up, by
# real bq-pull | harper-load | bq-checkpoint pipelines; Harper then holds
# exactly BigQuery's rows.  A table that does not exist in BigQuery makes
# it exit with that pipeline's status, records lastError, and leaves the
# other tables synced.  A second bq-sync on the same lock waits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 30
maritime-synth -q -c "$cfg" -s 7 initialize 1
bq-sync -c "$cfg" -w 0/1 --once 2> "$T/once.log" ||
    fail "bq-sync --once: $(tail -5 "$T/once.log")"
for t in $PL_TABLES; do
	pl_compare "$t"
done
# caught up: a second run pulls nothing and still exits 0
bq-sync -q -c "$cfg" -w 0/1 --once
n=$(bq-checkpoint -c "$cfg" status --format json | wc -l)
expect_eq 3 "$n" "checkpoint records"
bq-checkpoint -c "$cfg" status --format json | jq -e -s \
    "all(.worker == \"$(hostname)-0\")" > /dev/null ||
    fail "worker names: $(bq-checkpoint -c "$cfg" status --format json)"

# a table missing in BigQuery: the first failure's status, the rest synced
cat "$cfg" > "$T/bad.yaml"
sed -i 's/^harper:/    - id: nosuch\n      table: nosuch\n      timestampColumn: ts\n      targetTable: NoSuch\nharper:/' "$T/bad.yaml"
rc=0
bq-sync -c "$T/bad.yaml" -w 0/1 --once 2> "$T/bad.log" || rc=$?
[ "$rc" -ne 0 ] || fail "a missing table gave exit 0: $(cat "$T/bad.log")"
grep -q "table 'nosuch' worker 0/1: bq-pull exited $rc" "$T/bad.log" ||
    fail "no report of the failed table: $(cat "$T/bad.log")"
say "missing table: exit $rc, reported"
say ok
