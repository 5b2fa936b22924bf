#!/usr/bin/env bash
# quick
# 5,000 rows sharing one timestamp, pulled with --limit 1000 by the real
# pipeline bq-pull | harper-load | bq-checkpoint commit in a loop: every
# row lands in Harper exactly once and the loop ends.
. "$(dirname "$0")/lib.sh"

need_harper
db=$(harper_db)
pull_setup '[{"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]' \
    'targetTable: Ties'
bqtest gen pull-ties > "$T/src.ndjson"
expect_eq 5006 "$(bqapi insert test-project ds t < "$T/src.ndjson")" inserted

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
bqtest seqs "$T/all.ndjson" 5006
expect_eq 5006 "$(hcount "$db.Ties")" "Harper rows"
expect_eq 5006 "$(hsql "SELECT COUNT(DISTINCT seq) AS n FROM $db.Ties" | jget 0.n)" \
    "distinct seq in Harper"
expect_eq 2025-11-01T00:00:08.000001Z \
    "$(bq-checkpoint -c "$T/cfg.yaml" -t t -w 0/1 get)" "final cursor"
