#!/usr/bin/env bash
# bench-checkpoint.sh: can `bq-checkpoint commit` keep up with harper-load?
#
# Measured: acknowledgements per second that `bq-checkpoint commit` stores,
# each durably before reading the next: the file store (flock, read, write
# .tmp, fsync, rename, fsync of the directory) and the Harper store (one
# search_by_hash and one upsert).  Baseline, same run: acknowledgements per
# second that harper-load writes while loading rows into Harper in batches of
# 1000 (the rate commit has to follow in a pipeline).  ratio = file-store
# commit rate / harper-load ack rate; above 1, commit never slows a sync.
set -eu

cd "$(dirname "$0")/.."
make -s bin/bq-checkpoint bin/harper-load
PATH=$(pwd)/bin:$PATH
tmp=$(mktemp -d)
db=bench_ckpt_$$
hop() {
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" |
	    curl -sS -K - -H 'Content-Type: application/json' \
	    --data-binary "$1" "$HARPER_URL/" > /dev/null
}
trap 'rm -rf "$tmp"; hop "{\"operation\":\"drop_database\",\"database\":\"$db\"}"' EXIT INT TERM
acks=${BENCH_ACKS:-2000}
rows=${BENCH_ROWS:-200000}

cat > "$tmp/cfg.yaml" <<EOF
bigquery:
  projectId: bench
  dataset: bench
  tables:
    - id: bench
      table: bench
      targetTable: BenchRows
harper:
  database: $db
  batchRows: 1000
checkpoint:
  path: $tmp/state.json
EOF
export BQSYNC_CONFIG=$tmp/cfg.yaml

python3 - "$acks" > "$tmp/acks" <<'PY'
import sys
for k in range(int(sys.argv[1])):
    print('{"table":"BenchRows","rows":1000,"total":%d,"cursor":"2025-11-04T%02d:%02d:%02d.000000Z"}'
          % ((k + 1) * 1000, k // 3600 % 24, k // 60 % 60, k % 60))
PY
python3 - "$rows" > "$tmp/rows" <<'PY'
import sys
for k in range(int(sys.argv[1])):
    print('{"id":"r%d","mmsi":%d,"speed":%.1f,"timestamp":"2025-11-04T%02d:%02d:%02d.%06dZ"}'
          % (k, 367000000 + k % 5000, k % 300 / 10, k // 360000 % 24,
             k // 6000 % 60, k // 100 % 60, k % 100))
PY

now() { date +%s.%N; }
rate() { python3 -c "print('%.0f' % ($1 / ($3 - $2)))"; }

t0=$(now)
harper-load -q < "$tmp/rows" > "$tmp/load-acks"
t1=$(now)
nload=$(wc -l < "$tmp/load-acks")
base=$(rate "$nload" "$t0" "$t1")

t0=$(now)
bq-checkpoint commit < "$tmp/acks"
t1=$(now)
file=$(rate "$acks" "$t0" "$t1")

t0=$(now)
bq-checkpoint --store harper commit < "$tmp/acks"
t1=$(now)
harper=$(rate "$acks" "$t0" "$t1")

[ "$(bq-checkpoint get)" = "$(bq-checkpoint --store harper get)" ] ||
    { echo "stores disagree"; exit 1; }
echo "commit, file store:   $file acks/s ($acks acks)"
echo "commit, Harper store: $harper acks/s"
echo "baseline harper-load: $base acks/s ($nload acks for $rows rows)"
echo "ratio: $(python3 -c "print('%.1f' % ($file / $base))")"
echo "ratio (Harper store): $(python3 -c "print('%.1f' % ($harper / $base))")"
