#!/usr/bin/env bash
# bq-pull reads a 100,000-row result across many getQueryResults pages and
# prints every source row exactly once, in timestamp order, typed exactly,
# with a sync line after each page that proves only complete groups.
. "$(dirname "$0")/lib.sh"

start_emulator
cat > "$T/cfg.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
YAML
"$top"/tests/e2e/bqapi.py table test-project ds t '[{"name":"ts","type":"TIMESTAMP"},
    {"name":"seq","type":"INT64"},{"name":"mmsi","type":"STRING"},
    {"name":"lat","type":"FLOAT64"}]'
# distinct microsecond timestamps, inserted out of order
python3 - > "$T/src.ndjson" <<'PY'
import random
rnd = random.Random(3)
rows = list(range(100000))
rnd.shuffle(rows)
for i in rows:
    us = 1762000000000000 + i * 1000 + (i * 7919) % 1000
    print('{"ts":"%d.%06d","seq":%d,"mmsi":"%d","lat":%s}' % (
        us // 1000000, us % 1000000, i, 367000000 + i % 977,
        repr((i % 18000) / 100.0 - 90)))
PY
expect_eq 100000 "$("$top"/tests/e2e/bqapi.py insert test-project ds t < "$T/src.ndjson")" inserted

bq-pull -c "$T/cfg.yaml" -v --limit 100000 > "$T/out.ndjson" 2> "$T/err"
# many pages: one getQueryResults request per page after the first
pages=$(grep -c 'queries/.*pageToken=' "$T/err" || true)
say "pages after the first: $pages"
[ "$pages" -ge 9 ] || fail "expected at least 10 pages, got $((pages + 1))"

python3 - "$T/src.ndjson" "$T/out.ndjson" <<'PY'
import json, sys
from datetime import datetime, timezone
src = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    s, f = r["ts"].split(".")
    dt = datetime.fromtimestamp(int(s), timezone.utc)
    r["ts"] = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f + "Z"
    src[r["seq"]] = r
lines = open(sys.argv[2]).read().splitlines()
assert json.loads(lines[0]) == {"@bqsync": "begin", "table": "t",
                               "worker": "0/1"}, lines[0]
assert json.loads(lines[-1]) == {"@bqsync": "end"}, lines[-1]
sync = json.loads(lines[-2])
body = [json.loads(l) for l in lines[1:-2]]
rows = [r for r in body if "@bqsync" not in r]
assert len(rows) == 100000, len(rows)
# a sync line after pages: no row below it is at or before its cursor
syncs = 0
for k, r in enumerate(body):
    if "@bqsync" in r:
        syncs += 1
        assert r["@bqsync"] == "sync" and r["newer"] is True, r
        later = [x["ts"] for x in body[k + 1:] if "@bqsync" not in x]
        assert not later or min(later) > r["cursor"], (r, min(later))
assert syncs >= 9, syncs
seen = set()
prev = ""
for r in rows:
    rid = r.pop("id")
    assert len(rid) == 32
    assert isinstance(r.pop("_fp"), (int, str))
    assert r["ts"] >= prev, "order"
    prev = r["ts"]
    assert r["seq"] not in seen, "duplicate %d" % r["seq"]
    seen.add(r["seq"])
    assert r == src[r["seq"]], (r, src[r["seq"]])
assert sync["cursor"] == prev and sync["newer"] is True, (sync, prev)
print("rows ok")
PY
