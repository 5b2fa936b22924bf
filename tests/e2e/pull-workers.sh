#!/usr/bin/env bash
# For N = 1..7 workers over second-precision timestamps, the union of the
# workers' pulls is the table with no row twice, each worker's rows are the
# ones bq-partition (client side) assigns to it, and groups of equal
# timestamps never straddle workers.  Both partition schemes.
. "$(dirname "$0")/lib.sh"

start_emulator
cat > "$T/cfg.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
YAML
"$top"/tests/e2e/bqapi.py table test-project ds t '[{"name":"ts","type":"TIMESTAMP"},
    {"name":"seq","type":"INT64"}]'
python3 - > "$T/src.ndjson" <<'PY'
# 1,500 rows over 500 whole seconds (three rows per second)
for i in range(1500):
    print('{"ts":"2025-11-01T%02d:%02d:%02dZ","seq":%d}' % (
        (i // 3) // 3600, (i // 3) // 60 % 60, (i // 3) % 60, i))
PY
expect_eq 1500 "$("$top"/tests/e2e/bqapi.py insert test-project ds t < "$T/src.ndjson")" inserted

for scheme in fingerprint micros; do
	for n in 1 2 3 4 5 6 7; do
		: > "$T/union"
		for ((i = 0; i < n; i++)); do
			bq-pull -c "$T/cfg.yaml" -w "$i/$n" --partition "$scheme" \
			    --limit 100000 --no-markers > "$T/w$i"
			# the client-side partition keeps every row of worker i
			bq-partition -k ts -p "$scheme" -w "$i/$n" < "$T/w$i" \
			    > "$T/p$i"
			cmp -s "$T/w$i" "$T/p$i" ||
			    fail "$scheme $i/$n: bq-partition disagrees"
			sed "s/^/$i /" "$T/w$i" >> "$T/union"
		done
		python3 - "$T/union" "$n" "$scheme" <<'PY'
import json, sys
owner, seqs = {}, []
for line in open(sys.argv[1]):
    w, row = line.split(" ", 1)
    r = json.loads(row)
    seqs.append(r["seq"])
    assert owner.setdefault(r["ts"], w) == w, "group split: %s" % r["ts"]
assert sorted(seqs) == list(range(1500)), (sys.argv[3], sys.argv[2],
    len(seqs), len(set(seqs)))
PY
		say "$scheme N=$n: union = table, no duplicates"
	done
done
