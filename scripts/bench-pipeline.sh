#!/usr/bin/env bash
# bench-pipeline.sh: the whole path, bq-emulator -> bq-pull -> harper-load ->
# bq-checkpoint commit, into a real Harper, for 1 and 2 workers: rows/s,
# each tool's peak RSS and the bytes billed per synced row, next to Harper's
# raw upsert rate measured in the same run (scripts/bench-post.mjs posting
# the same rows, as bq-pull writes them, pre-built into upsert bodies of the
# same batch size into an identically defined table, with as many upserts
# in flight as the pipelines have in total: harper.inFlight (2) per worker,
# so 2 against 1 worker and 4 against 2).  Each raw rate is the better of
# a run just before and one just after the pipeline it is compared with,
# so that the machine's load drifts alike for both.  The source is a
# DAY-partitioned table of BENCH_ROWS (200000) positions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${HARPER_URL:?HARPER_URL is not set (run via make bench)}"
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD
n=${BENCH_ROWS:-200000}
db=bench_pl_$$
tmp=$(mktemp -d)
emu=
hop() {
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" |
	    curl -sS --fail-with-body -K - -H 'Content-Type: application/json' \
	    --data-binary "$1" "$HARPER_URL/"
}
trap 'hop "{\"operation\":\"drop_database\",\"database\":\"$db\"}" >/dev/null 2>&1 || true; [ -z "$emu" ] || kill "$emu"; rm -rf "$tmp"' EXIT
make -C "$top" -s bin/bq-emulator bin/bq-pull bin/harper-load bin/bq-checkpoint
PATH=$top/bin:$PATH
load0=$(cut -d' ' -f1-3 /proc/loadavg)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bq-emulator -q --port "$port" > "$tmp/emu.log" 2>&1 &
emu=$!
export BIGQUERY_EMULATOR_HOST=127.0.0.1:$port
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://$BIGQUERY_EMULATOR_HOST/healthz" && break
	sleep 0.1
done
"$top/tests/e2e/bqapi.py" table test-project ds positions '[
    {"name":"timestamp","type":"TIMESTAMP"},{"name":"mmsi","type":"STRING"},
    {"name":"vessel_name","type":"STRING"},{"name":"latitude","type":"FLOAT64"},
    {"name":"longitude","type":"FLOAT64"},{"name":"speed_knots","type":"FLOAT64"},
    {"name":"heading","type":"INT64"},{"name":"status","type":"STRING"},
    {"name":"seq","type":"INT64"}]' '{"type":"DAY","field":"timestamp"}'
python3 "$top/tests/e2e/genrows.py" "$n" |
    "$top/tests/e2e/bqapi.py" insert test-project ds positions > /dev/null
cfg() {	# cfg NAME TARGET: a config for one run
	cat > "$tmp/$1.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: ds
  tables:
    - id: positions
      table: positions
      timestampColumn: timestamp
      targetTable: $2
harper:
  database: $db
checkpoint:
  path: $tmp/$1.state.json
YAML
}

# Harper's raw rate: the same rows, as bq-pull writes them, posted into
# a fresh table (raw NAME CONNS [BATCHES]), CONNS upserts in flight
cfg raw Raw
bq-pull -c "$tmp/raw.yaml" --no-markers > "$tmp/rows"
raw() {
hop "$(python3 - "$db" "$1" "$tmp/rows" <<'PY'
import json, sys
db, t, f = sys.argv[1:]
cols = [c for c in json.loads(open(f).readline()) if c not in ("id", "timestamp")]
attrs = [{"name": "id", "type": "ID", "isPrimaryKey": True},
         {"name": "timestamp", "indexed": True}]
attrs += [{"name": c} for c in cols + ["_syncedAt"]]
print(json.dumps({"operation": "create_table", "database": db, "table": t,
                  "primary_key": "id", "attributes": attrs}))
PY
)" > /dev/null
python3 - "$db" "$1" 1000 "$tmp/rows" > "$tmp/bodies" <<'PY'
import datetime, json, sys
db, t, b, f = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
head = '{"operation":"upsert","database":%s,"table":%s,"records":[' % (json.dumps(db), json.dumps(t))
recs = [l.rstrip("\n")[:-1] + ',"_syncedAt":"%s"}' % now for l in open(f)]
for i in range(0, len(recs), b):
    sys.stdout.write(head + ",".join(recs[i:i + b]) + "]}\n")
PY
[ -z "${3:-}" ] || { head -n "$3" "$tmp/bodies" > "$tmp/b"; mv "$tmp/b" "$tmp/bodies"; }
node "$top/scripts/bench-post.mjs" "$tmp/bodies" "$2" |
    python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["rows_per_s"])'
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
	got=$(hop "{\"operation\":\"sql\",\"sql\":\"SELECT count(*) AS n FROM $db.$name\"}" |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["n"])')
	[ "$got" = "$n" ] || { echo "$name: $got rows in Harper, not $n" >&2; exit 1; }
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
peak() { sort -n "$tmp"/"$1".*."$2" | tail -n 1; }
billed() {	# bytes billed by the jobs so far
	curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/test-project/jobs?projection=full&maxResults=100000" |
	    python3 -c '
import json, sys
print(sum(int(j["statistics"]["query"].get("totalBytesBilled", 0))
          for j in json.load(sys.stdin).get("jobs", [])
          if "query" in j.get("statistics", {})))'
}

# A warm-up, so that no measured run pays for the new database.
raw Warm 2 40 > /dev/null
r1=$(raw Raw1 2)
b0=$(billed)
one=$(pipeline One 1)
b1=$(billed)
r2=$(raw Raw2 2)
r3=$(raw Raw3 4)
two=$(pipeline Two 2)
b2=$(billed)
r4=$(raw Raw4 4)
raw2=$((r1 > r2 ? r1 : r2))
raw4=$((r3 > r4 ? r3 : r4))
size=$("$top/tests/e2e/bqapi.py" get test-project ds positions numBytes)
echo "rows $n (table $size bytes, DAY-partitioned), batch 1000, inFlight 2 per worker"
echo "load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Harper raw upsert (Node posting pre-built batches), 2 in flight: $raw2 rows/s (runs: $r1 before, $r2 after the 1-worker path)"
echo "Harper raw upsert (Node posting pre-built batches), 4 in flight: $raw4 rows/s (runs: $r3 before, $r4 after the 2-worker path)"
echo "whole path, 1 worker: $one rows/s; peak RSS KiB: bq-pull $(peak One pull), harper-load $(peak One load), bq-checkpoint $(peak One ckpt)"
echo "whole path, 2 workers: $two rows/s; peak RSS KiB: bq-pull $(peak Two pull), harper-load $(peak Two load), bq-checkpoint $(peak Two ckpt)"
awk -v b="$((b1 - b0))" -v c="$((b2 - b1))" -v n="$n" 'BEGIN {
	printf "bytes billed per synced row: %.1f (1 worker), %.1f (2 workers)\n", b / n, c / n }'
awk -v a="$one" -v b="$two" -v r="$raw2" -v q="$raw4" 'BEGIN {
	printf "ratio to raw at the same concurrency: %.2f (1 worker), %.2f (2 workers)\nratio: %.2f\n", a / r, b / q, b / q }'
