#!/usr/bin/env bash
# bench-cost.sh: what a backfill bills.  A DAY-partitioned table of
# BENCH_COST_ROWS (1000000) positions over 30 days in bq-emulator, synced from
# empty by 2 workers with the default batch sizes (bq-pull > /dev/null), then
# one poll of each caught-up worker: the bytes billed per worker against the
# table's size (tables.get numBytes).  Target: at most 2x the table per
# worker; a caught-up poll at most the 10 MiB minimum.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_COST_ROWS:-1000000}
tmp=$(mktemp -d)
emu=
trap '[ -z "$emu" ] || kill "$emu"; rm -rf "$tmp"' EXIT
make -C "$top" -s bin/bq-emulator bin/bq-pull
. "$top/scripts/bench-lib.sh"

bench_emulator
bench_positions
# 30 days: one row every 30 * 86400 / n seconds
python3 - "$n" <<'PY' | bqtest bq insert test-project ds positions > /dev/null
import json, sys
n = int(sys.argv[1])
day0, status = 1761955200, ["underway", "moored", "anchored", "fishing"]
for i in range(n):
    print(json.dumps({"timestamp": "%.6f" % (day0 + i * 30 * 86400 / n),
        "mmsi": str(367000000 + (i * 7919) % 100000),
        "vessel_name": "VESSEL %d" % (i % 977),
        "latitude": round(-60 + (i * 37 % 12000) / 100.0, 4),
        "longitude": round(-170 + (i * 53 % 34000) / 100.0, 4),
        "speed_knots": (i * 13 % 250) / 10.0, "heading": i * 17 % 360,
        "status": status[i % 4], "seq": i}, separators=(",", ":")))
PY
bench_cfg "$tmp/cfg.yaml"
size=$(bqtest bq get test-project ds positions numBytes)
billed() {	# the bytes billed of the sync lines of a bq-pull stream
	bqtest sum bytesBilled --control sync
}
echo "table: $n rows over 30 days, $size bytes (numBytes), DAY-partitioned"
echo "before (the LIMIT-subquery batches of issue 10, measured there): 16.5x the table per worker"
worst=0
for w in 0 1; do
	s=$(date +%s.%N)
	bq-pull -c "$tmp/cfg.yaml" -w $w/2 | grep '^{"@bqsync":"sync"' > "$tmp/sync.$w"
	e=$(date +%s.%N)
	b=$(billed < "$tmp/sync.$w")
	cur=$(tail -n 1 "$tmp/sync.$w" | bqtest get cursor)
	p=$(bq-pull -c "$tmp/cfg.yaml" -w $w/2 --after "$cur" | billed)
	awk -v w="$w" -v b="$b" -v s="$size" -v p="$p" -v t="$(echo "$e - $s" | bc)" 'BEGIN {
		printf "after: worker %d/2 backfill billed %d bytes = %.2fx the table (%.1f s); a caught-up poll billed %d bytes\n", w, b, b / s, t, p }'
	worst=$(awk -v a="$worst" -v b="$b" -v s="$size" 'BEGIN { r = b / s; print (r > a ? r : a) }')
	[ "$p" -le 10485760 ] || { echo "a caught-up poll billed $p > 10 MiB"; exit 1; }
done
echo "ratio: $worst (target <= 2)"
awk -v r="$worst" 'BEGIN { exit !(r <= 2) }'
