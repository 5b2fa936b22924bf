#!/usr/bin/env bash
# bench-harper-load.sh: harper-load's rows/s into a real Harper next to a
# baseline that POSTs the same records, pre-built into upsert bodies of the
# same batch size, with the same number of connections in flight, over
# keep-alive (scripts/bench-post.mjs): same Harper, fresh tables with the
# same declared attributes and timestamp index, same rows, one run,
# interleaved (baseline, harper-load, baseline, harper-load; best of each).
# Also harper-load's CPU (utime+stime) per 10,000 rows/s and its peak RSS
# for two input sizes.  Uses a private database, dropped at the end.
#   BENCH_ROWS (100000), BENCH_BIG_ROWS (400000), BENCH_BATCH (1000),
#   BENCH_CONNS (2)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${HARPER_URL:?HARPER_URL is not set (run via make bench)}"
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
n=${BENCH_ROWS:-100000}
big=${BENCH_BIG_ROWS:-400000}
batch=${BENCH_BATCH:-1000}
conns=${BENCH_CONNS:-2}
db=bench_hl_$$
tmp=$(mktemp -d)
trap 'hop "{\"operation\":\"drop_database\",\"database\":\"$db\"}" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
[ -x "$top/bin/harper-load" ] || make -C "$top" bin/harper-load >/dev/null
. "$top/scripts/bench-lib.sh"

# Rows as bq-pull writes them (with their id).
bqtest gen rows "$n" 1 0 --ids > "$tmp/rows"
bqtest gen rows "$big" 1 0 --ids > "$tmp/big"
printf 'harper:\n  database: %s\n' "$db" > "$tmp/cfg.yaml"

# create TABLE: the table harper-load would create for these rows.
create() { bench_create "$1" "$tmp/rows"; }
baseline() { bench_raw "$1" "$tmp/rows" "$conns" "$batch"; }
# load TABLE FILE: harper-load into a fresh table; prints "rows/s cpu rss".
load() {
	local rows
	create "$1"
	rows=$(wc -l < "$2")
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$top/bin/harper-load" -q \
	    -c "$tmp/cfg.yaml" --no-create -t "$1" -b "$batch" -j "$conns" "$2" > "$tmp/acks"
	[ "$(tail -n 1 "$tmp/acks" | bqtest get total)" = "$rows" ] ||
	    { echo "harper-load did not ack every row" >&2; exit 1; }
	awk -v n="$rows" '{ printf "%.0f %.3f %d\n", n / $1, $2 + $3, $4 }' "$tmp/time"
}

b1=$(baseline Base1)
set -- $(load Load1 "$tmp/rows"); h1=$1 cpu1=$2 rss1=$3
b2=$(baseline Base2)
set -- $(load Load2 "$tmp/rows"); h2=$1 cpu2=$2 rss2=$3
set -- $(load Load3 "$tmp/big"); h3=$1 cpu3=$2 rss3=$3
best() { [ "$1" -ge "$2" ] && echo "$1" || echo "$2"; }
hb=$(best "$h1" "$h2")
bb=$(best "$b1" "$b2")
echo "rows $n, batch $batch, in flight $conns"
echo "harper-load: $hb rows/s (runs: $h1, $h2; $big rows: $h3)"
echo "baseline: $bb rows/s (runs: $b1, $b2)"
awk -v h="$hb" -v b="$bb" 'BEGIN { printf "ratio: %.2f\n", h / b }'
awk -v c="$cpu1" -v c2="$cpu2" -v c3="$cpu3" -v n="$n" -v m="$big" 'BEGIN {
	printf "harper-load CPU: %.4f cores per 10,000 rows/s (%.2f s, %.2f s for %d rows; %.2f s for %d rows; target < 0.05)\n",
	    (c + c2 + c3) * 10000 / (2 * n + m), c, c2, n, c3, m }'
echo "peak RSS: $n rows: $((rss1 > rss2 ? rss1 : rss2)) KiB; $big rows: $rss3 KiB (target <= 65536 KiB)"
