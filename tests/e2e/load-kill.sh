#!/usr/bin/env bash
# harper-load killed with SIGKILL at random moments and rerun from the
# checkpoint that bq-checkpoint stored, until one run completes: Harper ends
# with exactly the source rows.  The first runs are killed after a random
# 0.3-2.5 s; later runs are left to finish, so the loop is bounded.
. "$(dirname "$0")/lib.sh"
need_harper
db=$(harper_db)
cfg=$T/cfg.yaml
cat > "$cfg" <<YAML
bigquery:
  tables:
    - id: kill
      table: kill
      targetTable: Kill
      indexes: [timestamp]
harper:
  database: $db
  batchRows: 400
  inFlight: 3
checkpoint:
  path: $T/state.json
YAML
# 30,000 rows in groups of 7 equal timestamps: batches split groups.
python3 "$top/tests/e2e/genrows.py" 30000 7 > "$T/rows.ndjson"
RANDOM=4242
kills=0 runs=0 done=
while [ -z "$done" ]; do
	runs=$((runs + 1))
	[ "$runs" -le 40 ] || fail "not done after 40 runs"
	cursor=$(bq-checkpoint -c "$cfg" -t kill get)
	python3 -c '
import json, sys
c = sys.argv[1]
for l in open(sys.argv[2]):
    if not c or json.loads(l)["timestamp"] > c:
        sys.stdout.write(l)' "$cursor" "$T/rows.ndjson" > "$T/in.ndjson"
	sh -c 'echo $$ > "$1"; exec harper-load -q -c "$2" -t kill "$3"' sh \
	    "$T/hl.pid" "$cfg" "$T/in.ndjson" |
	    bq-checkpoint -c "$cfg" -t kill commit &
	pipe=$!
	if [ "$runs" -le 8 ]; then
		sleep "$((RANDOM % 23 + 3))e-1"
		kill -KILL "$(cat "$T/hl.pid")" 2>/dev/null && kills=$((kills + 1))
	fi
	rc=0
	wait "$pipe" || rc=$?
	case $rc in
	0) done=1 ;;
	137) ;;
	*) fail "run $runs: exit $rc" ;;
	esac
	say "run $runs from '${cursor:-start}': exit $rc"
done
[ "$kills" -ge 3 ] || fail "only $kills runs were killed"
expect_eq 30000 "$(python3 "$top/tests/e2e/checkrows.py" "$T/rows.ndjson" "$db.Kill")" "rows"
last=$(tail -n 1 "$T/rows.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["timestamp"])')
expect_eq "$last" "$(bq-checkpoint -c "$cfg" -t kill get)" "final cursor"
say "ok: $runs runs, $kills killed"
