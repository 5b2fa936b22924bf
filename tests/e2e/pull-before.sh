#!/usr/bin/env bash
# quick
# bq-pull --after A --before B: exactly the rows with A < ts < B, in
# batches (here of 2 rows through the phase's batch size) until the range
# is done, then an end line.
. "$(dirname "$0")/lib.sh"
pull_setup '[{"name":"ts","type":"TIMESTAMP"},{"name":"n","type":"INTEGER"}]'
for i in 1 2 3 4 5 6 7 8 9; do
	printf '{"ts":"2025-01-01T00:00:0%d.000000Z","n":%d}\n' "$i" "$i"
done | bqapi insert test-project ds t
printf 'sync:\n  initialBatchSize: 2\n' >> "$T/cfg.yaml"
bq-pull -q -c "$T/cfg.yaml" -t t --after 2025-01-01T00:00:02Z \
    --before 2025-01-01T00:00:07Z > "$T/out"
got=$(grep -v '"@bqsync"' "$T/out" | jfield n | xargs)
expect_eq "3 4 5 6" "$got" "rows of (A, B)"
tail -n 1 "$T/out" | grep -q '"end"' || fail "no end line"
must_fail 64 bq-pull -q -c "$T/cfg.yaml" -t t --before yesterday
say ok
