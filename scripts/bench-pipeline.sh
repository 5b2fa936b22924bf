#!/usr/bin/env bash
# bench-pipeline.sh: the whole path, bq-emulator -> bq-pull -> harper-load ->
# bq-checkpoint commit, into a real Harper, for 1 and 2 workers: rows/s,
# each tool's peak RSS and the bytes billed per synced row, next to Harper's
# raw upsert rate measured in the same run: curl --parallel posting the
# same rows, as bq-pull writes them, pre-built into upsert bodies of the
# same batch size into an identically defined table, with as many upserts
# in flight as the pipelines have in total (harper.inFlight, 2, per worker:
# 2 against 1 worker and 4 against 2), the mean of a run just before and
# one just after the pipeline it is compared with (scripts/bench-post.mjs,
# the Node client, is printed beside).  The source is a
# DAY-partitioned table of BENCH_ROWS (200000) positions.
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
load0=$(cut -d' ' -f1-3 /proc/loadavg)

bench_emulator
bench_positions
bqtest gen rows "$n" |
    bqtest bq insert test-project ds positions > /dev/null
cfg() { bench_cfg "$tmp/$1.yaml" "$2"; }	# cfg NAME TARGET: a config for one run

# Harper's raw rate: the same rows, as bq-pull writes them, posted into
# a fresh table (raw NAME CONNS [BATCHES]), CONNS upserts in flight
cfg raw Raw
bq-pull -c "$tmp/raw.yaml" --no-markers > "$tmp/rows"
raw() {	# raw NAME CONNS [ROWS]: the first ROWS rows only
	if [ -n "${3:-}" ]; then
		head -n "$3" "$tmp/rows" > "$tmp/rows.$1"
		bench_raw "$1" "$tmp/rows.$1" "$2"
	else
		bench_raw "$1" "$tmp/rows" "$2"
	fi
}

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
billed() { bqtest jobs-billed; }	# bytes billed by the jobs so far

rawc() { bench_raw_curl "$1" "$tmp/rows" "$2"; }	# rawc NAME CONNS
max() { printf '%s\n' "$@" | sort -n | tail -n 1; }

# A warm-up, so that no measured run pays for the new database.  Each
# path is compared with Harper's raw rate at its concurrency around it:
# the mean of a curl run just before and one just after (Harper's rate
# drifts by a third between runs; the two bracket the pipeline).  The Node
# client's runs are printed beside: at 4 in flight it measures itself, not
# Harper.  The best single raw run is printed too.
raw Warm 2 40000 > /dev/null
r1=$(raw Raw1 2); c1=$(rawc Curl1 2)
b0=$(billed)
one=$(pipeline One 1)
b1=$(billed)
r2=$(raw Raw2 2); c2=$(rawc Curl2 2)
r3=$(raw Raw3 4); c3=$(rawc Curl3 4)
two=$(pipeline Two 2)
b2=$(billed)
r4=$(raw Raw4 4); c4=$(rawc Curl4 4)
raw2=$(( (c1 + c2) / 2 )); best2=$(max "$r1" "$r2" "$c1" "$c2")
raw4=$(( (c3 + c4) / 2 )); best4=$(max "$r3" "$r4" "$c3" "$c4")
size=$(bqtest bq get test-project ds positions numBytes)
echo "rows $n (table $size bytes, DAY-partitioned), batch 1000, inFlight 2 per worker"
echo "load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Harper raw upsert, 2 in flight: $raw2 rows/s (curl $c1 before, $c2 after the 1-worker path; Node $r1, $r2)"
echo "Harper raw upsert, 4 in flight: $raw4 rows/s (curl $c3 before, $c4 after the 2-worker path; Node $r3, $r4)"
echo "whole path, 1 worker: $one rows/s; peak RSS KiB: bq-pull $(peak One pull), harper-load $(peak One load), bq-checkpoint $(peak One ckpt)"
echo "whole path, 2 workers: $two rows/s; peak RSS KiB: bq-pull $(peak Two pull), harper-load $(peak Two load), bq-checkpoint $(peak Two ckpt)"
awk -v b="$((b1 - b0))" -v c="$((b2 - b1))" -v n="$n" 'BEGIN {
	printf "bytes billed per synced row: %.1f (1 worker), %.1f (2 workers)\n", b / n, c / n }'
awk -v a="$one" -v b="$two" -v r="$raw2" -v q="$raw4" -v R="$best2" -v Q="$best4" 'BEGIN {
	printf "ratio to the best single raw run: %.2f (1 worker), %.2f (2 workers)\n", a / R, b / Q
	printf "ratio to raw at the same concurrency: %.2f (1 worker), %.2f (2 workers)\nratio: %.2f\n", a / r, b / q, b / q }'
