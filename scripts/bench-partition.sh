#!/usr/bin/env bash
# bench-partition: bq-partition --worker 1/4 over 500k vessel-position rows
# (rows/s and peak RSS), against jq -c doing the least a JSON filter does
# (parse every line, print a quarter) on the same file in the same run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
rows=${BENCH_PARTITION_ROWS:-500000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$rows" > "$tmp/rows" <<'PY'
import random, sys, datetime
random.seed(1)
t0 = datetime.datetime(2025, 11, 4)
for n in range(int(sys.argv[1])):
    t = t0 + datetime.timedelta(microseconds=n * 137001)
    print('{"mmsi":%d,"imo":%d,"vessel_name":"VESSEL %d","vessel_type":"Cargo",'
          '"latitude":%.6f,"longitude":%.6f,"speed_knots":%.1f,"course":%.1f,'
          '"heading":%d,"status":"Under way using engine","destination":"ROTTERDAM",'
          '"timestamp":"%s.%06dZ"}' % (random.randint(200000000, 799999999),
          random.randint(9000000, 9999999), n % 1000, random.uniform(-80, 80),
          random.uniform(-180, 180), random.uniform(0, 25), random.uniform(0, 360),
          random.randint(0, 359), t.strftime("%Y-%m-%dT%H:%M:%S"), t.microsecond))
PY
bytes=$(wc -c < "$tmp/rows")

now() { date +%s.%N; }
t0=$(now)
/usr/bin/time -f %M -o "$tmp/rss" bq-partition --worker 1/4 "$tmp/rows" > "$tmp/mine"
t1=$(now)
jq -c 'select(.heading % 4 == 1)' "$tmp/rows" > "$tmp/jq"
t2=$(now)

kept=$(wc -l < "$tmp/mine")
[ "$kept" -gt $((rows / 5)) ] && [ "$kept" -lt $((rows * 3 / 10)) ] ||
    { echo "bench-partition: worker 1/4 kept $kept of $rows rows" >&2; exit 1; }
awk -v r="$rows" -v b="$bytes" -v a="$t0" -v m="$t1" -v z="$t2" -v rss="$(cat "$tmp/rss")" 'BEGIN {
	p = m - a; j = z - m
	printf "rows: %d (%.1f MB)\n", r, b / 1e6
	printf "bq-partition --worker 1/4: %.2f s, %.0f rows/s, %.1f MB/s, peak RSS %d KB\n", p, r / p, b / 1e6 / p, rss
	printf "baseline jq -c select: %.2f s, %.0f rows/s\n", j, r / j
	printf "ratio: %.2f\n", j / p
}'
