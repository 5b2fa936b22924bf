#!/usr/bin/env bash
# bench-verify.sh: bq-verify over BENCH_VERIFY_ROWS (default 1,000,000)
# equal rows, synced here from bq-emulator into Harper with bq-pull |
# harper-load: rows/s and peak RSS (target <= 64 MiB) of --quick and of the
# default (content digest), and the BigQuery bytes processed and billed
# (on-demand: whole MiB, at least 10 MiB a query) per verified row of each
# (the emulator counts them as BigQuery bills referenced columns).
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/bench/out/verify
mkdir -p "$out"
n=${BENCH_VERIFY_ROWS:-1000000}
db=bench_verify_$$

. "$top/scripts/bench-lib.sh"
emu=
trap '[ -z "$emu" ] || { kill $emu 2>/dev/null; wait $emu 2>/dev/null; }; hop "{\"operation\":\"drop_database\",\"database\":\"$db\"}" > /dev/null 2>&1 || true' EXIT
bench_emulator "$out/emulator.log"
bqtest bq table bench ds pos '[{"name":"timestamp","type":"TIMESTAMP"},
    {"name":"mmsi","type":"STRING"},{"name":"latitude","type":"FLOAT"},
    {"name":"longitude","type":"FLOAT"},{"name":"speed_knots","type":"FLOAT"},
    {"name":"status","type":"STRING"}]'
python3 - "$n" <<'PY' | bqtest bq insert bench ds pos > /dev/null
import random, sys
rnd = random.Random(7)
ts = 1762776000000000
for i in range(int(sys.argv[1])):
    ts += rnd.randint(1, 200000)
    sys.stdout.write('{"timestamp":"%d.%06d","mmsi":"%d","latitude":%.6f,'
        '"longitude":%.6f,"speed_knots":%.1f,"status":"Under way"}\n' % (
        ts // 1000000, ts % 1000000, 200000000 + i % 50000,
        rnd.uniform(-80, 80), rnd.uniform(-180, 180), (i % 250) / 10))
PY
cat > "$out/cfg.yaml" <<YAML
bigquery:
  projectId: bench
  dataset: ds
  tables:
    - id: pos
      table: pos
      timestampColumn: timestamp
      targetTable: Pos
harper:
  database: $db
checkpoint:
  path: $out/state.json
YAML
rm -f "$out/state.json"
bin/bq-pull -q -c "$out/cfg.yaml" -t pos --limit "$n" |
    bin/harper-load -q -c "$out/cfg.yaml" -t pos |
    bin/bq-checkpoint -q -c "$out/cfg.yaml" -t pos commit
for mode in --quick --default; do
	args=
	[ "$mode" = --default ] || args=$mode
	t0=$(python3 -c 'import time; print(time.monotonic())')
	rc=0
	/usr/bin/time -f %M -o "$out/rss" bin/bq-verify -q -c "$out/cfg.yaml" \
	    -t pos --window 1h $args > "$out/v.ndjson" || rc=$?
	t1=$(python3 -c 'import time; print(time.monotonic())')
	[ "$rc" -eq 0 ] || { echo "bq-verify $mode: exit $rc"; exit 1; }
	python3 - "$mode" "$t0" "$t1" "$(cat "$out/rss")" "$out/v.ndjson" <<'PY'
import json, sys
mode, t0, t1, rss, f = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = [json.loads(l) for l in open(f) if '"summary"' in l][0]
n = s["bigquery"]
print("bq-verify %s: %d equal rows in %.1f s: %.0f rows/s, peak RSS %d KiB "
      "(limit 65536), %.1f bytes processed and %.1f billed per verified row "
      "(%d windows)" % (mode, n, t1 - t0, n / (t1 - t0), rss,
      s["bytesProcessed"] / n, s["bytesBilled"] / n, s["windows"]))
PY
done
