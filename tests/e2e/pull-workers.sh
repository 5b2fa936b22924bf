#!/usr/bin/env bash
# For N = 1..7 workers over second-precision timestamps, the union of the
# workers' pulls is the table with no row twice, each worker's rows are the
# ones bq-partition (client side) assigns to it, and groups of equal
# timestamps never straddle workers.  Both partition schemes.
. "$(dirname "$0")/lib.sh"

pull_setup '[{"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]'
# 1,500 rows over 500 whole seconds (three rows per second)
bqtest gen seconds 1500 3 --column ts > "$T/src.ndjson"
expect_eq 1500 "$(bqapi insert test-project ds t < "$T/src.ndjson")" inserted

for scheme in fingerprint micros; do
	for n in 1 2 3 4 5 6 7; do
		: > "$T/union"
		parts=()
		for ((i = 0; i < n; i++)); do
			bq-pull -c "$T/cfg.yaml" -w "$i/$n" --partition "$scheme" \
			    --limit 100000 --no-markers > "$T/w$i"
			# the client-side partition keeps every row of worker i
			bq-partition -k ts -p "$scheme" -w "$i/$n" < "$T/w$i" \
			    > "$T/p$i"
			cmp -s "$T/w$i" "$T/p$i" ||
			    fail "$scheme $i/$n: bq-partition disagrees"
			cat "$T/w$i" >> "$T/union"
			parts+=("$T/w$i")
		done
		bqtest seqs "$T/union" 1500 ||
		    fail "$scheme N=$n: the union is not the table"
		bqtest disjoint --column ts "${parts[@]}" ||
		    fail "$scheme N=$n: a group is split"
		say "$scheme N=$n: union = table, no duplicates"
	done
done
