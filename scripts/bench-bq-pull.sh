#!/usr/bin/env bash
# bench-bq-pull.sh: (1) converting one 100,000-row getQueryResults answer
# (the maritime vessel_positions shape, generated here) to NDJSON, by
# bq-pull --from-response and by @google-cloud/bigquery's own conversion
# (BigQuery.mergeSchemaWithRows_ + JSON.stringify) on the same file, in
# rows/s and as a ratio (target >= 2); (2) the peak RSS of a 2,000,000-row
# pull through bq-emulator (target <= 64 MiB).
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/bench/out/bq-pull
mkdir -p "$out"
rows=100000
big=${BENCH_PULL_ROWS:-2000000}

# the official client, from tests/clients, else installed in bench/out/node
if ! node -e 'require.resolve("@google-cloud/bigquery",
    {paths: ["tests/clients", "bench/out/node"]})' 2> /dev/null; then
	if [ -f tests/clients/package.json ]; then
		(cd tests/clients && npm install --no-audit --no-fund --silent) \
		    > /dev/null
	else
		npm install --prefix bench/out/node --no-audit --no-fund \
		    --silent @google-cloud/bigquery@8 > /dev/null
	fi
fi

printf 'bigquery:\n  projectId: bench\n' > "$out/cfg.yaml"
python3 scripts/gen-bq-response.py "$rows" > "$out/resp.json"
now() { python3 -c 'import time; print(time.monotonic())'; }
t0=$(now)
bin/bq-pull -c "$out/cfg.yaml" --from-response "$out/resp.json" > "$out/c.ndjson"
t1=$(now)
node scripts/bench-convert-node.cjs "$out/resp.json" "$out/node.ndjson"
t2=$(now)
[ "$(wc -l < "$out/c.ndjson")" -eq "$rows" ] || { echo "bq-pull: wrong count"; exit 1; }
[ "$(wc -l < "$out/node.ndjson")" -eq "$rows" ] || { echo "node: wrong count"; exit 1; }
python3 - "$rows" "$t0" "$t1" "$t2" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
c, node = n / (t1 - t0), n / (t2 - t1)
print("bq-pull --from-response: %d rows in %.2f s: %.0f rows/s" % (n, t1 - t0, c))
print("@google-cloud/bigquery mergeSchemaWithRows_: %d rows in %.2f s: "
      "%.0f rows/s" % (n, t2 - t1, node))
print("ratio: %.2f" % (c / node))
PY

# (2) peak RSS of a big pull through the emulator
. "$top/scripts/bench-lib.sh"
emu=
trap '[ -z "$emu" ] || { kill $emu 2>/dev/null; wait $emu 2>/dev/null; } || true' EXIT
bench_emulator "$out/emulator.log"
bqtest bq table bench ds pos "$(bqtest get -f "$out/resp.json" schema.fields)"
python3 - "$big" <<'PY' | bqtest bq insert bench ds pos > /dev/null
import random, sys
rnd = random.Random(5)
w = sys.stdout.write
ts = 1762776000000000
for i in range(int(sys.argv[1])):
    ts += rnd.randint(1, 2000)
    w('{"mmsi":"%d","imo":"IMO%07d","vessel_name":"VESSEL %d","vessel_type":'
      '"Tanker","flag":"PA","length":%d,"beam":%d,"draft":%.1f,"latitude":'
      '%.6f,"longitude":%.6f,"speed_knots":%.1f,"course":%d,"heading":%d,'
      '"status":"Under way using engine","destination":"Rotterdam","eta":'
      '"%d","timestamp":"%d","report_date":"2025-11-10"}\n' % (
      200000000 + i % 100000, i % 9999999, i % 99999, 30 + i % 370,
      8 + i % 52, 3 + (i % 120) / 10, rnd.uniform(-80, 80),
      rnd.uniform(-180, 180), (i % 250) / 10, i % 360, (i * 7) % 360,
      ts // 1000000 + 86400, ts // 1000000))
PY
printf 'bigquery:\n  projectId: bench\n  dataset: ds\n  tables:\n    - id: pos\n      table: pos\n      timestampColumn: timestamp\n' > "$out/cfg2.yaml"
/usr/bin/time -f %M -o "$out/rss" bin/bq-pull -c "$out/cfg2.yaml" \
    --limit "$big" --no-markers > "$out/big.ndjson"
got=$(wc -l < "$out/big.ndjson")
rm -f "$out/big.ndjson"
[ "$got" -eq "$big" ] || { echo "pull: $got rows, expected $big"; exit 1; }
echo "bq-pull of $big rows through bq-emulator: peak RSS $(cat "$out/rss") KiB" \
    "(limit 65536 KiB)"
