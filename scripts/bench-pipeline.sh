#!/usr/bin/env bash
# bench-pipeline.sh: the whole path, bq-emulator -> bq-pull -> harper-load ->
# bq-checkpoint commit, into a real Harper, for 1 and 2 workers: rows/s,
# each tool's peak RSS and the bytes billed per synced row, next to Harper's
# raw upsert rate measured in the same run (scripts/bench-post.mjs posting
# the same rows, as bq-pull writes them, pre-built into upsert bodies of the
# same batch size into an identically defined table, 2 in flight).  The
# source is a DAY-partitioned table of BENCH_ROWS (200000) positions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${HARPER_URL:?HARPER_URL is not set (run via make bench)}"
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
n=${BENCH_ROWS:-200000}
db=bench_pl_$$
tmp=$(mktemp -d)
emu=
trap 'hop "{\"operation\":\"drop_database\",\"database\":\"$db\"}" >/dev/null 2>&1 || true; [ -z "$emu" ] || kill "$emu"; rm -rf "$tmp"' EXIT
make -C "$top" -s bin/bq-emulator bin/bq-pull bin/harper-load bin/bq-checkpoint
. "$top/scripts/bench-lib.sh"

bench_emulator
bench_positions
bqtest gen rows "$n" |
    bqtest bq insert test-project ds positions > /dev/null
cfg() { bench_cfg "$tmp/$1.yaml" "$2"; }	# cfg NAME TARGET: a config for one run

# Harper's raw rate: the same rows, as bq-pull writes them, posted into
# a fresh table (raw NAME), before and after the pipelines: the best counts
cfg raw Raw
bq-pull -c "$tmp/raw.yaml" --no-markers > "$tmp/rows"
raw() { bench_raw "$1" "$tmp/rows" 2; }
# pipeline NAME N: N workers' pipelines at once into table NAME; prints
# "rows/s" and leaves each tool's peak RSS in $tmp/NAME.W.TOOL
pipeline() {
	local name=$1 nw=$2 w t0 t1
	cfg "$name" "$name"
	t0=$(date +%s.%N)
	for w in $(seq 0 $((nw - 1))); do
		(
		/usr/bin/time -f %M -o "$tmp/$name.$w.pull" bq-pull -q \
		    -c "$tmp/$name.yaml" -w "$w/$nw" |
		    /usr/bin/time -f %M -o "$tmp/$name.$w.load" harper-load -q \
		    -c "$tmp/$name.yaml" |
		    /usr/bin/time -f %M -o "$tmp/$name.$w.ckpt" bq-checkpoint -q \
		    -c "$tmp/$name.yaml" commit --worker "$w/$nw"
		) &
	done
	wait
	t1=$(date +%s.%N)
	got=$(bqtest harper-count "$db.$name")
	[ "$got" = "$n" ] || { echo "$name: $got rows in Harper, not $n" >&2; exit 1; }
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
peak() { sort -n "$tmp"/"$1".*."$2" | tail -n 1; }
billed() {	# bytes billed by the jobs so far
	curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/test-project/jobs?projection=full&maxResults=100000" |
	    bqtest jobs-billed
}

r1=$(raw Raw1)
b0=$(billed)
one=$(pipeline One 1)
b1=$(billed)
two=$(pipeline Two 2)
b2=$(billed)
r2=$(raw Raw2)
raw=$((r1 > r2 ? r1 : r2))
size=$(bqtest bq get test-project ds positions numBytes)
echo "rows $n (table $size bytes, DAY-partitioned), batch 1000, 2 in flight"
echo "Harper raw upsert (Node posting pre-built batches): $raw rows/s (runs: $r1 before, $r2 after)"
echo "whole path, 1 worker: $one rows/s; peak RSS KiB: bq-pull $(peak One pull), harper-load $(peak One load), bq-checkpoint $(peak One ckpt)"
echo "whole path, 2 workers: $two rows/s; peak RSS KiB: bq-pull $(peak Two pull), harper-load $(peak Two load), bq-checkpoint $(peak Two ckpt)"
awk -v b="$((b1 - b0))" -v c="$((b2 - b1))" -v n="$n" 'BEGIN {
	printf "bytes billed per synced row: %.1f (1 worker), %.1f (2 workers)\n", b / n, c / n }'
awk -v a="$one" -v b="$two" -v r="$raw" 'BEGIN {
	printf "ratio to raw: %.2f (1 worker), %.2f (2 workers)\nratio: %.2f\n", a / r, b / r, b / r }'
