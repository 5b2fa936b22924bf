#!/usr/bin/env bash
# quick
# A catch-up whose result BigQuery would refuse to return (past its
# response size limit, bq-emulator --max-response): bq-pull reads the
# pass in windows of time, halving the span on each responseTooLarge
# (which bills nothing); every row comes out once, in timestamp order,
# with a sync line after each window; the windows prune partitions, so
# the pass processes little more than the table once.  A single
# timestamp's rows too large to return stop the pull with exit 65.
. "$(dirname "$0")/lib.sh"

limit=200000
start_emulator --max-response $limit
cat > "$T/cfg.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
harper:
  database: unused
checkpoint:
  path: $T/state.json
YAML
"$top"/tests/e2e/bqapi.py table test-project ds t '[
    {"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"},
    {"name":"note","type":"STRING"}]' '{"type":"DAY","field":"ts"}'
rows=3000
python3 - "$rows" > "$T/src.ndjson" <<'PY'
import sys
n = int(sys.argv[1])
day0 = 1761955200		# 2025-11-01T00:00:00Z, 30 days of rows
for i in range(n):
    print('{"ts":"%d","seq":%d,"note":"%s"}' % (
        day0 + i * (30 * 86400 // n), i, "x" * (200 + i % 50)))
PY
expect_eq $rows "$("$top"/tests/e2e/bqapi.py insert test-project ds t \
    < "$T/src.ndjson")" inserted
size=$("$top"/tests/e2e/bqapi.py get test-project ds t numBytes)
say "table: $rows rows, $size bytes; response limit $limit bytes"

# one pull reads it all, in windows
bq-pull -c "$T/cfg.yaml" -v > "$T/out" 2> "$T/err" ||
    fail "bq-pull: $(tail -n 3 "$T/err")"
grep -q 'responseTooLarge' "$T/err" || fail "no query was too large"
python3 - "$T/out" "$rows" "$size" <<'PY' || fail "the stream is wrong"
import json, sys
rows, size = int(sys.argv[2]), int(sys.argv[3])
seqs, syncs, last, processed = [], [], None, 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("@bqsync") == "sync":
        syncs.append(o["cursor"])
        processed += o.get("bytesProcessed", 0)
    elif "@bqsync" not in o:
        assert last is None or o["ts"] >= last, "out of order"
        last = o["ts"]
        seqs.append(o["seq"])
assert sorted(seqs) == list(range(rows)), "rows lost or repeated"
assert syncs == sorted(syncs), "sync cursors go back"
assert len(set(syncs)) >= 3, "no sync line between windows"
print("pull-large: %d sync lines, %d bytes processed (%.2fx the table)" %
      (len(syncs), processed, processed / size), file=sys.stderr)
assert processed <= 1.5 * size, "windows do not prune"
PY
# the refused queries billed nothing; each that ran, its bill
jobs=$(curl -sf "http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/test-project/jobs?projection=full&maxResults=1000")
python3 -c '
import json, sys
jobs = json.loads(sys.argv[1])["jobs"]
bad = [j for j in jobs if j["status"].get("errorResult", {}).get("reason") ==
       "responseTooLarge"]
assert bad, "no job failed responseTooLarge"
assert all(int(j["statistics"]["query"]["totalBytesBilled"]) == 0 for j in bad)
' "$jobs" || fail "jobs.list: a refused query billed"

# rows of one timestamp too large to return: exit 65, nothing past them
"$top"/tests/e2e/bqapi.py table test-project ds u '[
    {"name":"ts","type":"TIMESTAMP"},{"name":"note","type":"STRING"}]' \
    '{"type":"DAY","field":"ts"}'
python3 -c '
for i in range(1200):
    print("{\"ts\":\"1761955200\",\"note\":\"%s\"}" % ("y" * 200))' |
    "$top"/tests/e2e/bqapi.py insert test-project ds u > /dev/null
st=0
bq-pull -c "$T/cfg.yaml" --source-table u > "$T/u.out" 2> "$T/u.err" || st=$?
expect_eq 65 "$st" "exit status of a too large group"
grep -q 'alone are too large for BigQuery to return' "$T/u.err" ||
    fail "message: $(cat "$T/u.err")"
expect_eq 0 "$(grep -vc '@bqsync' "$T/u.out")" "rows of the refused group"
