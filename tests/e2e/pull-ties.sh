#!/usr/bin/env bash
# quick
# 5,000 rows sharing one timestamp, pulled with --limit 1000 by the real
# pipeline bq-pull | harper-load | bq-checkpoint commit in a loop: every
# row lands in Harper exactly once and the loop ends.
. "$(dirname "$0")/lib.sh"

need_harper
start_emulator
db=$(harper_db)
cat > "$T/cfg.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
      targetTable: Ties
harper:
  database: $db
checkpoint:
  path: $T/state.json
YAML
"$top"/tests/e2e/bqapi.py table test-project ds t '[{"name":"ts","type":"TIMESTAMP"},
    {"name":"seq","type":"INT64"}]'
python3 - > "$T/src.ndjson" <<'PY'
# 3 rows before, 5,000 tied at one instant, 3 after
for i in range(3):
    print('{"ts":"2025-11-01T00:00:0%d.000001Z","seq":%d}' % (i, i))
for i in range(3, 5003):
    print('{"ts":"2025-11-01T00:00:05.500000Z","seq":%d}' % i)
for i in range(5003, 5006):
    print('{"ts":"2025-11-01T00:00:0%d.000001Z","seq":%d}' % (i - 4997, i))
PY
expect_eq 5006 "$("$top"/tests/e2e/bqapi.py insert test-project ds t < "$T/src.ndjson")" inserted

: > "$T/all.ndjson"
for round in $(seq 20); do
	cur=$(bq-checkpoint -c "$T/cfg.yaml" -t t -w 0/1 get)
	bq-pull -c "$T/cfg.yaml" -t t -w 0/1 --after "$cur" --limit 1000 |
	    tee "$T/pull.$round" |
	    harper-load -c "$T/cfg.yaml" -t t |
	    bq-checkpoint -c "$T/cfg.yaml" -t t -w 0/1 commit
	rows=$(grep -vc '"@bqsync"' "$T/pull.$round" || true)
	say "round $round: after '$cur': $rows rows"
	cat "$T/pull.$round" >> "$T/all.ndjson"
	[ "$rows" -gt 0 ] || break
done
[ "$rows" -eq 0 ] || fail "the loop did not end"
# round 1 took 3 rows plus the whole tied group (limit extended)
expect_eq 5003 "$(grep -vc '"@bqsync"' "$T/pull.1")" "first pull"
expect_eq 3 "$round" rounds
# every source row pulled exactly once, and in Harper exactly once
python3 - "$T/all.ndjson" <<'PY'
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1]) if "@bqsync" not in l]
assert sorted(seqs) == list(range(5006)), (len(seqs), len(set(seqs)))
PY
expect_eq 5006 "$(hcount "$db.Ties")" "Harper rows"
expect_eq 5006 "$(hsql "SELECT COUNT(DISTINCT seq) AS n FROM $db.Ties" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["n"])')" \
    "distinct seq in Harper"
expect_eq 2025-11-01T00:00:08.000001Z \
    "$(bq-checkpoint -c "$T/cfg.yaml" -t t -w 0/1 get)" "final cursor"
